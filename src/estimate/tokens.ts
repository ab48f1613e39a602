/**
 * Token counts of prompts and answers for the estimate. OpenAI models get their real tokenizer
 * (gpt-tokenizer: a pure-JS BPE whose encodings ship inside the npm package, so nothing is downloaded at
 * run time); every other model gets a documented approximation, characters / 4, which is OpenAI's own rule
 * of thumb for English and what magnet's LLM client already uses to size its token-limiter tickets.
 */

/** Which counter a model gets. */
export type Tokenizer = 'o200k_base' | 'cl100k_base' | 'chars/4';

/**
 * Model names served with each OpenAI encoding. Only the public OpenAI families: a model of the same name on
 * another server (vLLM, OpenRouter) is still counted with OpenAI's encoding, which is what its name claims.
 */
const O200K = /^(gpt-4o|gpt-4\.1|gpt-4\.5|gpt-5|gpt-oss|o1|o3|o4|chatgpt-4o)/i;
const CL100K = /^(gpt-4|gpt-3\.5|text-embedding-3|text-embedding-ada-002)/i;

export function tokenizerFor(model: string, kind: 'openai' | 'gemini'): Tokenizer {
  if (kind !== 'openai') return 'chars/4';
  const name = model.replace(/^openai\//i, '');
  if (O200K.test(name)) return 'o200k_base';
  if (CL100K.test(name)) return 'cl100k_base';
  return 'chars/4';
}

type Counter = (text: string) => number;

const loaded = new Map<Tokenizer, Counter>();

/**
 * Loads the counters a set of tokenizers needs (an encoding's tables take about a second to load, so only
 * the ones in use, and once).
 */
export async function loadTokenizers(names: Iterable<Tokenizer>): Promise<void> {
  for (const name of new Set(names)) {
    if (loaded.has(name)) continue;
    if (name === 'o200k_base') {
      const m = await import('gpt-tokenizer/cjs/encoding/o200k_base');
      loaded.set(name, (t) => m.countTokens(t));
    } else if (name === 'cl100k_base') {
      const m = await import('gpt-tokenizer/cjs/encoding/cl100k_base');
      loaded.set(name, (t) => m.countTokens(t));
    } else loaded.set(name, (t) => Math.ceil(t.length / 4));
  }
}

/** Tokens of a text with a tokenizer loaded by `loadTokenizers`. */
export function countText(text: string, name: Tokenizer): number {
  const counter = loaded.get(name);
  if (!counter) throw new Error(`tokenizer ${name} is not loaded (call loadTokenizers first)`);
  return counter(text);
}

/**
 * OpenAI's chat format wraps each message in special tokens: 3 per message and 3 that prime the reply
 * (OpenAI cookbook, "How to count tokens with tiktoken").
 */
const PER_MESSAGE = 3;
const PER_REPLY = 3;

/** Input tokens of one chat request: the texts of its messages, plus the chat format's overhead. */
export function countPrompt(messages: readonly string[], name: Tokenizer): number {
  // chars/4 is taken over the whole request, as providers that do not tokenize report (and our client sizes)
  if (name === 'chars/4') return Math.ceil(messages.reduce((n, m) => n + m.length, 0) / 4);
  return messages.reduce((n, m) => n + countText(m, name) + PER_MESSAGE, PER_REPLY);
}
