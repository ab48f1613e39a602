import type { StructuredOutputs } from '../../core/config';
import { sha256, stableStringify } from '../../io/files';
import type { AnswerSchema, LlmCallRole } from './provider';

/**
 * Structured outputs, the parts every provider kind shares: which mode a role's requests use, the schema a
 * request sends, and what that adds to the request's cache key. How a schema goes on the wire (OpenAI's
 * response_format, Gemini's response schema) is the provider's.
 */

/** The role's mode; absent in resolved roles of earlier releases, which asked for a JSON object. */
export function structuredMode(r: Pick<LlmCallRole, 'structuredOutputs'>): StructuredOutputs {
  return r.structuredOutputs ?? 'json_object';
}

/** The answer schema a request sends: the role's, when its provider is asked for schemas; else none. */
export function schemaToSend(
  r: Pick<LlmCallRole, 'structuredOutputs'>,
  answerSchema: AnswerSchema | undefined,
): AnswerSchema | undefined {
  return structuredMode(r) === 'json_schema' ? answerSchema : undefined;
}

/**
 * What a request adds to its cache key besides the messages and sampling settings: the hash of the schema it
 * sends and its reasoning effort. A request sent as earlier releases sent it (no schema, no effort) adds
 * nothing, so their cached answers stay valid; a provider whose schema was refused still keys by the schema
 * (what the config asks for), and its json_object answers are checked like any answer.
 */
export function requestKeyExtras(
  r: Pick<LlmCallRole, 'structuredOutputs' | 'reasoningEffort'>,
  answerSchema: AnswerSchema | undefined,
): Record<string, string> {
  const sent = schemaToSend(r, answerSchema);
  return {
    ...(sent ? { schema: sha256(stableStringify(sent)).slice(0, 16) } : {}),
    ...(r.reasoningEffort !== undefined ? { effort: r.reasoningEffort } : {}),
  };
}

/** The deepest object nesting and the most properties OpenAI's strict mode takes. */
const STRICT_MAX_DEPTH = 10;
const STRICT_MAX_PROPERTIES = 5000;

/** Keywords of OpenAI's strict subset (Structured Outputs, "Supported schemas"); any other one is not. */
const STRICT_KEYWORDS = new Set([
  'type',
  'properties',
  'required',
  'additionalProperties',
  'items',
  'enum',
  'const',
  'anyOf',
  '$ref',
  '$defs',
  'description',
  'title',
  'pattern',
  'format',
  'multipleOf',
  'maximum',
  'exclusiveMaximum',
  'minimum',
  'exclusiveMinimum',
  'minItems',
  'maxItems',
]);

type Node = Record<string, unknown>;
const isNode = (v: unknown): v is Node => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Whether `schema` is in OpenAI's strict subset as it is, so `strict: true` may be sent: an object at the
 * root, every object with `additionalProperties: false` and all its properties required, every node typed
 * (a type, enum, const, anyOf or $ref), only supported keywords, at most 10 levels of objects and 5,000
 * properties. Nothing is rewritten: an optional property made required-and-nullable would be refused by the
 * role's own schema check, so a schema that does not fit is sent with `strict: false` (a guide, not a
 * constraint) and validation does the rest.
 */
export function fitsStrictSubset(schema: Record<string, unknown>): boolean {
  if (schema.type !== 'object' || 'anyOf' in schema) return false;
  let properties = 0;
  const fits = (node: unknown, depth: number): boolean => {
    if (!isNode(node)) return false;
    if (Object.keys(node).some((k) => !STRICT_KEYWORDS.has(k))) return false;
    if (!('type' in node || 'enum' in node || 'const' in node || 'anyOf' in node || '$ref' in node))
      return false;
    const types = Array.isArray(node.type) ? node.type : [node.type];
    let d = depth;
    if (types.includes('object') || 'properties' in node) {
      d += 1;
      if (d > STRICT_MAX_DEPTH || node.additionalProperties !== false) return false;
      const props = isNode(node.properties) ? node.properties : {};
      const names = Object.keys(props);
      properties += names.length;
      const required = Array.isArray(node.required) ? node.required : [];
      if (properties > STRICT_MAX_PROPERTIES || names.some((n) => !required.includes(n))) return false;
      if (!Object.values(props).every((p) => fits(p, d))) return false;
    }
    if (types.includes('array') && !fits(node.items, d)) return false;
    if ('anyOf' in node && !(Array.isArray(node.anyOf) && node.anyOf.every((a) => fits(a, d)))) return false;
    if ('$defs' in node && !(isNode(node.$defs) && Object.values(node.$defs).every((x) => fits(x, d))))
      return false;
    return true;
  };
  return fits(schema, 0);
}
