// `${name}` placeholders (PlaceholderResolver): replaced after merging, `$${`
// for a literal `${`, and each way a placeholder cannot be resolved reported
// at the value that uses it, with a hint where one helps.
import { describe, expect, it } from 'vitest';
import { PlaceholderResolver, resolveDeep } from '../src/declarations/placeholders.js';
import type { Diagnostic } from '../src/model.js';

function resolver(vars: Record<string, unknown>) {
  const diagnostics: Diagnostic[] = [];
  const variables = new Map(Object.entries(vars).map(([name, value]) => [name, { value, path: `services.app.${name}` }]));
  const r = new PlaceholderResolver(variables, (path) => ({ file: `${path}.yaml`, line: 1, column: 1 }), diagnostics);
  const said = () => diagnostics.map((d) => [d.file, d.message, d.hint]);
  return { r, said };
}

describe('placeholders', () => {
  it('replace names with values, numbers and booleans as text, values that use placeholders in turn', () => {
    const { r, said } = resolver({ name: 'app', port: 3000, tls: true, dataDir: '/srv/${name}', db: '${dataDir}/data/app.db' });
    expect(r.resolve('${db} on ${port}, tls ${tls}', 'x')).toBe('/srv/app/data/app.db on 3000, tls true');
    expect(r.resolve('no placeholder $ {name} $name', 'x')).toBe('no placeholder $ {name} $name');
    expect(said()).toEqual([]);
  });

  it('$${ writes a literal ${, never resolved', () => {
    const { r } = resolver({ name: 'app' });
    expect(r.resolve('$${name} and ${name}', 'x')).toBe('${name} and app');
  });

  it('an unknown name: the closest known one, or the list, or none', () => {
    const close = resolver({ dataDir: '/srv' });
    expect(close.r.resolve('${dataDri}/x', 'services.app.env')).toBeUndefined();
    expect(close.said()).toEqual([['services.app.env.yaml', 'unknown placeholder `${dataDri}`', 'did you mean `${dataDir}`?']]);
    const far = resolver({ dataDir: '/srv', port: 1 });
    far.r.resolve('${zzzzzzzz}', 'x');
    expect(far.said()).toEqual([['x.yaml', 'unknown placeholder `${zzzzzzzz}`', 'known: dataDir, port']]);
    const none = resolver({});
    none.r.resolve('${a}', 'x');
    expect(none.said()).toEqual([['x.yaml', 'unknown placeholder `${a}`', 'no placeholders are available here']]);
  });

  it('an unterminated one is named, with how to write a literal', () => {
    const { r, said } = resolver({ name: 'app' });
    expect(r.resolve('/srv/${name', 'x')).toBeUndefined();
    expect(said()).toEqual([['x.yaml', 'unterminated placeholder `${name`', 'close it with `}`, or write `$${` for a literal `${`']]);
  });

  it('a cycle is named from where it starts', () => {
    const { r, said } = resolver({ a: 'x${b}', b: 'y${c}', c: '${b}' });
    expect(r.resolve('${a}', 'services.app.environment.A')).toBeUndefined();
    expect(said()[0]).toEqual(['services.app.c.yaml', 'placeholder cycle: ${b} → ${c} → ${b}', undefined]);
  });

  it('a chain of 32 resolves, one of 33 is refused', () => {
    const chain = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`v${i}`, i === n - 1 ? 'end' : `\${v${i + 1}}`]));
    expect(resolver(chain(32)).r.resolve('${v0}', 'x')).toBe('end');
    const long = resolver(chain(33));
    expect(long.r.resolve('${v0}', 'x')).toBeUndefined();
    expect(long.said()[0][1]).toBe('placeholders refer to each other more than 32 deep (`${v0}` → …)');
    expect(long.said()[0][2]).toBe('resolve part of the chain by hand');
  });

  it('an unset value, a list or a table cannot be used inside a string', () => {
    const { r, said } = resolver({ domain: null, list: ['a'], table: { a: 1 } });
    for (const name of ['domain', 'list', 'table']) expect(r.resolve(`\${${name}}`, 'x')).toBeUndefined();
    expect(said().map((s) => s[1])).toEqual([
      'placeholder `${domain}` is used but `domain` is not set',
      'placeholder `${list}` is a list or table and cannot be used inside a string',
      'placeholder `${table}` is a list or table and cannot be used inside a string',
    ]);
  });

  it('each value is resolved once, and its error said once', () => {
    const { r, said } = resolver({ a: '${missing}' });
    r.resolve('${a} ${a}', 'x');
    r.resolve('${a}', 'y');
    expect(said()).toHaveLength(1);
  });
});

describe('resolveDeep', () => {
  it('resolves every string inside lists and tables, naming each place by its path; other values pass', () => {
    const { r, said } = resolver({ name: 'app' });
    const out = resolveDeep({ a: ['${name}', 1, null], b: { c: '${nope}', __proto__x: true } }, 'services.app', r);
    expect(out).toEqual({ a: ['app', 1, null], b: { c: '${nope}', __proto__x: true } });
    expect(said()[0][0]).toBe('services.app.b.c.yaml');
    const list = resolveDeep(['${oops}'], 'top', r);
    expect(list).toEqual(['${oops}']);
    expect(said()[1][0]).toBe('top.0.yaml');
    expect(resolveDeep({ k: '${name}', top: '${nope2}' }, '', r)).toEqual({ k: 'app', top: '${nope2}' });
    expect(said()[2][0]).toBe('top.yaml');
  });
});
