// When the fast YAML reading (js-yaml's events) must let `yaml` read a document:
// each case below is one the fast reading would get wrong if it kept it (a
// document `yaml` refuses read without a word, a value placed at the wrong
// column, a wrong number), so a hand-over condition that weakens shows up here
// as a wrong tree or a missing diagnostic, in what a user loads.
// `composeYaml` (the `yaml` library's reading) is the oracle; `parseDeclaration`
// is what the program runs: the fast reading first, `yaml` on a hand-over.
import { describe, expect, it } from 'vitest';
import { composeYaml, MAX_DEPTH, parseDeclaration } from '../src/declarations/load.js';
import type { PMap, PNode } from '../src/declarations/tree.js';
import { lineLocator, treeFromEvents } from '../src/declarations/yaml-events.js';
import type { Diagnostic } from '../src/model.js';

const FILE = 'x.yaml';

/** What the program loads from `text`, and what `yaml` alone makes of it. */
function loadAndOracle(text: string) {
  const loadedDiagnostics: Diagnostic[] = [];
  const loaded = parseDeclaration(FILE, text, loadedDiagnostics).root;
  const yamlDiagnostics: Diagnostic[] = [];
  const yaml = composeYaml(FILE, text, false, yamlDiagnostics);
  return { loaded, loadedDiagnostics, yaml, yamlDiagnostics };
}

function expectLoadedAsYamlReadsIt(text: string): ReturnType<typeof loadAndOracle> {
  const r = loadAndOracle(text);
  expect(r.loaded, JSON.stringify(text)).toEqual(r.yaml);
  expect(r.loadedDiagnostics, JSON.stringify(text)).toEqual(r.yamlDiagnostics);
  return r;
}

/** The fast reading alone; undefined when it hands the text over. */
function fastReading(text: string): PNode | null | undefined {
  return treeFromEvents(text, lineLocator(FILE, text), MAX_DEPTH, []);
}

function entry(node: PNode | null, key: string): PNode {
  expect(node?.kind).toBe('map');
  const found = (node as PMap).entries.get(key);
  expect(found, `key ${key}`).toBeDefined();
  return found!.value;
}

describe('an anchor or a tag sends the document to `yaml`', () => {
  it('an anchor glued to a flow table is the syntax error `yaml` reports, not a table', () => {
    const r = expectLoadedAsYamlReadsIt('a: &x{b: 1}\n');
    expect(r.loaded).toBeNull();
    expect(r.loadedDiagnostics).toEqual([expect.objectContaining({ line: 1, column: 6, message: expect.stringMatching(/^YAML syntax error: Tags and anchors must be separated/) })]);
  });

  it('a tag glued to a flow table or list is the syntax error `yaml` reports', () => {
    for (const text of ['a: !<x>{b: 1}\n', '- !<!x>[1]\n']) {
      const r = expectLoadedAsYamlReadsIt(text);
      expect(r.loaded, text).toBeNull();
      expect(r.loadedDiagnostics[0]?.message, text).toMatch(/^YAML syntax error: Tags and anchors must be separated/);
    }
  });

  it('an anchor on the first key places the table where `yaml` does (after the anchor)', () => {
    const r = expectLoadedAsYamlReadsIt('&a a: 1\n');
    expect(r.loaded?.at).toEqual({ file: FILE, line: 1, column: 4 });
  });
});

describe('a table or a list as a key sends the document to `yaml`', () => {
  // The fast reading refuses the key where the collection ends (yaml-events.ts: place).
  it('`? [a, b]`, `? {a: 1}` and `{[a]: 1}` load as `yaml` reads them', () => {
    for (const text of ['? [a, b]\n: 1\n', '? {a: 1}\n: x\nb: 2\n', '{[a]: 1, b: 2}\n', 'top:\n  ? - a\n  : 1\n']) {
      const r = expectLoadedAsYamlReadsIt(text);
      expect(r.loaded?.kind, text).toBe('map');
    }
  });
});

describe('a lone carriage return sends the document to `yaml`', () => {
  it('`a: 1\\rb: 2` is the syntax error `yaml` reports, not two keys', () => {
    const r = expectLoadedAsYamlReadsIt('a: 1\rb: 2\n');
    expect(r.loaded).toBeNull();
    expect(r.loadedDiagnostics[0]?.message).toMatch(/^YAML syntax error: /);
  });
});

describe('nesting near the depth bound is judged as `yaml`’s reading judges it', () => {
  const block = (depth: number) => Array.from({ length: depth }, (_, i) => `${'  '.repeat(i)}k:`).join('\n') + ' 1\n';
  const flow = (depth: number) => `${'['.repeat(depth)}1${']'.repeat(depth)}\n`;

  it(`tables nested from ${MAX_DEPTH - 8} to ${MAX_DEPTH + 8} deep: the same tree, or the same "nested more than ${MAX_DEPTH} deep"`, () => {
    let refused = 0;
    for (let depth = MAX_DEPTH - 8; depth <= MAX_DEPTH + 8; depth++) {
      const r = expectLoadedAsYamlReadsIt(block(depth));
      if (r.loaded === null) {
        refused++;
        expect(r.loadedDiagnostics[0]?.message).toBe(`tables or lists are nested more than ${MAX_DEPTH} deep here`);
      }
    }
    // The bound is crossed inside the range: both outcomes are seen.
    expect(refused).toBeGreaterThan(0);
    expect(refused).toBeLessThan(17);
  });

  it(`flow lists nested from ${MAX_DEPTH - 8} to ${MAX_DEPTH + 8} deep: the same tree, or the same "nested more than ${MAX_DEPTH} deep"`, () => {
    let refused = 0;
    for (let depth = MAX_DEPTH - 8; depth <= MAX_DEPTH + 8; depth++) {
      const text = flow(depth);
      const diagnostics: Diagnostic[] = [];
      const loaded = parseDeclaration(FILE, text, diagnostics).root;
      // Deeper than the bound, the load refuses before `yaml` recurses (load.ts: tooDeep); within it, `yaml`'s tree.
      if (depth > MAX_DEPTH) {
        refused++;
        expect(loaded, `depth ${depth}`).toBeNull();
        expect(diagnostics.map((d) => d.message), `depth ${depth}`).toEqual([`tables or lists are nested more than ${MAX_DEPTH} deep here`]);
      } else {
        const yamlDiagnostics: Diagnostic[] = [];
        expect(loaded, `depth ${depth}`).toEqual(composeYaml(FILE, text, false, yamlDiagnostics));
        expect(diagnostics).toEqual(yamlDiagnostics);
      }
    }
    expect(refused).toBe(8);
  });
});

describe('a block scalar is placed at its own header', () => {
  it('a comment on the header line that ends in `|` does not move the value there', () => {
    const r = expectLoadedAsYamlReadsIt('a: | # note |\n  x\n');
    expect(entry(r.loaded, 'a')).toEqual({ kind: 'scalar', value: 'x\n', at: { file: FILE, line: 1, column: 4 } });
  });

  it('a `>` or `|` inside the key does not move the value there', () => {
    for (const [text, key] of [['a>b: |\n  x\n', 'a>b'], ['a|b: >\n  x\n', 'a|b'], ['k>1: |-\n  x\n', 'k>1']] as const) {
      const r = expectLoadedAsYamlReadsIt(text);
      expect(entry(r.loaded, key).at, text).toEqual({ file: FILE, line: 1, column: key.length + 3 });
    }
  });

  it('a header followed by spaces, as an editor leaves it, is read by the fast reading and read right', () => {
    for (const text of ['a: |  \n  x\n', 'a: >-   \n  folded\n  text\nb: 1\n']) {
      expectLoadedAsYamlReadsIt(text);
      expect(fastReading(text), JSON.stringify(text)).toEqual(composeYaml(FILE, text, false, []));
    }
  });
});

describe('a key written three times in one table', () => {
  it('each repeat names the first line it was written on, as `yaml`\'s reading does', () => {
    const cases = [
      { text: 'a: 1\na: 2\na: 3\n', first: 1, repeats: [2, 3] },
      { text: 'top:\n  a: 1\n  b: 2\n  a: {x: 1}\n  a: [3]\n', first: 2, repeats: [4, 5] },
    ];
    for (const { text, first, repeats } of cases) {
      const r = expectLoadedAsYamlReadsIt(text);
      expect(r.loaded, text).toBeNull();
      expect(r.loadedDiagnostics.map((d) => [d.line, d.message]), text).toEqual(repeats.map((line) => [line, `the key \`a\` appears twice in one table (first at line ${first})`]));
    }
  });
});

describe('plain scalars resolve as YAML 1.2 core (and `yaml`) resolves them', () => {
  // Each word is near one of the core schema's patterns: a prefix or suffix too
  // many, a digit more than one, a capital first letter.
  const words = ['False', 'FALSE', 'Fa', 'trueish', 'falsey', 'ntrue', '-false', 'nullx', 'Null', 'NULL', '10o7', '0o17x', '0o777', 'n5', '1x', '5x', '10x1F', '0x1G', '0xff', '0x1f2E',
    '.inf', '.Inf', '1.inf', 'n.nan', '.infinity', '.nanx', '-.inf', '.25', '10.5', '123.456', '1e10', '2.5e-10', '1.5e+12', '1e', '1.5e', 'e5', '.e5', '1.2.3e4'];

  it('each word, as a value, a key and a list item, loads as `yaml` reads it, on the fast reading', () => {
    for (const word of words) {
      const text = `key: ${word}\n${word}: 1\nlist: [${word}, "${word}"]\n`;
      expectLoadedAsYamlReadsIt(text);
      // The comparison is of the fast reading: it must not have handed these over.
      expect(fastReading(text), word).toEqual(composeYaml(FILE, text, false, []));
    }
  });

  it('a few of them, by value', () => {
    const valueOf = (word: string) => (entry(fastReading(`v: ${word}\n`) ?? null, 'v') as { value: unknown }).value;
    expect(valueOf('FALSE')).toBe(false);
    expect(valueOf('False')).toBe(false);
    expect(valueOf('trueish')).toBe('trueish');
    expect(valueOf('10o7')).toBe('10o7');
    expect(valueOf('0x1G')).toBe('0x1G');
    expect(valueOf('.25')).toBe(0.25);
    expect(valueOf('10.5')).toBe(10.5);
    expect(valueOf('1e10')).toBe(1e10);
  });
});
