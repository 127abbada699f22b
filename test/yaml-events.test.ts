// The fast reading of YAML/JSON (js-yaml's events) must give exactly the tree the
// full reading (`yaml`'s composed Document) gives — values, number texts, every
// position, duplicate-key diagnostics — or hand the document over to it.
import * as fs from 'node:fs';
import * as path from 'node:path';
import fc from 'fast-check';
import { stringify } from 'yaml';
import { describe, expect, it } from 'vitest';
import { composeYaml, MAX_DEPTH } from '../src/declarations/load.js';
import { lineLocator, resolvePlain, treeFromEvents } from '../src/declarations/yaml-events.js';
import type { Diagnostic } from '../src/model.js';

const ROOT = path.resolve(__dirname, '..');
const SEED = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : Math.floor(Math.random() * 2 ** 31);

/** Both readings of one text; `fast` is undefined when the fast path handed it over. */
function bothReadings(text: string, file = 'x.yaml') {
  const fastDiagnostics: Diagnostic[] = [];
  const fast = treeFromEvents(text, lineLocator(file, text), MAX_DEPTH, fastDiagnostics);
  const composedDiagnostics: Diagnostic[] = [];
  const composed = composeYaml(file, text, file.endsWith('.json'), composedDiagnostics);
  return { fast, fastDiagnostics, composed, composedDiagnostics };
}

function expectSameReading(text: string, file?: string): boolean {
  const r = bothReadings(text, file);
  if (r.fast === undefined) {
    expect(r.fastDiagnostics, 'a handed-over document adds no diagnostic of its own').toEqual([]);
    return false;
  }
  expect(r.fast, text).toEqual(r.composed);
  expect(r.fastDiagnostics, text).toEqual(r.composedDiagnostics);
  return true;
}

function declarationFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory() && entry.name !== 'expected' && entry.name !== 'node_modules') out.push(...declarationFiles(p));
    else if (entry.isFile() && /\.(ya?ml|json)$/.test(entry.name)) out.push(p);
  }
  return out;
}

describe('the fast YAML reading agrees with the composed one', () => {
  it('on every YAML and JSON declaration under fixtures/ (most of them read fast)', () => {
    const files = declarationFiles(path.join(ROOT, 'fixtures'));
    let fast = 0;
    for (const file of files) if (expectSameReading(fs.readFileSync(file, 'utf8'), file)) fast++;
    expect(files.length).toBeGreaterThan(20);
    expect(fast / files.length).toBeGreaterThan(0.6);
  });

  it('resolves plain scalars as YAML 1.2 core does (and as `yaml` does)', () => {
    const words = ['~', 'null', 'Null', 'NULL', 'nULL', 'true', 'True', 'TRUE', 'tRUE', 'false', 'yes', 'no', 'on', 'off', 'y', '0', '-0', '+5', '007', '0o17', '0o8', '0x1F', '0X1F', '0b101', '1_000',
      '1.', '.5', '1.10', '-1.5e3', '1e3', '1E-2', '+.inf', '-.Inf', '.INF', '.nan', '.NaN', 'nan', 'inf', '12:30', '2026-11-30', '1.2.3', 'n', 't', 'f', 'Nope', '9'.repeat(25)];
    for (const word of words) {
      const text = `key: ${word}\n${word}: 1\nlist: [${word}, "${word}"]\n`;
      expect(expectSameReading(text), word).toBe(true);
      expect(bothReadings(`v: ${word}\n`).fast).toMatchObject({ entries: new Map([['v', { value: { value: resolvePlain(word) } }]]) });
    }
  });

  it('places every construct of the subset where `yaml` places it', () => {
    const texts = [
      'a: "quoted\\tvalue"\nb: \'single \'\'q\'\'\'\n"c d": 1\n',
      'a:\n  - x\n  - - y\n    - z\n  - k: v\n    l: w\n',
      'a: |\n  line one\n  line two\nb: >-\n  folded\n  text\n\nc: |+\n  kept\n\n',
      'a: |2\n    indented\nb: x\n',
      '---\na: {b: [1, 2, {c: d}], e: "f"}\n...\n',
      'a: plain\n  continued\n  lines\nb: "quoted\n  over lines"\n',
      '# comment\na: 1 # trailing\n\n\nb:    spaced\n',
      'a: 1\r\nb:\r\n  c: "x"\r\n',
      '{"services": {"app": {"port": 8080, "env": {"A": "1.10"}}}}\n',
      '- a\n- b: 1\n  c: [x]\n',
      'a: 1\na: 2\nb: {c: 1, c: 2}\n',
      'key with spaces: value with: colon\nurl: http://example.com/x#y\n',
    ];
    let fast = 0;
    for (const text of texts) if (expectSameReading(text)) fast++;
    expect(fast).toBeGreaterThanOrEqual(texts.length - 1);
  });

  it('hands over what it does not read, so that `yaml` reports it', () => {
    const handedOver = ['a: &x 1\nb: *x\n', 'a: !!str 1\n', 'a:\nb: 1\n', '%YAML 1.1\n---\na: yes\n', 'a: 1\n---\nb: 2\n', '? [a, b]\n: 1\n', 'a: [1, 2\n', 'a:\n\t- b\n', 'a: "x" # c\nb: | # comment\n  x\n', '',
      // Found by inserting characters at random: js-yaml accepts these, `yaml` refuses them.
      'text: |\n  hello\n\t', '\r\r\na: [1, {b: c}]\n', 'a- t: |\n  hello\n\r\t\n',
      // A document end before the first document: js-yaml reads one document, `yaml` two (and refuses them).
      '...\r\nservices:\n  app:\n    port: 8080\n', '...\na: 1\n', '... \na: 1\n', '# c\n\n...\na: 1\n', 'a: 1\n...\nb: 2\n'];
    for (const text of handedOver) expect(bothReadings(text).fast, JSON.stringify(text)).toBeUndefined();
  });

  it('on valid documents with characters inserted at random (what the fast reading takes, `yaml` reads the same)', () => {
    const bases = ['services:\n  app:\n    port: 8080\n    env:\n      A: "x"\n      B: 1.10\n    list:\n      - a\n      - b: c\n    text: |\n      hello\n', "a: [1, {b: c}]\nd: 'e'\n"];
    const piece = fc.constantFrom(' ', '\t', ':', '-', '#', '"', "'", '\n', '  ', '? ', '{', '}', '[', ']', ',', '|', '>', '*', '&', '!', '%', '@', '`', 'x', ': ', '- ', '\r\n', '\r', '...', '---');
    let reachedFast = 0;
    fc.assert(
      fc.property(fc.constantFrom(...bases), fc.array(fc.tuple(fc.nat(200), piece), { minLength: 1, maxLength: 3 }), (base, insertions) => {
        let text = base;
        for (const [at, p] of insertions) text = text.slice(0, at % (text.length + 1)) + p + text.slice(at % (text.length + 1));
        if (expectSameReading(text)) reachedFast++;
      }),
      { numRuns: 3000, seed: SEED },
    );
    expect(reachedFast, `seed ${SEED}`).toBeGreaterThan(300);
  });

  it('on generated documents in every style `yaml` writes', () => {
    const styles = ['PLAIN', 'QUOTE_DOUBLE', 'QUOTE_SINGLE', 'BLOCK_LITERAL', 'BLOCK_FOLDED'] as const;
    const key = fc.oneof(fc.stringMatching(/^[a-zA-Z_][a-zA-Z0-9_ .-]{0,10}$/), fc.string({ maxLength: 8 }));
    const leaf = fc.oneof(fc.string({ maxLength: 30 }), fc.integer(), fc.double({ noNaN: false }), fc.boolean(), fc.constant(null), fc.constantFrom('1.10', '0o17', 'true', '~', '', ' x ', 'a: b', '- x', '# no', '"q"', "it's", 'multi\nline\n', 'tail\n\n'));
    const value = fc.letrec((tie) => ({
      node: fc.oneof({ depthSize: 'small' }, leaf, fc.array(tie('node'), { maxLength: 4 }), fc.dictionary(key, tie('node'), { maxKeys: 4 })),
    })).node;
    let reachedFast = 0;
    let runs = 0;
    fc.assert(
      fc.property(fc.dictionary(key, value, { minKeys: 1, maxKeys: 5 }), fc.constantFrom(...styles), fc.constantFrom('any', 'block', 'flow'), fc.boolean(), (doc, defaultStringType, collectionStyle, crlf) => {
        let text = stringify(doc, { defaultStringType, collectionStyle: collectionStyle as 'any' | 'block' | 'flow', version: '1.2' });
        if (crlf) text = text.replace(/\n/g, '\r\n');
        runs++;
        if (expectSameReading(text)) reachedFast++;
      }),
      { numRuns: 400, seed: SEED },
    );
    // The comparison means something only if many documents take the fast path.
    expect(reachedFast / runs, `seed ${SEED}`).toBeGreaterThan(0.3);
  });
});
