import { validatorFor } from '../../src/tools/validators';

describe('validatorFor', () => {
  it('compiles a schema once per text, whatever object carries it', () => {
    const a = validatorFor({ type: 'object', properties: { n: { type: 'integer' } }, required: ['n'] });
    const b = validatorFor({ type: 'object', properties: { n: { type: 'integer' } }, required: ['n'] });
    expect(b).toBe(a);
    expect(a({ n: 1 })).toBe(true);
    expect(a({ n: 'one' })).toBe(false);
    expect(a({})).toBe(false);
  });

  it('takes two different schemas that share an $id (Ajv alone refuses the second)', () => {
    const first = validatorFor({ $id: 'https://example.com/args', type: 'string' });
    const second = validatorFor({ $id: 'https://example.com/args', type: 'number' });
    expect(first('x')).toBe(true);
    expect(second('x')).toBe(false);
    expect(second(2)).toBe(true);
  });

  it('throws on a schema that is not valid JSON Schema', () => {
    expect(() => validatorFor({ type: 'no-such-type' })).toThrow(/type/);
    // remembered with its error: the same schema fails the same way again
    expect(() => validatorFor({ type: 'no-such-type' })).toThrow(/type/);
  });
});
