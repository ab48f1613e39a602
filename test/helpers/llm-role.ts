import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { LlmConfig, resolveRole, type ResolvedRole } from '../../src/core/config';
import type { FakeServer } from '../fakes';

process.env.MAGNET_CLIENT_KEY = 'sk-client-test';

/** The back_translate role on a fake server (provider `p`, model `m`), with a cache and ledger of its own. */
export function fakeServerRole(
  server: FakeServer,
  kind: 'openai' | 'gemini' = 'openai',
  provider: Record<string, unknown> = {},
): Extract<ResolvedRole, { provider: 'llm' }> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'magnet-client-'));
  const llm = LlmConfig.parse({
    providers: {
      p: {
        kind,
        baseURL: kind === 'openai' ? `${server.url}/v1` : server.url,
        apiKeyEnv: 'MAGNET_CLIENT_KEY',
        timeoutMs: 1500,
        ...provider,
      },
    },
    default: { provider: 'p', model: 'm' },
    prices: { m: { input: 1, output: 1 } },
  });
  return resolveRole(llm, 'back_translate', {
    cacheDir: path.join(dir, 'cache'),
    ledgerFile: path.join(dir, 'ledger.jsonl'),
  }) as Extract<ResolvedRole, { provider: 'llm' }>;
}
