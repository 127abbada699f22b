// `${name}` placeholders at their edges: messages without a hint carry none,
// an undefined value is "not set", and resolveDeep copies every container,
// keeps non-strings as they are and a `__proto__` key as an own key.
import { describe, expect, it } from 'vitest';
import { PlaceholderResolver, resolveDeep } from '../src/declarations/placeholders.js';
import type { Diagnostic } from '../src/model.js';

function resolver(vars: Record<string, unknown>) {
  const diagnostics: Diagnostic[] = [];
  const variables = new Map(Object.entries(vars).map(([name, value]) => [name, { value, path: `v.${name}` }]));
  const r = new PlaceholderResolver(variables, (path) => ({ file: `${path}.yaml`, line: 2, column: 3 }), diagnostics);
  return { r, diagnostics };
}

describe('placeholder messages', () => {
  it('a message without a hint has no hint key at all', () => {
    const { r, diagnostics } = resolver({ a: '${b}', b: '${a}', unset: null });
    expect(r.resolve('${a}', 'x')).toBeUndefined();
    expect(r.resolve('${unset}', 'y')).toBeUndefined();
    expect(diagnostics).toStrictEqual([
      { file: 'v.b.yaml', line: 2, column: 3, message: 'placeholder cycle: ${a} → ${b} → ${a}' },
      { file: 'y.yaml', line: 2, column: 3, message: 'placeholder `${unset}` is used but `unset` is not set' },
    ]);
  });

  it('a value that is undefined is not set, like null', () => {
    const { r, diagnostics } = resolver({ missing: undefined });
    expect(r.resolve('/srv/${missing}', 'x')).toBeUndefined();
    expect(diagnostics.map((d) => d.message)).toEqual(['placeholder `${missing}` is used but `missing` is not set']);
  });

  it('a lone `${` at the end is unterminated', () => {
    const { r, diagnostics } = resolver({});
    expect(r.resolve('cost: ${', 'x')).toBeUndefined();
    expect(diagnostics).toStrictEqual([{ file: 'x.yaml', line: 2, column: 3, message: 'unterminated placeholder `${`', hint: 'close it with `}`, or write `$${` for a literal `${`' }]);
  });

  it('an empty name `${}` is an unknown placeholder', () => {
    const { r, diagnostics } = resolver({ name: 'app' });
    expect(r.resolve('${}', 'x')).toBeUndefined();
    expect(diagnostics.map((d) => d.message)).toEqual(['unknown placeholder `${}`']);
  });

  it('text with `$` and braces but no placeholder is returned as it is, with nothing said', () => {
    const { r, diagnostics } = resolver({ name: 'app' });
    for (const text of ['', 'plain', '$ {name}', '{name}', 'a$b}', '$']) expect(r.resolve(text, 'x')).toBe(text);
    expect(diagnostics).toEqual([]);
  });
});

describe('resolveDeep', () => {
  it('null, numbers and booleans pass unchanged, alone or inside containers', () => {
    const { r, diagnostics } = resolver({ name: 'app' });
    expect(resolveDeep(null, 'p', r)).toBeNull();
    expect(resolveDeep(5, 'p', r)).toBe(5);
    expect(resolveDeep(false, 'p', r)).toBe(false);
    expect(resolveDeep(undefined, 'p', r)).toBeUndefined();
    expect(resolveDeep({ a: null, b: 0, c: true, d: [null, 7, '${name}'] }, 'p', r)).toStrictEqual({ a: null, b: 0, c: true, d: [null, 7, 'app'] });
    expect(diagnostics).toEqual([]);
  });

  it('lists stay lists and tables stay tables, copied: the input is left as it was', () => {
    const { r } = resolver({ name: 'app' });
    const input = { list: ['${name}', ['${name}']], table: { k: '${name}' } };
    const out = resolveDeep(input, '', r) as typeof input;
    expect(out).toStrictEqual({ list: ['app', ['app']], table: { k: 'app' } });
    expect(Array.isArray(out.list)).toBe(true);
    expect(input).toStrictEqual({ list: ['${name}', ['${name}']], table: { k: '${name}' } });
  });

  it('names a place inside nested lists by every index', () => {
    const { r, diagnostics } = resolver({});
    resolveDeep({ a: [['ok', '${x}']] }, 'top', r);
    expect(diagnostics.map((d) => d.file)).toEqual(['top.a.0.1.yaml']);
  });

  it('a `__proto__` key (JSON can hold one) stays an own key, and the prototype stays Object', () => {
    const { r } = resolver({ name: 'app' });
    const input = JSON.parse('{"__proto__": {"polluted": "${name}"}, "k": 1}') as object;
    const out = resolveDeep(input, 'p', r) as Record<string, unknown>;
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
    expect(Object.keys(out)).toEqual(['__proto__', 'k']);
    expect(Object.getOwnPropertyDescriptor(out, '__proto__')).toEqual({ value: { polluted: 'app' }, enumerable: true, writable: true, configurable: true });
    expect((out as { polluted?: unknown }).polluted).toBeUndefined();
  });
});
