import { parse as parseYaml } from 'yaml';
import { readCapped } from './execute';
import { fetchFailure } from '../../core/fetch-failure';

/**
 * An OpenAPI document given by URL (`{"openapi": {"url": ...}}`, or a URL in `file`), fetched by us rather
 * than by @readme/openapi-parser: its HTTP resolver refuses local and private addresses (a service on
 * 127.0.0.1 is the usual case here), waits 5 s per request and reads any size. Here each document is fetched
 * with a timeout and the documents of one source together with a size cap, and the `$ref`s to other URLs
 * (absolute, or relative to the document that holds them) are followed and bundled into the root document,
 * so the parser dereferences one document with internal `$ref`s only.
 */
export interface DocumentLimits {
  /** How long one document may take to arrive, headers and body (ms). */
  timeoutMs: number;
  /** The size of all documents of a source together (bytes). */
  maxBytes: number;
  /** How many documents a source may consist of (its own and every document its `$ref`s reach). */
  maxDocuments: number;
}

export const DOCUMENT_LIMITS: DocumentLimits = {
  timeoutMs: 10_000,
  maxBytes: 20 * 1024 * 1024,
  maxDocuments: 100,
};

/** Where the documents `$ref`s reach are kept in the bundled root (`#/x-magnet-documents/<i>/...`). */
const BUNDLE_KEY = 'x-magnet-documents';

type Obj = Record<string, unknown>;

/**
 * The document at `url` with every document its `$ref`s reach bundled in, its `$ref`s rewritten to point
 * inside it. Throws an Error whose message says what failed: `cannot fetch: connection refused` for the
 * document itself, `cannot fetch <url> (a $ref of <url>): ...` for one it references.
 */
export async function loadDocumentByUrl(url: string, limits: DocumentLimits = DOCUMENT_LIMITS): Promise<Obj> {
  const root = withoutFragment(url);
  const docs = new Map<string, unknown>();
  const queue: { at: string; from?: string }[] = [{ at: root }];
  let used = 0;
  for (let next = queue.shift(); next; next = queue.shift()) {
    const { at, from } = next;
    if (docs.has(at)) continue;
    const what = from ? `${at} (a $ref of ${from})` : undefined;
    if (docs.size >= limits.maxDocuments)
      throw new Error(
        `cannot fetch ${what}: the document's $refs reach more than ${limits.maxDocuments} documents`,
      );
    const text = await fetchDocument(at, limits, limits.maxBytes - used, what);
    used += Buffer.byteLength(text);
    const doc = parseDocument(text, what);
    docs.set(at, doc);
    for (const ref of refsOf(doc)) {
      if (ref.startsWith('#')) continue;
      const target = referencedUrl(ref, at);
      if (!docs.has(target)) queue.push({ at: target, from: at });
    }
  }
  if (!isObj(docs.get(root))) throw new Error('not an OpenAPI document (not a JSON or YAML object)');
  return bundle(root, docs);
}

/** A `$ref`'s document URL, relative to the document holding it; only http(s) is followed from a URL. */
function referencedUrl(ref: string, base: string): string {
  let target: URL;
  try {
    target = new URL(ref, base);
  } catch {
    throw new Error(`$ref "${ref}" in ${base} is not a URL`);
  }
  if (target.protocol !== 'http:' && target.protocol !== 'https:')
    throw new Error(`$ref "${ref}" in ${base}: a document fetched by URL may only reference http(s) URLs`);
  return withoutFragment(target.href);
}

function withoutFragment(url: string): string {
  const u = new URL(url);
  u.hash = '';
  return u.href;
}

function parseDocument(text: string, what: string | undefined): unknown {
  const where = what ? `${what} ` : '';
  try {
    return /^\s*[{[]/.test(text) ? JSON.parse(text) : parseYaml(text);
  } catch (e) {
    throw new Error(`${where}is not JSON or YAML: ${(e as Error).message.split('\n')[0]}`);
  }
}

/** GETs one document within the time and the bytes left; errors say why in a few words. */
async function fetchDocument(
  url: string,
  limits: DocumentLimits,
  bytesLeft: number,
  what: string | undefined,
): Promise<string> {
  const failed = (why: string): Error => new Error(`cannot fetch${what ? ` ${what}` : ''}: ${why}`);
  const tooBig = (): Error =>
    failed(
      what
        ? `the documents are larger than ${megabytes(limits.maxBytes)} together`
        : `the document is larger than ${megabytes(limits.maxBytes)}`,
    );
  const signal = AbortSignal.timeout(limits.timeoutMs);
  try {
    const res = await fetch(url, {
      headers: { accept: 'application/json, application/yaml, text/yaml;q=0.9, */*;q=0.8' },
      signal,
    });
    if (!res.ok) {
      await res.body?.cancel();
      throw failed(`HTTP ${res.status}${res.statusText ? ` ${res.statusText}` : ''}`);
    }
    const declared = Number(res.headers.get('content-length') ?? NaN);
    if (declared > bytesLeft) {
      await res.body?.cancel();
      throw tooBig();
    }
    return await readCapped(res, bytesLeft, tooBig);
  } catch (e) {
    if (e instanceof Error && e.message.startsWith('cannot fetch')) throw e;
    throw failed(fetchFailure(e, limits.timeoutMs, url).reason);
  }
}

function megabytes(bytes: number): string {
  return `${Number((bytes / (1024 * 1024)).toFixed(2))} MB`;
}

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Every `$ref` string in a document, in document order. */
function refsOf(node: unknown, out: string[] = []): string[] {
  if (Array.isArray(node)) for (const v of node) refsOf(v, out);
  else if (isObj(node))
    for (const [k, v] of Object.entries(node)) {
      if (k === '$ref' && typeof v === 'string') out.push(v);
      else refsOf(v, out);
    }
  return out;
}

/**
 * The root document with the others under `x-magnet-documents` (in the order they were reached) and every
 * `$ref` rewritten to a local pointer: into the root (`#/components/...`) or into a bundled document
 * (`#/x-magnet-documents/0/Pet`). Documents are the freshly parsed objects, changed in place.
 */
function bundle(root: string, docs: Map<string, unknown>): Obj {
  const others = [...docs.keys()].filter((u) => u !== root);
  const pointerOf = (docUrl: string): string =>
    docUrl === root ? '' : `/${BUNDLE_KEY}/${others.indexOf(docUrl)}`;
  for (const [at, doc] of docs) {
    rewriteRefs(doc, (ref) => {
      const hash = ref.indexOf('#');
      const fragment = hash < 0 ? '' : ref.slice(hash + 1);
      const target = hash === 0 ? at : withoutFragment(new URL(hash < 0 ? ref : ref.slice(0, hash), at).href);
      if (target === root && hash === 0) return ref;
      if (fragment !== '' && !fragment.startsWith('/'))
        throw new Error(`$ref "${ref}" in ${at}: only JSON pointers (#/...) are supported as fragments`);
      return `#${pointerOf(target)}${fragment}`;
    });
  }
  const out = docs.get(root) as Obj;
  if (others.length > 0) out[BUNDLE_KEY] = others.map((u) => docs.get(u));
  return out;
}

function rewriteRefs(node: unknown, rewrite: (ref: string) => string): void {
  if (Array.isArray(node)) for (const v of node) rewriteRefs(v, rewrite);
  else if (isObj(node))
    for (const [k, v] of Object.entries(node)) {
      if (k === '$ref' && typeof v === 'string') node[k] = rewrite(v);
      else rewriteRefs(v, rewrite);
    }
}
