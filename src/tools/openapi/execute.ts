import type { FunctionDef, ToolSource } from '../../core/pool';
import { ToolError, type ExecScope, type Json } from '../types';

// Placeholder of the OpenAPI executor (issue 10): replaced by the OpenAPI module.
export function callHttp(
  source: ToolSource,
  def: FunctionDef,
  args: Record<string, unknown>,
  scope: ExecScope,
): Promise<Json> {
  void args;
  void scope;
  return Promise.reject(
    new ToolError(`OpenAPI source ${source.name}: cannot execute ${def.name} (not supported yet)`),
  );
}
