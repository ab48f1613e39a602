import {
  leafName,
  outputPaths,
  outputValues,
  parseField,
  schemaAtField,
  valueAtField,
} from '../../src/core/fields';
import type { JsonSchemaT } from '../../src/core/pool';

describe('field paths into outputs', () => {
  const out = {
    total: 2,
    owner: { id: 'u1', name: 'Ann' },
    books: [{ title: 'No id' }, { book_id: 'b2', title: 'Two' }, { book_id: 'b3' }],
    empty: null,
  };

  it('parses a, a.b, a[].b, a[2].b and [].b, and refuses what is no path', () => {
    expect(parseField('total')).toEqual([{ key: 'total' }]);
    expect(parseField('owner.id')).toEqual([{ key: 'owner' }, { key: 'id' }]);
    expect(parseField('books[].book_id')).toEqual([{ key: 'books' }, { each: true }, { key: 'book_id' }]);
    expect(parseField('books[2].book_id')).toEqual([{ key: 'books' }, { index: 2 }, { key: 'book_id' }]);
    expect(parseField('[].id')).toEqual([{ each: true }, { key: 'id' }]);
    for (const bad of ['', '.a', 'a.', 'a..b', 'a[]b', 'a.[0]', 'a[x]', 'a]'])
      expect(parseField(bad)).toBeUndefined();
  });

  it('resolves a value by its path; [] takes the first element that has the rest', () => {
    expect(valueAtField(out, 'total')).toBe(2);
    expect(valueAtField(out, 'empty')).toBeNull();
    expect(valueAtField(out, 'owner.id')).toBe('u1');
    expect(valueAtField(out, 'books[].book_id')).toBe('b2');
    expect(valueAtField(out, 'books[].title')).toBe('No id');
    expect(valueAtField(out, 'books[2].book_id')).toBe('b3');
    expect(valueAtField(out, 'books[0]')).toEqual({ title: 'No id' });
    expect(valueAtField([{ x: 1 }, { id: 'i2' }], '[].id')).toBe('i2');
    // with a test of the value: the first element whose value passes
    expect(valueAtField(out, 'books[].book_id', (v) => v === 'b3')).toBe('b3');
  });

  it('is undefined when the output has nothing there', () => {
    expect(valueAtField(out, 'missing')).toBeUndefined();
    expect(valueAtField(out, 'books[].isbn')).toBeUndefined();
    expect(valueAtField(out, 'books[7].book_id')).toBeUndefined();
    expect(valueAtField(out, 'owner[].id')).toBeUndefined();
    expect(valueAtField(out, 'total.x')).toBeUndefined();
    expect(valueAtField(null, 'a')).toBeUndefined();
    expect(valueAtField('text', 'a')).toBeUndefined();
    expect(valueAtField(out, 'a..b')).toBeUndefined();
    // an inherited property is no field
    expect(valueAtField({}, 'constructor')).toBeUndefined();
  });

  it('a key that is the whole path is that field (names from before paths)', () => {
    expect(valueAtField({ 'a.b': 1, a: { b: 2 } }, 'a.b')).toBe(1);
    expect(valueAtField({ a: { b: 2 } }, 'a.b')).toBe(2);
  });

  it('names the last property of a path', () => {
    expect(leafName('books[].book_id')).toBe('book_id');
    expect(leafName('owner.id')).toBe('id');
    expect(leafName('[0].id')).toBe('id');
    expect(leafName('total')).toBe('total');
    expect(leafName('books[]')).toBe('books');
  });

  const schema: JsonSchemaT = {
    type: 'object',
    properties: {
      total: { type: 'integer' },
      owner: { type: 'object', properties: { id: { type: 'string' } } },
      books: {
        type: 'array',
        items: {
          type: 'object',
          properties: { book_id: { type: 'string' }, meta: { type: 'object', properties: { a: {} } } },
        },
      },
      pair: { type: 'array', prefixItems: [{ type: 'string' }, { type: 'number' }] },
    },
  };

  it('lists output fields as paths, top level first, one level down, tuples giving none', () => {
    expect(outputPaths(schema).map((p) => [p.path, p.leaf, p.parent, p.inArray])).toEqual([
      ['total', 'total', undefined, false],
      ['owner', 'owner', undefined, false],
      ['books', 'books', undefined, false],
      ['pair', 'pair', undefined, false],
      ['owner.id', 'id', 'owner', false],
      ['books[].book_id', 'book_id', 'books', true],
      ['books[].meta', 'meta', 'books', true],
    ]);
    expect(
      outputPaths({ type: 'array', items: { type: 'object', properties: { id: {} } } }).map((p) => p.path),
    ).toEqual(['[].id']);
    expect(outputPaths(undefined)).toEqual([]);
  });

  it('finds the schema of a path, leniently as judges write them', () => {
    expect(schemaAtField(schema, 'books[].book_id')).toEqual({ type: 'string' });
    expect(schemaAtField(schema, 'books[3].book_id')).toEqual({ type: 'string' });
    expect(schemaAtField(schema, 'books.book_id')).toEqual({ type: 'string' });
    expect(schemaAtField(schema, 'owner.id')).toEqual({ type: 'string' });
    expect(schemaAtField(schema, 'pair[1]')).toEqual({ type: 'number' });
    expect(schemaAtField(schema, 'books[].isbn')).toBeUndefined();
    const list: JsonSchemaT = {
      type: 'array',
      items: { type: 'object', properties: { id: { type: 'string' } } },
    };
    expect(schemaAtField(list, '[].id')).toEqual({ type: 'string' });
    expect(schemaAtField(list, 'id')).toEqual({ type: 'string' });
  });

  it('lists the fields of an actual output: top level first, then nested, element by element', () => {
    expect(outputValues(out).map((o) => o.path)).toEqual([
      'total',
      'owner',
      'books',
      'empty',
      'owner.id',
      'owner.name',
      'books[0].title',
      'books[1].book_id',
      'books[1].title',
      'books[2].book_id',
    ]);
    expect(outputValues([{ id: 'a' }, 'x', { id: 'b' }])).toEqual([
      { path: '[0].id', leaf: 'id', value: 'a' },
      { path: '[2].id', leaf: 'id', value: 'b' },
    ]);
    // every listed path resolves to its value
    for (const o of outputValues(out)) expect(valueAtField(out, o.path)).toEqual(o.value);
    expect(outputValues('text')).toEqual([]);
  });
});
