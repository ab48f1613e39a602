import { existsSync } from 'node:fs';
import path from 'node:path';
import { dereference } from '@readme/openapi-parser';
import type { z } from 'zod';
import { PoolError, type FunctionDef, type ToolSource } from '../../core/pool';
import { isDocumentUrl, OpenApiEntryConfig, OpenApiSource } from './config';
import { operationsToFunctions, type OperationsResult } from './operations';
import { loadDocumentByUrl } from './remote';

function issueText(err: z.ZodError): string {
  const first = err.issues[0];
  const field = first?.path.map(String).join('.') ?? '';
  const more = err.issues.length > 1 ? ` (+${err.issues.length - 1} more)` : '';
  return `${field ? `field ${field}: ` : ''}${first?.message ?? 'invalid'}${more}`;
}

/**
 * A config's `{"openapi": {...}}` entry, checked, as a pool source: a document path made absolute against the
 * config's folder `baseDir`; a URL (`url`, or an http(s) URL in `file`) kept as given. `where` names the config
 * file and field for errors.
 */
export function openApiSource(
  entry: { file?: unknown; url?: unknown; [field: string]: unknown },
  baseDir: string,
  where: string,
): ToolSource {
  const label = `${where}: OpenAPI source ${JSON.stringify(entry.url ?? entry.file ?? '?')}`;
  const parsed = OpenApiEntryConfig.safeParse(entry);
  if (!parsed.success) {
    const key = parsed.error.issues.find((i) => i.code === 'unrecognized_keys');
    // a pasted key must not go unnoticed: the config is copied into workflow inputs
    const hint = key ? ' (credentials go by environment variable name: auth.env)' : '';
    throw new PoolError(`${label} ${issueText(parsed.error)}${hint}`);
  }
  const cfg = parsed.data;
  if ((cfg.file === undefined) === (cfg.url === undefined))
    throw new PoolError(
      `${label} needs either file (a path) or url (an http(s) URL), not ${cfg.file ? 'both' : 'neither'}`,
    );
  let file: string;
  if (cfg.url !== undefined || isDocumentUrl(cfg.file as string)) file = (cfg.url ?? cfg.file) as string;
  else {
    file = path.resolve(baseDir, cfg.file as string);
    if (!existsSync(file)) throw new PoolError(`${label} field file: ${file} does not exist`);
  }
  const name = cfg.name ?? defaultName(file);
  return OpenApiSource.parse({
    kind: 'openapi',
    name,
    file,
    ...(cfg.baseURL ? { baseURL: cfg.baseURL } : {}),
    ...(cfg.auth ? { auth: cfg.auth } : {}),
    ...(cfg.operations ? { operations: cfg.operations } : {}),
    ...(cfg.scopeHeader ? { scopeHeader: cfg.scopeHeader } : {}),
  });
}

/** The document's base name (`https://h/v2/openapi.json`: `openapi`; no path: the host) as a source name. */
function defaultName(file: string): string {
  const base = isDocumentUrl(file)
    ? (new URL(file).pathname.split('/').filter(Boolean).pop() ?? new URL(file).hostname)
    : path.basename(file);
  return base
    .replace(/\.(ya?ml|json)$/i, '')
    .replace(/[^A-Za-z0-9_-]+/g, '_')
    .slice(0, 32);
}

/**
 * Reads the document (JSON or YAML; `$ref`s, also circular and to other files, resolved by
 * @readme/openapi-parser; a document given by URL is fetched with the documents its `$ref`s reach first, see
 * ./remote) and turns its operations into functions bound to the source.
 */
export async function readOpenApi(source: ToolSource): Promise<OperationsResult> {
  const checked = OpenApiSource.safeParse(source);
  if (!checked.success) throw new PoolError(`OpenAPI source ${source.name}: ${issueText(checked.error)}`);
  const src = checked.data;
  const failed = (message: string): PoolError =>
    new PoolError(`OpenAPI source ${src.name} (${src.file}): ${message}`);
  let input: string | Record<string, unknown> = src.file;
  if (isDocumentUrl(src.file)) {
    try {
      input = await loadDocumentByUrl(src.file);
    } catch (e) {
      throw failed((e as Error).message);
    }
  }
  let doc: unknown;
  try {
    doc = await dereference(input as Parameters<typeof dereference>[0], { dereference: { circular: true } });
  } catch (e) {
    throw failed(`cannot read the document: ${(e as Error).message}`);
  }
  try {
    return operationsToFunctions(doc, src);
  } catch (e) {
    throw failed((e as Error).message);
  }
}

/** The functions of an OpenAPI source; the operations left out are listed on stderr with the reason. */
export async function listOpenApiFunctions(source: ToolSource): Promise<FunctionDef[]> {
  const { functions, skipped } = await readOpenApi(source);
  for (const s of skipped) console.warn(`OpenAPI source ${source.name}: skipped ${s.operation}: ${s.reason}`);
  if (functions.length === 0)
    throw new PoolError(`OpenAPI source ${source.name} (${String(source.file)}): no operation left to offer`);
  return functions;
}
