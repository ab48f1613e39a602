import type { Edge } from './graph';
import type { Rng } from './rng';

/**
 * The initial FSP (MAGNET stage 3): a random walk of `length` functions along out-edges, one function per
 * turn. The walk prefers functions not yet on the path, so it does not bounce between two functions; at a
 * dead end (no unvisited out-neighbour) it stops early rather than jumping elsewhere, because a jump would
 * break the dependency chain that makes later turns depend on earlier ones. Callers that need a minimum
 * length resample with another seed.
 */
export function randomWalk(
  nodes: readonly string[],
  adjacency: ReadonlyMap<string, readonly Edge[]>,
  rng: Rng,
  length: number,
): string[] {
  if (nodes.length === 0) return [];
  const starts = nodes.filter((n) => (adjacency.get(n)?.length ?? 0) > 0);
  let current = rng.pick(starts.length > 0 ? starts : nodes);
  const path = [current];
  const visited = new Set(path);
  while (path.length < length) {
    const next = (adjacency.get(current) ?? []).map((e) => e.to).filter((n) => !visited.has(n));
    if (next.length === 0) break;
    current = rng.pick(next);
    path.push(current);
    visited.add(current);
  }
  return path;
}
