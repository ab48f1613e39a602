import { formatNames } from 'ajv-formats/dist/formats';
import fc from 'fast-check';
import type { JsonSchemaT } from '../../src/core/pool';
import { coerceValue, renderValue, userValue } from '../../src/core/values';
import { validatorFor } from '../../src/tools/validators';

const SEEDS = Array.from({ length: 20 }, (_, i) => i + 1);
const draws = (param: string, schema: JsonSchemaT): unknown[] =>
  SEEDS.map((s) => userValue(s, param, schema));
const valid = (schema: JsonSchemaT, v: unknown): boolean => validatorFor(schema)(v) === true;

/** What forth-translation reads back out of `the <param> "<text>"`: the text between the double quotes. */
function roundTrip(v: unknown, schema: JsonSchemaT): unknown {
  const text = renderValue(v);
  expect(text).not.toContain('"');
  const m = /the value "([^"]*)"/.exec(`Please use the value "${text}" now.`);
  return coerceValue(m?.[1] as string, schema);
}

describe('userValue sources, in order', () => {
  it('takes hints first, even over an enum', () => {
    const v = userValue(1, 'file', { type: 'string', enum: ['a', 'b'] }, { file: ['notes.txt'] });
    expect(v).toBe('notes.txt');
  });

  it('picks an enum member', () => {
    for (const v of draws('mode', { type: 'string', enum: ['fast', 'slow'] }))
      expect(['fast', 'slow']).toContain(v);
  });

  it('picks one of the examples, skipping one that does not validate', () => {
    const schema = { type: 'string', maxLength: 4, examples: ['toolong', 'EUR', 'USD'] };
    for (const v of draws('currency', schema)) expect(['EUR', 'USD']).toContain(v);
  });

  it('uses the default, then const', () => {
    expect(userValue(3, 'limit', { type: 'integer', default: 25 })).toBe(25);
    expect(userValue(3, 'kind', { type: 'string', const: 'event' })).toBe('event');
    // a default outside the enum is passed over for the enum
    expect(userValue(3, 'kind', { type: 'string', enum: ['a'], default: 'z' })).toBe('a');
  });

  it.each([
    ["IANA time zone, e.g., 'America/New_York'", ['America/New_York']],
    ['Time zone name (e.g. "UTC")', ['UTC']],
    ["Currency code such as 'EUR' or 'USD'", ['EUR', 'USD']],
    ["Distance unit, for example: 'km'", ['km']],
    ['The day, like "2024-01-31"', ['2024-01-31']],
  ])('takes a quoted example from the description: %s', (description, allowed) => {
    for (const v of draws('setting', { type: 'string', description })) expect(allowed).toContain(v);
  });

  it('reads a description example in the parameter type, and only when it validates', () => {
    expect(userValue(1, 'count', { type: 'integer', description: "How many, e.g. '12'" })).toBe(12);
    const v = userValue(1, 'zone', { type: 'string', maxLength: 3, description: "e.g., 'America/New_York'" });
    expect(v).not.toBe('America/New_York');
    expect(valid({ type: 'string', maxLength: 3 }, v)).toBe(true);
  });

  it('ignores quoted text without a cue word', () => {
    const v = userValue(1, 'city', { type: 'string', description: "The 'home' city" });
    expect(v).not.toBe('home');
  });

  it.each([
    ['date', /^2026-(0[1-9]|1[0-2])-(0[1-9]|1\d|2[0-8])$/],
    ['date-time', /^\d{4}-\d\d-\d\dT\d\d:\d\d:00Z$/],
    ['time', /^\d\d:\d\d:00Z$/],
    ['uuid', /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/],
    ['email', /^[a-z]+@example\.com$/],
    ['uri', /^https:\/\/example\.com\/\w+$/],
    ['url', /^https:\/\/example\.com\/\w+$/],
    ['hostname', /^[a-z]+\.example\.com$/],
    ['ipv4', /^192\.0\.2\.(\d{1,3})$/],
    ['ipv6', /^2001:db8::[0-9a-f]{1,4}$/],
  ])('writes format %s', (format, shape) => {
    for (const v of draws('thing', { type: 'string', format })) expect(v).toMatch(shape);
  });

  // formats are checked (ajv-formats): a drawn value of each string format passes the check arguments get
  const NUMBER_FORMATS = new Set(['int32', 'int64', 'float', 'double']);
  it.each(formatNames.filter((f) => !NUMBER_FORMATS.has(f)))(
    'writes a valid value of format %s',
    (format) => {
      const schema = { type: 'string', format };
      for (const v of draws('thing', schema)) {
        expect(typeof v).toBe('string');
        expect([format, v, valid(schema, v)]).toEqual([format, v, true]);
      }
    },
  );

  it('checks formats: a value breaking one is not valid', () => {
    expect(valid({ type: 'string', format: 'uuid' }, 'not-a-uuid')).toBe(false);
    expect(valid({ type: 'string', format: 'date' }, '2026-02-30')).toBe(false);
    expect(valid({ type: 'string', format: 'email' }, 'bob at example')).toBe(false);
    expect(valid({ type: 'string', format: 'time' }, '14:30:00')).toBe(false);
    // a format ajv-formats does not know is ignored, not an error
    expect(valid({ type: 'string', format: 'phone-ish' }, 'anything')).toBe(true);
  });

  it('derives uuids from the seed: same seed same uuid, different seeds differ', () => {
    const schema = { type: 'string', format: 'uuid' };
    expect(userValue(5, 'id', schema)).toBe(userValue(5, 'id', schema));
    expect(new Set(draws('id', schema)).size).toBe(SEEDS.length);
  });

  it.each(['^[A-Z]{3}-\\d{4}$', '^[a-z]+(_[a-z]+)*$', '\\d{5}', '^(GET|POST)/v[12]/.+$'])(
    'writes a string matching pattern %s',
    (pattern) => {
      for (const v of draws('code', { type: 'string', pattern })) {
        expect(typeof v).toBe('string');
        expect(new RegExp(pattern, 'u').test(v as string)).toBe(true);
        expect(v).not.toContain('"');
      }
    },
  );

  it('keeps a pattern value within minLength/maxLength', () => {
    const schema = { type: 'string', pattern: '^[a-z]+$', minLength: 3, maxLength: 5 };
    for (const v of draws('word', schema)) expect(valid(schema, v)).toBe(true);
  });

  it('falls back to name rules, no placeholder for a time zone, password or unit', () => {
    expect(userValue(1, 'timezone', { type: 'string' })).not.toMatch(/^timezone-\d+$/);
    expect(userValue(1, 'password', { type: 'string' })).not.toMatch(/^password-\d+$/);
    expect(userValue(1, 'unit_in', { type: 'string' })).not.toMatch(/^unit-in-\d+$/);
    expect(typeof userValue(1, 'city', { type: 'string' })).toBe('string');
  });

  it('respects string length bounds', () => {
    for (const schema of [
      { type: 'string', minLength: 30 },
      { type: 'string', maxLength: 4 },
    ])
      for (const v of draws('message', schema)) expect(valid(schema, v)).toBe(true);
  });

  it.each<JsonSchemaT>([
    { type: 'integer', minimum: 3, maximum: 7 },
    { type: 'number', minimum: -2.5, maximum: -1 },
    { type: 'integer', exclusiveMinimum: 0, exclusiveMaximum: 3 },
    { type: 'number', exclusiveMinimum: 0, maximum: 1 },
    { type: 'integer', minimum: 1, maximum: 100, multipleOf: 5 },
    { type: 'number', minimum: 0, maximum: 2, multipleOf: 0.25 },
    { type: 'integer', maximum: -5 },
    { type: 'integer', minimum: 1000 },
  ])('keeps numbers within %j', (schema) => {
    for (const v of draws('amount', schema)) expect(valid(schema, v)).toBe(true);
  });

  it('builds every required property of a nested object, and no optional one', () => {
    const schema: JsonSchemaT = {
      type: 'object',
      properties: {
        street: { type: 'string' },
        zip: { type: 'string', pattern: '^\\d{5}$' },
        geo: {
          type: 'object',
          properties: { lat: { type: 'number', minimum: -90, maximum: 90 }, note: { type: 'string' } },
          required: ['lat'],
        },
        note: { type: 'string' },
      },
      required: ['street', 'zip', 'geo'],
    };
    for (const v of draws('address', schema)) {
      expect(Object.keys(v as object).sort()).toEqual(['geo', 'street', 'zip']);
      expect(Object.keys((v as { geo: object }).geo)).toEqual(['lat']);
      expect(valid(schema, v)).toBe(true);
    }
    // an object without required properties gets all of them
    expect(userValue(1, 'opts', { type: 'object', properties: { a: { type: 'boolean' } } })).toEqual({
      a: true,
    });
  });

  it('builds arrays of objects within minItems/maxItems', () => {
    const schema: JsonSchemaT = {
      type: 'array',
      minItems: 1,
      maxItems: 3,
      items: {
        type: 'object',
        properties: { name: { type: 'string' }, qty: { type: 'integer', minimum: 1, maximum: 9 } },
        required: ['name', 'qty'],
      },
    };
    for (const v of draws('items', schema)) {
      expect(valid(schema, v)).toBe(true);
      for (const item of v as object[]) expect(Object.keys(item)).toEqual(['name', 'qty']);
    }
    for (const v of draws('tags', { type: 'array', items: { type: 'string' }, minItems: 6 }))
      expect((v as unknown[]).length).toBe(6);
  });

  it('takes the first non-null branch of a nullable, anyOf or oneOf schema', () => {
    expect(typeof userValue(1, 'count', { type: ['null', 'integer'] })).toBe('number');
    const anyOf = { anyOf: [{ type: 'null' }, { type: 'string', format: 'uuid' }] };
    expect(userValue(1, 'id', anyOf)).toMatch(/^[0-9a-f-]{36}$/);
    const oneOf = { oneOf: [{ type: 'object', properties: { a: { type: 'integer' } }, required: ['a'] }] };
    expect(Object.keys(userValue(1, 'x', oneOf) as object)).toEqual(['a']);
  });

  it('is deterministic: same seed same value, whatever the schema', () => {
    const schema: JsonSchemaT = {
      type: 'array',
      items: {
        type: 'object',
        properties: { code: { type: 'string', pattern: '^[A-Z]{2}\\d+$' } },
        required: ['code'],
      },
    };
    for (const s of SEEDS) expect(userValue(s, 'codes', schema)).toEqual(userValue(s, 'codes', schema));
    expect(new Set(draws('codes', schema).map((v) => JSON.stringify(v))).size).toBeGreaterThan(1);
  });
});

describe('renderValue / coerceValue', () => {
  it('writes objects and arrays of objects readably, never [object Object]', () => {
    expect(renderValue({ name: 'pen', qty: 2 })).toBe("{name: 'pen', qty: 2}");
    expect(renderValue([{ a: 1 }, { a: 2 }])).toBe('[{a: 1}, {a: 2}]');
    expect(renderValue(['a', 'b', 'c'])).toBe('a, b, c');
    expect(renderValue("O'Brien")).toBe("O'Brien");
  });

  it.each<[unknown, JsonSchemaT]>([
    [{ name: 'pen', qty: 2, tags: ['red', 'blue'], ok: true, none: null }, { type: 'object' }],
    [
      [
        { name: "Bob's pen", qty: 2 },
        { name: 'say "hi"', qty: 3.5 },
      ],
      { type: 'array', items: { type: 'object' } },
    ],
    [{ 'odd key': { nested: ["it's", 'a, b'] } }, { type: 'object' }],
    ['O\'Brien\'s "quoted" text', { type: 'string' }],
    ["'already quoted'", { type: 'string' }],
    ['line one\nline two', { type: 'string' }],
    ['{not an object}', { type: 'string' }],
    [["it's", 'a, b', ''], { type: 'array', items: { type: 'string' } }],
    [[1, 2.5, 3], { type: 'array', items: { type: 'number' } }],
    [[3, 'a'], { type: 'array', items: [{ type: 'integer' }, { type: 'string' }] }],
    [[], { type: 'array', items: { type: 'string' } }],
    [42, { type: 'integer' }],
    [false, { type: 'boolean' }],
    [{ a: 1 }, { anyOf: [{ type: 'null' }, { type: 'object' }] }],
  ])('round-trips %j', (value, schema) => {
    expect(roundTrip(value, schema)).toEqual(value);
  });

  it('round-trips every value userValue draws', () => {
    const schemas: JsonSchemaT[] = [
      {
        type: 'object',
        properties: { name: { type: 'string' }, at: { type: 'string', format: 'date-time' } },
        required: ['name', 'at'],
      },
      { type: 'array', items: { type: 'object', properties: { q: { type: 'integer' } }, required: ['q'] } },
      { type: 'array', items: { type: 'string', pattern: "^[a-z' ,]{1,8}$" } },
      { type: 'string', pattern: '^.{3,10}$' },
      { type: 'number', minimum: 0, maximum: 1 },
    ];
    for (const schema of schemas)
      for (const v of draws('field', schema)) expect(roundTrip(v, schema)).toEqual(v);
  });

  it('round-trips arbitrary JSON objects and strings', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (v) => {
        const value = JSON.parse(JSON.stringify({ v })) as unknown;
        expect(roundTrip(value, { type: 'object' })).toEqual(value);
      }),
    );
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme' }), (s) => {
        expect(roundTrip(s, { type: 'string' })).toBe(s);
      }),
    );
  });

  it('still reads the older JSON-with-single-quotes object form', () => {
    expect(coerceValue("{'a': 1}", { type: 'object' })).toEqual({ a: 1 });
  });
});
