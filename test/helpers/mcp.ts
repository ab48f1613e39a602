import path from 'node:path';
const ROOT = path.join(__dirname, '..', '..');
/** The repository root: a fixture server started there finds the MCP SDK in its node_modules. */
export const ROOT_DIR = ROOT;

/** Entry scripts of the real MCP servers installed from npm (devDependencies), run with `node`. */
export const MEMORY_SERVER = path.join(
  ROOT,
  'node_modules/@modelcontextprotocol/server-memory/dist/index.js',
);
export const FILESYSTEM_SERVER = path.join(
  ROOT,
  'node_modules/@modelcontextprotocol/server-filesystem/dist/index.js',
);
/** magnet's own small test server (test/fixtures/mcp/notes-server.js): ids, no output schemas, faults. */
export const NOTES_SERVER = path.join(ROOT, 'test/fixtures/mcp/notes-server.js');

/** Config entries (`{"mcp": ...}`) for them; each instance keeps its files in its own `${scopeDir}`. */
export const memoryEntry = (name = 'memory'): { name: string } & Record<string, unknown> => ({
  name,
  command: process.execPath,
  args: [MEMORY_SERVER],
  env: { MEMORY_FILE_PATH: '${scopeDir}/memory.jsonl' },
});
export const filesystemEntry = (name = 'files'): { name: string } & Record<string, unknown> => ({
  name,
  command: process.execPath,
  args: [FILESYSTEM_SERVER, '${scopeDir}'],
  cwd: '${scopeDir}',
});
export const notesEntry = (
  extra: Record<string, unknown> = {},
  name = 'notes',
): { name: string } & Record<string, unknown> => ({
  name,
  command: process.execPath,
  args: [NOTES_SERVER],
  // the server finds the SDK from magnet's node_modules
  cwd: ROOT,
  ...extra,
});
