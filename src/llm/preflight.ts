import { LLM_ROLES, resolveRoleSettings, type RunConfig } from '../core/config';
import { PreflightError } from '../core/failures';
import { PROVIDERS } from './providers';
import { vertexBaseURL } from './providers/gemini';
import { apiKey, type ProviderEndpoint, type ProviderKind } from './providers/provider';

/**
 * Checks made before a run's workflow starts, so that an unset key or an unreachable endpoint fails in
 * seconds with one line instead of retrying inside the run for minutes.
 */

export { PreflightError };

/** The names of the providers the config's roles use (the offline backend is none). */
export function usedProviders(config: RunConfig): string[] {
  const names = LLM_ROLES.map((r) => resolveRoleSettings(config.llm, r).provider);
  return [...new Set(names)].filter((p) => p !== 'offline');
}

function endpoints(config: RunConfig): { endpoint: ProviderEndpoint; kind: ProviderKind }[] {
  return usedProviders(config).flatMap((name) => {
    const p = config.llm.providers[name];
    if (!p) return []; // the config's own validation names an unknown provider
    // Vertex AI takes the environment's Google Cloud credentials: no key variable, its own endpoint
    const vertex =
      p.vertexai && p.project && p.location ? { project: p.project, location: p.location } : undefined;
    const endpoint: ProviderEndpoint = {
      providerName: name,
      baseURL: p.baseURL ?? (vertex ? vertexBaseURL(vertex.location) : PROVIDERS[p.kind].defaultBaseURL),
      apiKeyEnv: p.apiKeyEnv ?? '',
      ...(vertex ? { vertex } : {}),
    };
    return [{ endpoint, kind: p.kind }];
  });
}

function fail(problems: string[]): void {
  if (problems.length) throw new PreflightError(problems.join('; '));
}

/** Every used provider's key variable is set (the key itself is never printed); Vertex AI has none. */
export function checkKeys(config: RunConfig): void {
  fail(
    endpoints(config).flatMap(({ endpoint }) => {
      if (endpoint.vertex) return [];
      try {
        apiKey(endpoint);
        return [];
      } catch (e) {
        return [(e as Error).message];
      }
    }),
  );
}

/** The keys, then one cheap request to every used provider at once, each within `timeoutMs`. */
export async function preflight(config: RunConfig, timeoutMs = 3000): Promise<void> {
  checkKeys(config);
  const answers = await Promise.all(
    endpoints(config).map(async ({ endpoint, kind }) => {
      const problem = await PROVIDERS[kind].preflight(endpoint, timeoutMs);
      return problem && `provider "${endpoint.providerName}" (${endpoint.baseURL}): ${problem}`;
    }),
  );
  fail(answers.filter((a): a is string => a !== undefined));
}
