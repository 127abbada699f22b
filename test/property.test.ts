// Property-based: declarations with adversarial strings in every string field.
// Each case is either rejected with a positioned diagnostic, or every emitted
// file, read back with its consumer's grammar, holds exactly the intended
// values and no more. `npm run fuzz` runs many more cases (FUZZ_RUNS).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { resolveDeclarations } from '../src/declarations/resolve.js';
import { emitAll } from '../src/emitters/index.js';
import { lex } from '../src/formats/caddyfile.js';
import type { ServiceModel } from '../src/model.js';
import { directives, parseUnit, readEnvironment, readExec } from './support/unit-reader.js';

const RUNS = Number(process.env.FUZZ_RUNS ?? 1000);
// A fresh seed each run, always printed, so any counterexample can be replayed with FUZZ_SEED.
const SEED = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : Math.floor(Math.random() * 2 ** 31);

/** Characters each consumer treats specially, plus ordinary and wide ones. */
const SPECIAL = ['\n', '\r', '\t', '\u0000', '\u0007', '\u001b', '\u007f', '%', '$', '{', '}', '"', "'", '`', '\\', '#', ';', ' ', '=', ':', ',', '*', '/', '.', '-', 'é', '日', '✓', '\u2028'];
const adversarial = fc.oneof(
  fc.string({ unit: fc.constantFrom(...SPECIAL, 'a', 'b', 'x', '0'), maxLength: 24 }),
  fc.string({ unit: 'grapheme', maxLength: 12 }),
  fc.constantFrom('${name}', '$${x}', '%n', '%%', '}\nevil.com {', 'a\nExecStartPre=/bin/rm -rf /', '\\', '', ' lead', 'trail ', 'x'.repeat(300)),
);
const envName = fc.stringMatching(/^[A-Z_][A-Z0-9_]{0,8}$/);
/** Strictly validated fields: mostly valid, so that cases reach the emitters, sometimes hostile. */
const mostly = (valid: fc.Arbitrary<string>) => fc.oneof({ arbitrary: valid, weight: 12 }, { arbitrary: adversarial, weight: 1 });
/** Printable text with the characters formats care about, but no line breaks. */
const lineText = fc.string({ unit: fc.constantFrom('%', '$', '{', '}', '"', "'", '`', '\\', '#', ';', ' ', '=', ':', '*', 'a', 'Z', '0', 'é', '日', '✓'), minLength: 1, maxLength: 20 });

const service = fc.record({
  description: mostly(lineText),
  runtime: fc.constantFrom('bun', 'node', 'custom'),
  entryPoint: adversarial,
  startCommand: adversarial,
  domain: mostly(fc.domain()),
  dataDir: mostly(fc.stringMatching(/^\/srv\/[a-z0-9 %$'"_-]{1,12}[a-z]$/)),
  repository: fc.option(adversarial, { nil: undefined }),
  secretsFile: fc.option(adversarial.map((s) => `/run/${s}`), { nil: undefined }),
  environment: fc.dictionary(envName, adversarial, { maxKeys: 4 }),
  files: fc.array(mostly(lineText.map((s) => `/srv/data/${s.trim() || 'x'}x`)), { maxLength: 2 }),
  exclude: fc.array(mostly(fc.constantFrom('*.log', 'cache', 'a b', '[x]')), { maxLength: 2 }),
  extraConfig: mostly(fc.constantFrom('', 'encode gzip', 'header {\n\tX-A "b }"\n}', 'respond /x "a # b" 200')),
  rateKey: mostly(fc.constantFrom('{client_ip}', '{http.request.header.X-Key}', 'static')),
  routePath: mostly(fc.constantFrom('/auth/*', '/api/*', '/a b')),
  preStart: fc.array(adversarial, { maxLength: 1 }),
});

type Case = fc.Arbitrary<typeof service extends fc.Arbitrary<infer T> ? T : never>;

function declaration(c: Case extends fc.Arbitrary<infer T> ? T : never): string {
  return JSON.stringify({
    services: {
      app: {
        enable: true,
        description: c.description,
        runtime: c.runtime,
        entryPoint: c.entryPoint,
        startCommand: c.startCommand,
        domain: c.domain,
        dataDir: c.dataDir,
        ...(c.repository !== undefined ? { repository: c.repository } : {}),
        ...(c.secretsFile !== undefined ? { secretsFile: c.secretsFile } : {}),
        environment: c.environment,
        data: { files: c.files, exclude: c.exclude },
        caddy: { extraConfig: c.extraConfig, rateLimit: { enable: true, key: c.rateKey, routes: [{ path: c.routePath, events: 5, window: '1m' }] } },
        extraConfig: { preStart: c.preStart },
      },
    },
  }, null, 2);
}

/** The directive keys a unit has when every value is benign: any other key would be an injection. */
const EXPECTED_KEYS = {
  Unit: ['Description', 'Wants', 'After'],
  Install: ['WantedBy'],
};

function checkUnit(text: string, s: ServiceModel): void {
  const unit = parseUnit(text);
  expect(unit.sections.map((x) => x.name)).toEqual(['Unit', 'Service', 'Install']);
  expect(unit.sections[0].directives.map(([k]) => k)).toEqual(EXPECTED_KEYS.Unit);
  expect(unit.sections[2].directives.map(([k]) => k)).toEqual(EXPECTED_KEYS.Install);
  expect(directives(unit, 'Unit', 'Description')[0].replace(/%%/g, '%')).toBe(s.description);
  const env = Object.fromEntries(directives(unit, 'Service', 'Environment').flatMap(readEnvironment));
  expect(env).toEqual({ NODE_ENV: 'production', PORT: String(s.port), ...s.environment });
  const start = readExec(directives(unit, 'Service', 'ExecStart')[0]).argv;
  if (s.startCommand !== null) expect(start).toEqual(['/bin/bash', '-c', s.startCommand]);
  else expect(start[start.length - 1]).toBe(s.entryPoint);
  const pre = readExec(directives(unit, 'Service', 'ExecStartPre')[1]).argv;
  expect(pre.slice(0, 4)).toEqual([`/etc/atelier/scripts/${s.name}/first-start`, `${s.dataDir}/app`, s.repository ?? '', '']);
  expect(directives(unit, 'Service', 'User')).toEqual([s.name]);
  expect(directives(unit, 'Service', 'ExecStart')).toHaveLength(1);
}

function checkSite(text: string, s: ServiceModel): void {
  const { tokens, error } = lex(text);
  expect(error).toBeUndefined();
  // Exactly one block at the top level, addressed to the domain.
  let depth = 0;
  const topLevel: string[] = [];
  for (const t of tokens) {
    if (!t.quoted && t.text === '{') depth++;
    else if (!t.quoted && t.text === '}') depth--;
    else if (depth === 0) topLevel.push(t.text);
    expect(depth).toBeGreaterThanOrEqual(0);
  }
  expect(depth).toBe(0);
  expect(topLevel).toEqual([s.domain!.toLowerCase()]);
}

function checkSudoers(text: string, s: ServiceModel): void {
  const rules = text.split('\n').filter((l) => l && !l.startsWith('#'));
  expect(rules).toEqual([`${s.name} ALL=(root) NOPASSWD: ${['restart', 'stop', 'start', 'status'].map((v) => `/usr/bin/systemctl ${v} ${s.name}.service`).join(', ')}`]);
}

describe('adversarial declarations', () => {
  it(`are rejected with a position, or emitted exactly (${RUNS} cases)`, () => {
    let emitted = 0;
    let rejected = 0;
    fc.assert(
      fc.property(service, (c) => {
        const text = declaration(c);
        const lines = text.split('\n').length;
        const resolved = resolveDeclarations([{ file: 'fuzz.json', text }]);
        if (!resolved.model) {
          for (const d of resolved.diagnostics) {
            expect(d.file).toBe('fuzz.json');
            expect(d.line >= 1 && d.line <= lines).toBe(true);
            expect(d.column).toBeGreaterThanOrEqual(1);
          }
          expect(resolved.diagnostics.length).toBeGreaterThan(0);
          rejected++;
          return;
        }
        const result = emitAll(resolved.model);
        if (result.diagnostics.length > 0) {
          for (const d of result.diagnostics) expect(d.file === 'fuzz.json' && d.line >= 1 && d.line <= lines).toBe(true);
          rejected++;
          return;
        }
        const s = resolved.model.services[0];
        const file = (p: string) => result.files.find((f) => f.path === p)?.content;
        checkUnit(file('systemd/system/app.service')!, s);
        checkSite(file('caddy/sites/app.caddy')!, s);
        checkSudoers(file('sudoers.d/atelier-app')!, s);
        for (const f of result.files) expect(f.content.includes('\u0000'), f.path).toBe(false);
        emitted++;
      }),
      { numRuns: RUNS, seed: SEED, verbose: true },
    );
    console.log(`property cases: ${RUNS} (${emitted} emitted and read back, ${rejected} rejected with a position), seed ${SEED}`);
    expect(emitted).toBeGreaterThan(0);
    expect(rejected).toBeGreaterThan(0);
  }, 600_000);
});
