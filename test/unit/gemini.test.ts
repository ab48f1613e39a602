import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { LlmConfig } from '../../src/core/config';
import { resetLimiter } from '../../src/llm/limiter';
import { callProvider, ProviderError, type ChatMessage, type LlmCallRole } from '../../src/llm/providers';
import { gemini, resetGeminiSchemaRefusals } from '../../src/llm/providers/gemini';
import { inputBlock, roleLine } from '../../src/llm/protocol';
import { completeJson } from '../../src/llm/request';
import { WIRE_FAULTS, type WireFault } from '../fakes';
import { startFakeGemini, vertexCredentials, type FakeGemini } from '../fakes/gemini-server';
import { refusingURL } from '../helpers/items-service';
import { backTranslateCheck, backTranslatePrompt, EMPTY_TASK, failureOf } from '../helpers/llm-answers';
import { fakeServerRole } from '../helpers/llm-role';

/** The provider against the fake Gemini API through the real `@google/genai` SDK, over HTTP. */

const messages: ChatMessage[] = [
  { role: 'system', content: `${roleLine('back_translate', 1)}\nAnswer with one JSON object.` },
  { role: 'user', content: `Write the query.${inputBlock(EMPTY_TASK)}` },
];
const answerSchema = {
  name: 'back_translate',
  schema: {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    type: 'object',
    properties: { query: { type: 'string' } },
    required: ['query'],
    additionalProperties: false,
  },
};

type Body = {
  contents: { role: string; parts: { text: string }[] }[];
  systemInstruction?: { parts: { text: string }[] };
  generationConfig?: Record<string, unknown>;
};
const bodyOf = (server: FakeGemini, i = 0): Body => server.requests[i]?.body as Body;

async function rejection(p: Promise<unknown>): Promise<ProviderError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof ProviderError) return e;
    throw e;
  }
  throw new Error('expected a rejection');
}

describe('Gemini provider (@google/genai) against the fake Gemini API', () => {
  let server: FakeGemini;
  afterEach(async () => server?.close());

  it('API-key mode: the path, the key header and the body the SDK sends; the answer schema as responseJsonSchema', async () => {
    server = await startFakeGemini({ apiKey: 'sk-client-test' });
    const r = { ...fakeServerRole(server, 'gemini'), temperature: 0.3, maxTokens: 900 };
    const a = await callProvider(r, { messages, answerSchema });
    expect(JSON.parse(a.text)).toHaveProperty('query');
    expect(server.requests).toHaveLength(1);
    expect(server.requests[0]).toMatchObject({
      method: 'POST',
      path: '/v1beta/models/m:generateContent',
      auth: 'api-key',
      model: 'm',
    });
    expect(server.requests[0]?.vertex).toBeUndefined();
    const body = bodyOf(server);
    expect(body.systemInstruction?.parts).toEqual([{ text: messages[0]?.content }]);
    expect(body.contents).toEqual([{ role: 'user', parts: [{ text: messages[1]?.content }] }]);
    const { $schema: _dialect, ...sent } = answerSchema.schema;
    expect(body.generationConfig).toEqual({
      responseMimeType: 'application/json',
      responseJsonSchema: sent,
      temperature: 0.3,
      maxOutputTokens: 900,
    });
    expect(a.inputTokens).toBe(server.log[0]?.promptTokens);
    expect(a.outputTokens).toBe(server.log[0]?.completionTokens);
    expect(a.cachedInputTokens).toBeUndefined();
    expect(a.reasoningTokens).toBeUndefined();
  });

  it('structuredOutputs: json_schema by default, json_object the MIME type only, none neither; no schema, no responseJsonSchema', async () => {
    server = await startFakeGemini();
    const sent = async (provider: Record<string, unknown>, withSchema = true) => {
      const before = server.requests.length;
      await callProvider(fakeServerRole(server, 'gemini', provider), {
        messages,
        ...(withSchema ? { answerSchema } : {}),
      });
      return bodyOf(server, before).generationConfig ?? {};
    };
    expect(Object.keys(await sent({}))).toEqual(['responseMimeType', 'responseJsonSchema']);
    expect(await sent({}, false)).toEqual({ responseMimeType: 'application/json' });
    expect(await sent({ structuredOutputs: 'json_object' })).toEqual({
      responseMimeType: 'application/json',
    });
    expect(await sent({ structuredOutputs: 'none' })).toEqual({});
    // a role resolved by an earlier release (no structuredOutputs) asks as it did: JSON mode only
    const old: LlmCallRole = { ...fakeServerRole(server, 'gemini'), structuredOutputs: undefined };
    await callProvider(old, { messages, answerSchema });
    expect(bodyOf(server, 4).generationConfig).toEqual({ responseMimeType: 'application/json' });
  });

  it('a refused responseJsonSchema falls back at once to JSON mode, within the call, and is remembered per schema', async () => {
    resetGeminiSchemaRefusals();
    server = await startFakeGemini({ refuseJsonSchema: true });
    const warn = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
    try {
      const r = fakeServerRole(server, 'gemini');
      const a = await callProvider(r, { messages, answerSchema });
      expect(JSON.parse(a.text)).toHaveProperty('query');
      // the refused request (answered 400, so not in the log of answers) and the same one without the schema
      expect(server.requests.map((q) => Object.keys((q.body as Body).generationConfig ?? {}))).toEqual([
        ['responseMimeType', 'responseJsonSchema'],
        ['responseMimeType'],
      ]);
      expect(server.log.map((e) => e.status)).toEqual([200]);
      await callProvider(r, { messages, answerSchema });
      expect(bodyOf(server, 2).generationConfig).toEqual({ responseMimeType: 'application/json' });
      expect(warn).toHaveBeenCalledTimes(1);
      expect(String(warn.mock.calls[0]?.[0])).toMatch(
        /^magnet: provider p refused the answer schema of back_translate/,
      );
      // another role's schema is tried
      await callProvider(r, { messages, answerSchema: { ...answerSchema, name: 'simulate' } });
      expect(bodyOf(server, 3).generationConfig).toHaveProperty('responseJsonSchema');
      // a 400 about something else is no refusal of the schema: it fails as it is, sent once
      const other = await startFakeGemini({
        script: () => ({
          status: 400,
          body: { error: { code: 400, message: 'Request contains an invalid argument.' } },
        }),
      });
      try {
        const e = await rejection(callProvider(fakeServerRole(other, 'gemini'), { messages, answerSchema }));
        expect(e).toMatchObject({ status: 400, transient: false });
        expect(other.requests).toHaveLength(1);
      } finally {
        await other.close();
      }
      expect(warn).toHaveBeenCalledTimes(2);
    } finally {
      warn.mockRestore();
      resetGeminiSchemaRefusals();
    }
  });

  it('thoughts are output: thoughtsTokenCount added to outputTokens and said as reasoningTokens; cached input said', async () => {
    server = await startFakeGemini({
      cachedTokens: (prompt) => Math.floor(prompt / 2),
      thoughtsTokens: 120,
      thoughtText: 'Let me think about the query.',
    });
    const r = { ...fakeServerRole(server, 'gemini'), thinkingBudget: 512 };
    const a = await callProvider(r, { messages });
    // the thought part is not the answer
    expect(JSON.parse(a.text)).toHaveProperty('query');
    const entry = server.log[0];
    expect(a.inputTokens).toBe(entry?.promptTokens);
    expect(a.cachedInputTokens).toBe(Math.floor((entry?.promptTokens ?? 0) / 2));
    expect(a.reasoningTokens).toBe(120);
    expect(a.outputTokens).toBe((entry?.completionTokens ?? 0) + 120);
    expect(bodyOf(server).generationConfig?.thinkingConfig).toEqual({ thinkingBudget: 512 });
  });

  it('no SDK retry: a 503, a 500 and a 429 are one request each, transient, for Temporal to retry', async () => {
    server = await startFakeGemini({
      script: () => ({
        status: 503,
        body: { error: { code: 503, message: 'overloaded', status: 'UNAVAILABLE' } },
      }),
    });
    const e503 = await rejection(callProvider(fakeServerRole(server, 'gemini'), { messages }));
    expect(e503).toMatchObject({ status: 503, transient: true });
    expect(e503.message).toBe('p 503 error: overloaded');
    expect(server.requests).toHaveLength(1);
    server.setScript(undefined);
    server.setFaults({ rate500: 1 });
    expect(await rejection(callProvider(fakeServerRole(server, 'gemini'), { messages }))).toMatchObject({
      status: 500,
      transient: true,
    });
    expect(server.requests).toHaveLength(2);
    server.setFaults({ rate429: 1, retryAfterSeconds: 3 });
    const e429 = await rejection(callProvider(fakeServerRole(server, 'gemini'), { messages }));
    // the delay of the error body's google.rpc.RetryInfo
    expect(e429).toMatchObject({ status: 429, transient: true, retryAfterMs: 3000 });
    expect(server.requests).toHaveLength(3);
  });

  it('permanent: 400, 401, 403, 404; transient: a timeout, a refused connection', async () => {
    server = await startFakeGemini();
    const r = fakeServerRole(server, 'gemini');
    for (const status of [400, 401, 403, 404]) {
      server.setScript(() => ({ status, body: { error: { code: status, message: `no ${status}` } } }));
      expect(await rejection(callProvider(r, { messages }))).toMatchObject({ status, transient: false });
    }
    server.setScript(() => ({ hang: true }));
    const slow = await rejection(callProvider({ ...r, timeoutMs: 300 }, { messages }));
    expect(slow).toMatchObject({ status: undefined, transient: true });
    expect(slow.message).toBe('p: no answer within 300 ms');
    expect(server.requests).toHaveLength(5);
    const refused = fakeServerRole(server, 'gemini', { baseURL: await refusingURL() });
    const down = await rejection(callProvider(refused, { messages }));
    expect(down).toMatchObject({ status: undefined, transient: true });
    expect(down.message).toMatch(/fetch failed/);
  });
});

describe("Gemini: a 200 that is no answer is transient (the SDK's errors, classified by llm/faults)", () => {
  let server: FakeGemini;
  beforeEach(async () => {
    resetLimiter();
    server = await startFakeGemini();
  });
  afterEach(async () => server.close());

  it.each(WIRE_FAULTS.map((w) => [w]))(
    '%s: LlmUnavailable, retryable; the next attempt gets the answer',
    async (shape) => {
      const answer = JSON.stringify({ query: 'Book me a flight to Lisbon for Friday, please.' });
      server.setScript(({ requestIndex }) =>
        requestIndex === 0 ? { wire: shape as WireFault, content: answer } : { content: answer },
      );
      const r = fakeServerRole(server, 'gemini');
      const prompt = backTranslatePrompt(WIRE_FAULTS.indexOf(shape));
      const f = await failureOf(completeJson(r, prompt, backTranslateCheck));
      expect(f).toMatchObject({ type: 'LlmUnavailable', nonRetryable: false });
      expect((await completeJson(r, prompt, backTranslateCheck)).value.query).toContain('Lisbon');
      expect(server.log.map((e) => e.outcome)).toEqual(['wire', 'scripted']);
    },
  );
});

describe('Gemini on Vertex AI (@google/genai, vertexai: true)', () => {
  let server: FakeGemini;
  const savedCredentials = process.env.GOOGLE_APPLICATION_CREDENTIALS;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'magnet-vertex-'));
  const credentials = vertexCredentials('my-project');
  beforeEach(async () => {
    server = await startFakeGemini();
    // the SDK's google-auth-library finds these credentials in the environment (no API key anywhere)
    const file = path.join(dir, 'credentials.json');
    writeFileSync(file, JSON.stringify(credentials));
    process.env.GOOGLE_APPLICATION_CREDENTIALS = file;
  });
  afterEach(async () => {
    if (savedCredentials === undefined) delete process.env.GOOGLE_APPLICATION_CREDENTIALS;
    else process.env.GOOGLE_APPLICATION_CREDENTIALS = savedCredentials;
    await server.close();
  });
  const vertex = { vertexai: true, project: 'my-project', location: 'us-central1', apiKeyEnv: undefined };

  it('posts to projects/<p>/locations/<l>/publishers/google/models/<m>:generateContent with a bearer token, no key', async () => {
    const r = fakeServerRole(server, 'gemini', vertex);
    expect(r.vertex).toEqual({ project: 'my-project', location: 'us-central1' });
    expect(r.apiKeyEnv).toBe('');
    const a = await callProvider(r, { messages, answerSchema });
    expect(JSON.parse(a.text)).toHaveProperty('query');
    expect(server.requests).toHaveLength(1);
    expect(server.requests[0]).toMatchObject({
      path: '/v1beta1/projects/my-project/locations/us-central1/publishers/google/models/m:generateContent',
      auth: 'bearer',
      vertex: { project: 'my-project', location: 'us-central1' },
      model: 'm',
    });
    // the bearer token is the service account's (a JWT it signed), and no API key was sent
    expect(server.requests[0]?.bearer).toMatchObject({ iss: credentials.client_email });
    expect(server.requestsWithKey('sk-client-test')).toBe(false);
    expect(bodyOf(server).generationConfig).toHaveProperty('responseJsonSchema');
    // the conversation's turns as Gemini contents: assistant messages are the model's
    await callProvider(r, {
      messages: [...messages, { role: 'assistant', content: '{}' }, messages[1] as ChatMessage],
    });
    expect(server.requests[1]?.body).toMatchObject({
      contents: [{ role: 'user' }, { role: 'model' }, { role: 'user' }],
    });
  });

  it('preflight: the publisher models list with the environment credentials; refused ones and missing ones are named', async () => {
    const endpoint = {
      providerName: 'vx',
      baseURL: server.url,
      apiKeyEnv: '',
      vertex: { project: 'my-project', location: 'us-central1' },
    };
    expect(await gemini.preflight(endpoint, 3000)).toBeUndefined();
    expect(server.log).toHaveLength(0);
    const strict = await startFakeGemini({ apiKey: 'another-token' });
    try {
      const refused = await gemini.preflight({ ...endpoint, baseURL: strict.url }, 3000);
      // `strict` takes only another token
      expect(refused).toMatch(/^the Google Cloud credentials were refused \(HTTP 401\)/);
    } finally {
      await strict.close();
    }
    process.env.GOOGLE_APPLICATION_CREDENTIALS = path.join(dir, 'no-such-file.json');
    const missing = await gemini.preflight({ ...endpoint, providerName: 'vx2' }, 3000);
    expect(missing).toMatch(
      /^no Google Cloud credentials: .*no-such-file\.json.* — set GOOGLE_APPLICATION_CREDENTIALS/,
    );
    process.env.GOOGLE_APPLICATION_CREDENTIALS = path.join(dir, 'credentials.json');
    expect(await gemini.preflight({ ...endpoint, baseURL: await refusingURL() }, 3000)).toBe(
      'connection refused — check llm.providers.vx.baseURL',
    );
  });

  it('config: vertexai needs kind gemini, project and location, and no apiKeyEnv; project/location need vertexai', () => {
    const issues = (p: Record<string, unknown>): string[] => {
      const res = LlmConfig.safeParse({ providers: { g: p } });
      return res.success ? [] : res.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    };
    expect(issues({ kind: 'gemini', vertexai: true, project: 'p', location: 'global' })).toEqual([]);
    expect(issues({ kind: 'gemini', vertexai: true })).toEqual([
      'providers.g.project: Vertex AI (vertexai: true) needs the Google Cloud project id',
      'providers.g.location: Vertex AI (vertexai: true) needs a location (us-central1, global...)',
    ]);
    expect(
      issues({ kind: 'gemini', vertexai: true, project: 'p', location: 'l', apiKeyEnv: 'K' })[0],
    ).toMatch(/^providers\.g\.apiKeyEnv: Vertex AI takes the Google Cloud credentials/);
    expect(issues({ kind: 'openai', vertexai: true, project: 'p', location: 'l' })).toEqual([
      'providers.g.vertexai: Vertex AI is for providers of kind gemini',
    ]);
    expect(issues({ kind: 'gemini' })).toEqual([
      'providers.g.apiKeyEnv: required: the NAME of the environment variable holding the API key',
    ]);
    expect(issues({ kind: 'gemini', apiKeyEnv: 'K', project: 'p' })).toEqual([
      'providers.g.project: project is for Vertex AI: add vertexai: true (kind gemini)',
    ]);
  });
});
