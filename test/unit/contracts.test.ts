import * as contracts from '../../src/contracts';
import * as workflows from '../../src/workflows';

/**
 * Clients start workflows by the names in src/contracts (the worker registers them by their function names):
 * a workflow renamed without its contract would leave every `magnet run` waiting for a type no worker serves.
 */
test('every workflow type name in the contracts is a workflow the worker registers, and the other way round', () => {
  const names = [
    contracts.RUN_WORKFLOW,
    contracts.CONVERSATION_WORKFLOW,
    contracts.GRAPH_WORKFLOW,
    contracts.RERUN_WORKFLOW,
    contracts.BATCHER_WORKFLOW,
  ];
  expect(Object.keys(workflows).sort()).toEqual([...names].sort());
  for (const name of names) expect(typeof (workflows as Record<string, unknown>)[name]).toBe('function');
});
