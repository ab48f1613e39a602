import { PoolError, type FunctionDef, type ToolSource } from '../../core/pool';

// Placeholder of the OpenAPI pool source (issue 10): replaced by the OpenAPI module.
export function openApiSource(entry: { file: string }, baseDir: string, where: string): ToolSource {
  void baseDir;
  throw new PoolError(`${where}: OpenAPI document ${entry.file}: OpenAPI sources are not supported yet`);
}

export function listOpenApiFunctions(source: ToolSource): Promise<FunctionDef[]> {
  return Promise.reject(
    new PoolError(`OpenAPI source ${source.name}: OpenAPI sources are not supported yet`),
  );
}
