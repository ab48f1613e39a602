import type { ResolvedRole } from '../core/config';
import type { GraphConfig, GraphStats } from '../core/graph';
import type { Usage } from '../core/usage';

/** The workflow type of a run's dependency graph (stage 2), a child of the run or started by `magnet graph`. */
export const GRAPH_WORKFLOW = 'buildGraph';
/** The graph's reference and stats, the file written and what its judge cost. */
export interface BuildGraphResult {
  graphRef: string;
  stats: GraphStats;
  file: string;
  usage: Usage;
  judgeRequests: number;
}
export type GraphWorkflow = (input: BuildGraphInput) => Promise<BuildGraphResult>;

/** The graph's input; it answers with the graph's reference, stats and what its judge cost. */
export interface BuildGraphInput {
  storeDir: string;
  poolRef: string;
  config: GraphConfig;
  outDir: string;
  /** Functions judged per activity; each function is still one judge request. */
  chunk?: number;
  parallel?: number;
  judge: ResolvedRole;
  taskQueue: string;
  /** Whether magnet's search attributes are registered (absent in inputs of earlier releases). */
  searchAttributes?: boolean;
}
