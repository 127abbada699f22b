// checkFormats walks a resolved value along its schema and reports strings not of
// their format. After a structure error the value may not have its schema's shape:
// a part of another kind is not walked, and an either-or field is checked by the
// option of the value's own shape.
import { describe, expect, it } from 'vitest';
import { checkFormats } from '../src/declarations/resolve.js';
import type { Field } from '../src/declarations/schema.js';

function problems(field: Field, value: unknown): string[] {
  const found: string[] = [];
  checkFormats(field, value, 'x', (p, message) => found.push(`${p}: ${message}`));
  return found;
}

const path: Field = { kind: 'string', format: 'absolute-path', description: 'a path' };

describe('checkFormats and the shape of a value', () => {
  it('a table of named values checks its keys and values; a text in its place is not walked', () => {
    const record: Field = { kind: 'record', keyFormat: 'user-name', values: path, description: 'paths by user' };
    expect(problems(record, { app: '/srv/app', Bad: 'relative' })).toHaveLength(2);
    expect(problems(record, 'ab')).toEqual([]);
  });

  it('a table of fixed fields checks each field; a text in its place is not walked', () => {
    const object: Field = { kind: 'object', fields: { '0': path }, description: 'an object' };
    expect(problems(object, { '0': 'relative' })).toHaveLength(1);
    expect(problems(object, 'relative')).toEqual([]);
  });

  it('an either-or field is checked by the option of the value\'s own shape', () => {
    const either: Field = { kind: 'oneOf', options: [path, { kind: 'object', fields: { at: path }, description: 'a table' }], expected: 'a path or {at: PATH}', description: 'a path or a table' };
    expect(problems(either, 'relative')).toHaveLength(1);
    expect(problems(either, { at: 'relative' })).toHaveLength(1);
    expect(problems(either, '/srv/ok')).toEqual([]);
  });
});
