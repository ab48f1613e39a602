import { z } from 'zod';

// The graph's data shapes (graph.json and the edges a judge returns). They live apart from graph.ts so the
// judge and the candidate selector, which graph.ts builds on, can name them without importing graph.ts back.

/**
 * The local dependency graph (MAGNET stage 2). Nodes are functions; an edge v -> u says v's output is
 * (a) a precondition for u, (b) exactly an input of u, or (c) part of u's inputs.
 */
export const Relation = z.enum(['precondition', 'input', 'partial_input']);
export type Relation = z.infer<typeof Relation>;

/**
 * Which parameter of the target an edge feeds, and from which field of the source's output. `field` is a
 * path (`core/fields`): `total`, `owner.id`, `books[].book_id` (a field of the elements of an array); a plain
 * name, all that graphs of earlier releases hold, is a path of one step, so they parse and mean the same.
 */
export const Feed = z.object({ param: z.string(), field: z.string() });
export type Feed = z.infer<typeof Feed>;

export const Edge = z.object({
  from: z.string(),
  to: z.string(),
  relation: Relation,
  feeds: z.array(Feed),
  reason: z.string().optional(),
});
export type Edge = z.infer<typeof Edge>;

export const GraphConfig = z
  .object({
    /** Candidate neighbours per function (the paper samples up to 30). */
    maxCandidates: z.number().int().min(1).max(200).default(30),
    /** Only functions of the same category are candidates (the paper's "local" graph). */
    sameCategory: z.boolean().default(true),
  })
  .strict();
export type GraphConfig = z.infer<typeof GraphConfig>;

const DegreeStats = z.object({ min: z.number(), max: z.number(), mean: z.number(), median: z.number() });
export const GraphStats = z.object({
  nodes: z.number(),
  edges: z.number(),
  byRelation: z.record(z.string(), z.number()),
  outDegree: DegreeStats,
  inDegree: DegreeStats,
  isolated: z.number(),
  withOutEdges: z.number(),
  categories: z.record(z.string(), z.object({ nodes: z.number(), edges: z.number() })),
});
export type GraphStats = z.infer<typeof GraphStats>;

export const Graph = z.object({
  version: z.literal(1),
  judge: z.string(),
  config: GraphConfig,
  nodes: z.array(z.object({ name: z.string(), category: z.string() })),
  /** Candidates each function was judged against: edges may only point into this list. */
  candidates: z.record(z.string(), z.array(z.string())),
  edges: z.array(Edge),
  stats: GraphStats,
});
export type Graph = z.infer<typeof Graph>;
