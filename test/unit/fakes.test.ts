import { ApiError, GoogleGenAI } from '@google/genai';
import OpenAI, { APIConnectionError, APIError } from 'openai';
import { ROLES } from '../../src/roles';
import type { FnLite, TurnTask } from '../../src/roles/common';
import { inputBlock, roleLine, type Role } from '../../src/llm/protocol';
import { answer, BrainError } from '../fakes/brain';
import type { FakeServer } from '../fakes/common';
import { startFakeGemini, type FakeGemini } from '../fakes/gemini-server';
import { startFakeOpenAI } from '../fakes/openai-server';

const KEY = 'sk-fake-test-key-7f3a91';

const searchFlights: FnLite = {
  name: 'search_flights',
  description: 'Searches flights between two cities.',
  parameters: {
    type: 'object',
    properties: {
      origin: { type: 'string', description: 'City the flight leaves from' },
      destination: { type: 'string', description: 'City the flight goes to' },
    },
    required: ['origin', 'destination'],
  },
  output: {
    type: 'object',
    properties: {
      flight_id: { type: 'string', description: 'Id of the cheapest flight' },
      price: { type: 'number', description: 'Price in USD' },
    },
  },
};

const bookFlight: FnLite = {
  name: 'book_flight',
  description: 'Books a flight for the user.',
  parameters: {
    type: 'object',
    properties: { flight_id: { type: 'string', description: 'Flight to book' } },
    required: ['flight_id'],
  },
  output: {
    type: 'object',
    properties: { booking_id: { type: 'string' }, status: { type: 'string' } },
  },
};

function turnTask(turnIndex = 0): TurnTask {
  return {
    turnIndex,
    turn: {
      functions: [
        { name: 'search_flights', via: 'walk' },
        { name: 'book_flight', via: 'walk' },
      ],
      labels: ['walk', 'merge'],
    },
    functions: [searchFlights, bookFlight],
    history: [],
    previousQueries: [],
  };
}

function systemFor(role: Role): string {
  return `${roleLine(role, 1)}\nYou are a careful assistant. Answer with one JSON object.`;
}

function userFor(input: unknown): string {
  return `Do the task described below.${inputBlock(input)}`;
}

function openai(server: FakeServer, extra: Partial<ConstructorParameters<typeof OpenAI>[0]> = {}): OpenAI {
  return new OpenAI({ apiKey: KEY, baseURL: `${server.url}/v1`, maxRetries: 0, ...extra });
}

/** Not async: the SDK's APIPromise (with .withResponse()) is returned as is. */
function chat(
  client: OpenAI,
  role: Role,
  input: unknown,
  extraMessages: OpenAI.Chat.ChatCompletionMessageParam[] = [],
) {
  return client.chat.completions.create({
    model: 'gpt-fake',
    temperature: 0,
    max_completion_tokens: 2000,
    response_format: { type: 'json_object' },
    messages: [
      { role: 'system', content: systemFor(role) },
      { role: 'user', content: userFor(input) },
      ...extraMessages,
    ],
  });
}

/** generateContent of the real @google/genai SDK against the fake, as the provider sends it. */
function gemini(server: FakeServer, role: Role, timeout?: number) {
  const ai = new GoogleGenAI({
    apiKey: KEY,
    httpOptions: {
      baseUrl: server.url,
      ...(timeout !== undefined ? { timeout } : {}),
      // Node's fetch (the SDK's own dispatcher needs Node's global object, which Jest's sandbox is not)
      fetch: (input, init) => fetch(input, init),
    },
  });
  const config = {
    systemInstruction: systemFor(role),
    responseMimeType: 'application/json',
    temperature: 0,
  };
  return {
    generateContent: (contents: string | { role: string; parts: { text: string }[] }[]) =>
      ai.models.generateContent({ model: 'gemini-fake', contents, config }),
    generateContentStream: (contents: string) =>
      ai.models.generateContentStream({ model: 'gemini-fake', contents, config }),
  };
}

async function caught(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (e) {
    return e;
  }
  throw new Error('expected a rejection');
}

describe('brain', () => {
  it('answers every role with valid outputs computed by the offline rules', () => {
    const judge = ROLES.dependency_judge.output.parse(
      answer('dependency_judge', { function: searchFlights, candidates: [bookFlight] }),
    );
    expect(judge.edges).toEqual([
      expect.objectContaining({
        to: 'book_flight',
        relation: 'input',
        feeds: [{ param: 'flight_id', field: 'flight_id' }],
      }),
    ]);
    const nested = ROLES.nested_judge.output.parse(
      answer('nested_judge', { function: searchFlights, candidates: [bookFlight, searchFlights] }),
    );
    expect(nested.nested).toEqual([{ name: 'book_flight' }]);

    const { query } = ROLES.back_translate.output.parse(answer('back_translate', turnTask()));
    expect(query).toMatch(/"/);
    const forth = ROLES.forth_translate.output.parse(answer('forth_translate', { ...turnTask(), query }));
    expect(forth.calls.map((c) => c.name)).toEqual(['search_flights', 'book_flight']);
    expect(forth.calls[1]?.arguments).toEqual({ flight_id: { $from: 'call_1_1.flight_id' } });
    expect(Object.keys(forth.calls[0]?.arguments ?? {}).sort()).toEqual(['destination', 'origin']);

    const sim = ROLES.simulate.output.parse(
      answer('simulate', { function: searchFlights, arguments: forth.calls[0]?.arguments, history: [] }),
    );
    expect(sim.output).toEqual(expect.objectContaining({ flight_id: expect.any(String) }));
    // deterministic
    expect(
      answer('simulate', {
        function: searchFlights,
        arguments: { origin: 'a', destination: 'b' },
        history: [],
      }),
    ).toEqual(
      answer('simulate', {
        function: searchFlights,
        arguments: { origin: 'a', destination: 'b' },
        history: [],
      }),
    );

    const calls = [
      {
        id: 'call_1_1',
        name: 'search_flights',
        arguments: { origin: 'a', destination: 'b' },
        output: { flight_id: 'f1', price: 3 },
      },
      {
        id: 'call_1_2',
        name: 'book_flight',
        arguments: { flight_id: 'f1' },
        output: { booking_id: 'b1', status: 'ok' },
      },
    ];
    const teacherInput = { ...turnTask(), query, calls, steps: [['call_1_1'], ['call_1_2']] };
    const teacher = ROLES.teacher.output.parse(answer('teacher', teacherInput));
    expect(teacher.steps).toHaveLength(2);
    expect(teacher.final).toContain('flight id: f1');

    const task = turnTask();
    const student = answer('student', {
      turnIndex: 0,
      query,
      previousQueries: [],
      history: [],
      tools: task.functions,
      sample: 0,
    }) as { calls: { name: string }[] };
    // both functions are asked for explicitly here, so the rule-based student gets both
    expect(student.calls.map((c) => c.name)).toEqual(['search_flights', 'book_flight']);
    const judged = { query, labels: ['walk'], previousQueries: [], history: [], reference: forth.calls };
    expect(answer('error_judge', { ...judged, candidate: student.calls.slice(0, 1) })).toEqual({
      errors: [{ type: 'nested_missing', detail: expect.stringContaining('book_flight') }],
    });
    expect(answer('error_judge', { ...judged, candidate: forth.calls })).toEqual({ errors: [] });
    expect(answer('negative_teacher', { ...teacherInput, errors: [] })).toEqual({
      steps: teacher.steps,
      final: 'I completed the request.',
    });
  });

  it('answers no calls for an empty (missing) turn', () => {
    const task = {
      ...turnTask(),
      turn: {
        functions: [],
        labels: ['miss_func' as const],
        missing: { kind: 'miss_func' as const, function: 'book_flight' },
      },
      functions: [],
      missingFunction: bookFlight,
    };
    expect(answer('forth_translate', { ...task, query: 'anything' })).toEqual({ calls: [] });
    expect(ROLES.back_translate.output.parse(answer('back_translate', task)).query).toMatch(/book a flight/);
  });

  it('rejects invalid inputs with a clear error', () => {
    expect(() => answer('back_translate', { turnIndex: 0 })).toThrow(BrainError);
    expect(() => answer('back_translate', { turnIndex: 0 })).toThrow(
      /back_translate: invalid input[\s\S]*turn/,
    );
    expect(() => answer('teacher', { ...turnTask(), query: 'q', calls: [], steps: [['nope']] })).toThrow(
      /unknown call id "nope"/,
    );
  });
});

describe('fake OpenAI server (real openai SDK)', () => {
  let server: FakeServer;
  afterEach(async () => {
    await server?.close();
  });

  it('answers a back_translate request; usage and rate-limit headers match the log', async () => {
    server = await startFakeOpenAI();
    const { data, response } = await chat(openai(server), 'back_translate', turnTask()).withResponse();
    const content = data.choices[0]?.message.content ?? '';
    expect(ROLES.back_translate.output.parse(JSON.parse(content))).toEqual(
      answer('back_translate', turnTask()),
    );
    expect(data.choices[0]?.finish_reason).toBe('stop');

    expect(server.log).toHaveLength(1);
    const entry = server.log[0];
    expect(entry).toMatchObject({
      index: 0,
      role: 'back_translate',
      status: 200,
      outcome: 'ok',
      apiKeySeen: true,
    });
    expect(data.usage).toEqual({
      prompt_tokens: entry?.promptTokens,
      completion_tokens: entry?.completionTokens,
      total_tokens: (entry?.promptTokens ?? 0) + (entry?.completionTokens ?? 0),
    });
    const chars = systemFor('back_translate').length + userFor(turnTask()).length;
    expect(entry?.promptTokens).toBe(Math.ceil(chars / 4));
    expect(entry?.completionTokens).toBe(Math.ceil(content.length / 4));
    expect(server.totals()).toEqual({
      requests: 1,
      successes: 1,
      promptTokens: entry?.promptTokens,
      completionTokens: entry?.completionTokens,
    });

    expect(response.headers.get('x-ratelimit-limit-tokens')).toBe('1000000');
    expect(response.headers.get('x-ratelimit-reset-tokens')).toBe('1s');
    expect(Number(response.headers.get('x-ratelimit-remaining-tokens'))).toBe(
      1_000_000 - (data.usage?.total_tokens ?? 0),
    );
    expect(response.headers.get('x-ratelimit-remaining-requests')).toBe('9999');

    expect(server.requestsWithKey(KEY)).toBe(true);
    expect(server.requestsWithKey('sk-other')).toBe(false);
    expect(JSON.stringify(server.log)).not.toContain(KEY);
  });

  it('answers 429 with retry-after and an OpenAI error body', async () => {
    server = await startFakeOpenAI({ faults: { rate429: 1, retryAfterSeconds: 7 } });
    const err = await caught(chat(openai(server), 'back_translate', turnTask()));
    expect(err).toBeInstanceOf(APIError);
    const e = err as APIError;
    expect(e.status).toBe(429);
    expect(e.headers?.get('retry-after')).toBe('7');
    expect(e.code).toBe('rate_limit_exceeded');
    expect(server.log[0]).toMatchObject({ status: 429, outcome: '429', promptTokens: 0 });
    expect(server.totals()).toEqual({ requests: 1, successes: 0, promptTokens: 0, completionTokens: 0 });
  });

  it('answers 500 as a server error', async () => {
    server = await startFakeOpenAI({ faults: { rate500: 1 } });
    const err = await caught(chat(openai(server), 'back_translate', turnTask()));
    expect((err as APIError).status).toBe(500);
    expect(server.log[0]?.outcome).toBe('500');
  });

  it('answers malformed JSON, but never on a repair turn', async () => {
    server = await startFakeOpenAI({ faults: { rateMalformed: 1 } });
    const client = openai(server);
    const first = await chat(client, 'back_translate', turnTask());
    const bad = first.choices[0]?.message.content ?? '';
    expect(() => JSON.parse(bad)).toThrow();
    expect(server.log[0]).toMatchObject({ status: 200, outcome: 'malformed' });

    const repaired = await chat(client, 'back_translate', turnTask(), [
      { role: 'assistant', content: bad },
      { role: 'user', content: 'Your answer was not valid JSON. Answer again with one JSON object.' },
    ]);
    const good = JSON.parse(repaired.choices[0]?.message.content ?? '') as unknown;
    expect(good).toEqual(answer('back_translate', turnTask()));
    expect(server.log[1]).toMatchObject({ status: 200, outcome: 'ok' });
    expect(server.successes().map((e) => e.index)).toEqual([1]);
  });

  it('hallucinates an unknown function in forth_translate only, never on a repair turn', async () => {
    server = await startFakeOpenAI({ faults: { rateHallucinate: 1 } });
    const client = openai(server);
    const { query } = answer('back_translate', turnTask()) as { query: string };
    const input = { ...turnTask(), query };
    const first = await chat(client, 'forth_translate', input);
    const calls = ROLES.forth_translate.output.parse(
      JSON.parse(first.choices[0]?.message.content ?? ''),
    ).calls;
    const known = new Set(input.functions.map((f) => f.name));
    expect(calls.some((c) => !known.has(c.name))).toBe(true);
    expect(server.log[0]?.outcome).toBe('hallucinated');

    const repaired = await chat(client, 'forth_translate', input, [
      { role: 'assistant', content: first.choices[0]?.message.content ?? '' },
      { role: 'user', content: 'lookup_everything_v2 is not one of the functions.' },
    ]);
    expect(JSON.parse(repaired.choices[0]?.message.content ?? '')).toEqual(answer('forth_translate', input));
    // other roles are unaffected
    await chat(client, 'back_translate', turnTask());
    expect(server.log.map((e) => e.outcome)).toEqual(['hallucinated', 'ok', 'ok']);
  });

  it('times out on a scripted hang', async () => {
    server = await startFakeOpenAI({ script: () => ({ hang: true }) });
    const t0 = Date.now();
    const err = await caught(chat(openai(server, { timeout: 300 }), 'back_translate', turnTask()));
    expect(Date.now() - t0).toBeGreaterThanOrEqual(290);
    // Plain node gives APIConnectionTimeoutError; under jest the fetch AbortError is a DOMException of
    // another realm, which the SDK's castToError turns into a plain Error, so only APIConnectionError
    // (its base class) is reliable here.
    expect(err).toBeInstanceOf(APIConnectionError);
    expect(server.log[0]).toMatchObject({ status: 0, outcome: 'hang' });
  });

  it('plays scripted statuses, contents and delays, and sees role and input', async () => {
    const seen: { role?: string; index: number; repair: boolean }[] = [];
    server = await startFakeOpenAI();
    server.setScript(({ role, input, requestIndex, repair }) => {
      seen.push({ role, index: requestIndex, repair });
      expect(input).toEqual(turnTask());
      if (requestIndex === 0)
        return { status: 503, body: { error: { message: 'overloaded' } }, headers: { 'x-test': '1' } };
      if (requestIndex === 1) return { content: 'not json at all' };
      if (requestIndex === 2) return { delayMs: 50 };
      return undefined;
    });
    const client = openai(server);
    const err = (await caught(chat(client, 'back_translate', turnTask()))) as APIError;
    expect(err.status).toBe(503);
    expect(err.headers?.get('x-test')).toBe('1');
    expect((await chat(client, 'back_translate', turnTask())).choices[0]?.message.content).toBe(
      'not json at all',
    );
    const t0 = Date.now();
    const third = await chat(client, 'back_translate', turnTask());
    expect(Date.now() - t0).toBeGreaterThanOrEqual(45);
    expect(JSON.parse(third.choices[0]?.message.content ?? '')).toEqual(answer('back_translate', turnTask()));
    expect(seen).toEqual([0, 1, 2].map((index) => ({ role: 'back_translate', index, repair: false })));
    expect(server.log.map((e) => [e.status, e.outcome])).toEqual([
      [503, 'scripted'],
      [200, 'scripted'],
      [200, 'ok'],
    ]);
    expect(server.successes()).toHaveLength(2);
  });

  it('answers 400 with the reason for an invalid task input or a missing role line', async () => {
    server = await startFakeOpenAI();
    const client = openai(server);
    const err = (await caught(chat(client, 'back_translate', { turnIndex: 0 }))) as APIError;
    expect(err.status).toBe(400);
    expect(err.message).toMatch(/back_translate: invalid input/);
    const err2 = (await caught(
      client.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'hi' }] }),
    )) as APIError;
    expect(err2.status).toBe(400);
    expect(err2.message).toMatch(/magnet-role/);
    expect(server.log.map((e) => e.outcome)).toEqual(['bad_request', 'bad_request']);
  });

  it('draws faults deterministically from the seed, body hash and attempt', async () => {
    const run = async (seed: number): Promise<string[]> => {
      server = await startFakeOpenAI({ faults: { rate429: 0.3, rate500: 0.2, rateMalformed: 0.2, seed } });
      const client = openai(server);
      for (let i = 0; i < 8; i++) {
        // each body twice: the retry is a new attempt, so it may get a different outcome
        for (let k = 0; k < 2; k++) await chat(client, 'back_translate', turnTask(i)).catch(() => undefined);
      }
      const outcomes = server.log.map((e) => e.outcome);
      expect(server.log.map((e) => e.attempt)).toEqual(Array.from({ length: 16 }, (_, j) => j % 2));
      await server.close();
      return outcomes;
    };
    const a = await run(42);
    expect(await run(42)).toEqual(a);
    expect(new Set(a).size).toBeGreaterThan(1);
    expect(await run(43)).not.toEqual(a);
    server = await startFakeOpenAI();
  });
});

describe('fake Gemini server (real @google/genai SDK)', () => {
  let server: FakeServer;
  afterEach(async () => {
    await server?.close();
  });

  it('answers a back_translate request; usage matches the log; the key is never logged', async () => {
    server = await startFakeGemini();
    const res = await gemini(server, 'back_translate').generateContent(userFor(turnTask()));
    const text = res.text ?? '';
    expect(ROLES.back_translate.output.parse(JSON.parse(text))).toEqual(answer('back_translate', turnTask()));
    const entry = server.log[0];
    expect(entry).toMatchObject({ role: 'back_translate', status: 200, outcome: 'ok', apiKeySeen: true });
    const chars = systemFor('back_translate').length + userFor(turnTask()).length;
    expect(res.usageMetadata).toEqual({
      promptTokenCount: Math.ceil(chars / 4),
      candidatesTokenCount: Math.ceil(text.length / 4),
      totalTokenCount: Math.ceil(chars / 4) + Math.ceil(text.length / 4),
    });
    expect(entry?.promptTokens).toBe(res.usageMetadata?.promptTokenCount);
    expect(entry?.completionTokens).toBe(res.usageMetadata?.candidatesTokenCount);
    expect(res.candidates?.[0]?.finishReason).toBe('STOP');
    expect(server.requestsWithKey(KEY)).toBe(true);
    expect(JSON.stringify(server.log)).not.toContain(KEY);
  });

  it('answers 429 with retry-after and a RetryInfo detail in the error body', async () => {
    server = await startFakeGemini({ faults: { rate429: 1, retryAfterSeconds: 3 } });
    const err = await caught(gemini(server, 'back_translate').generateContent(userFor(turnTask())));
    expect(err).toBeInstanceOf(ApiError);
    const e = err as ApiError;
    expect(e.status).toBe(429);
    // the SDK's message is the error body as JSON
    expect((JSON.parse(e.message) as { error: { details: unknown } }).error.details).toEqual([
      { '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: '3s' },
    ]);
    // the header is there too (the SDK drops headers, so check with plain fetch)
    const raw = await fetch(`${server.url}/v1beta/models/gemini-fake:generateContent`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ contents: [{ role: 'user', parts: [{ text: 'x' }] }] }),
    });
    expect(raw.status).toBe(429);
    expect(raw.headers.get('retry-after')).toBe('3');
    expect(server.log.map((l) => l.apiKeySeen)).toEqual([true, false]);
  });

  it('answers malformed JSON, but never on a repair turn', async () => {
    server = await startFakeGemini({ faults: { rateMalformed: 1 } });
    const model = gemini(server, 'back_translate');
    const first = await model.generateContent(userFor(turnTask()));
    const bad = first.text ?? '';
    expect(() => JSON.parse(bad)).toThrow();
    const repaired = await model.generateContent([
      { role: 'user', parts: [{ text: userFor(turnTask()) }] },
      { role: 'model', parts: [{ text: bad }] },
      { role: 'user', parts: [{ text: 'That was not valid JSON. Answer again.' }] },
    ]);
    expect(JSON.parse(repaired.text ?? '')).toEqual(answer('back_translate', turnTask()));
    expect(server.log.map((e) => e.outcome)).toEqual(['malformed', 'ok']);
  });

  it('times out on a scripted hang', async () => {
    server = await startFakeGemini({ script: () => ({ hang: true }) });
    const err = await caught(gemini(server, 'back_translate', 300).generateContent(userFor(turnTask())));
    // the SDK's abort (in Jest, fetch's error comes from Node's realm: the SDK wraps it, the abort as cause)
    expect([(err as Error).name, ((err as Error).cause as Error | undefined)?.name]).toContain('AbortError');
    expect(server.log[0]?.outcome).toBe('hang');
  });

  it('answers 404 for other routes (streaming is not faked)', async () => {
    server = await startFakeGemini();
    const err = await caught(gemini(server, 'back_translate').generateContentStream(userFor(turnTask())));
    expect((err as ApiError).status).toBe(404);
    expect(server.log).toHaveLength(0);
  });

  it('refuses what the real API refuses: unknown fields, a bad role, a schema without the JSON MIME type', async () => {
    server = await startFakeGemini();
    const post = async (body: unknown): Promise<{ status: number; message?: string }> => {
      const res = await fetch(`${server.url}/v1beta/models/gemini-fake:generateContent`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      const answer = (await res.json()) as { error?: { message: string } };
      return { status: res.status, ...(answer.error ? { message: answer.error.message } : {}) };
    };
    const contents = [{ role: 'user', parts: [{ text: userFor(turnTask()) }] }];
    const systemInstruction = { parts: [{ text: systemFor('back_translate') }] };
    expect(await post({ contents, systemInstruction, generation_config: {} })).toEqual({
      status: 400,
      message: expect.stringContaining('Unknown name "generation_config"'),
    });
    expect(await post({ contents, systemInstruction, generationConfig: { responseFormat: 'json' } })).toEqual(
      {
        status: 400,
        message: expect.stringContaining(`Unknown name "responseFormat" at 'generation_config'`),
      },
    );
    expect(await post({ contents: [{ role: 'assistant', parts: [{ text: 'x' }] }] })).toMatchObject({
      status: 400,
      message: expect.stringContaining('valid role'),
    });
    const schema = { type: 'object' };
    expect(
      await post({ contents, systemInstruction, generationConfig: { responseJsonSchema: schema } }),
    ).toEqual({
      status: 400,
      message: expect.stringContaining('responseMimeType application/json'),
    });
    const generationConfig = { responseMimeType: 'application/json', responseJsonSchema: schema };
    expect(await post({ contents, systemInstruction, generationConfig })).toEqual({ status: 200 });
    // refused bodies are answered before the log: only the good one is there
    expect(server.log.map((e) => e.status)).toEqual([200]);
    expect((server as FakeGemini).requests).toHaveLength(5);
  });
});
