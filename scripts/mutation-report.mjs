// node scripts/mutation-report.mjs: docs/mutation.md from the kept results
// (mutation/<part>.json.gz, one per part of src/ that `npm run mutate` ran)
// and the hand-kept equivalent mutants of docs/mutation-equivalents.json.
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as zlib from 'node:zlib';

const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const RESULTS = path.join(ROOT, 'mutation');
const EQUIVALENTS = path.join(ROOT, 'docs/mutation-equivalents.json');
const OUT = path.join(ROOT, 'docs/mutation.md');

const reports = fs.existsSync(RESULTS) ? fs.readdirSync(RESULTS).filter((f) => /^[a-z0-9-]+\.json\.gz$/.test(f)).sort() : [];
if (reports.length === 0) {
  console.error('no result in mutation/: run `npm run mutate` first');
  process.exit(1);
}

/**
 * An equivalent mutant is named by file, mutator, the code it changes and `on`, a piece of the
 * text of its line (not its line number, which moves). `on` keeps a short key such as `''` →
 * "Stryker was here!" from also covering a mutant of the same text elsewhere in the file.
 */
const equivalents = JSON.parse(fs.readFileSync(EQUIVALENTS, 'utf8'));
for (const e of equivalents) {
  if (typeof e.on !== 'string' || e.on.trim() === '') throw new Error(`docs/mutation-equivalents.json: the entry for ${e.file} ${e.original} → ${e.replacement} has no \`on\` (a piece of its line)`);
}
const keyOf = (file, mutator, original, replacement) => JSON.stringify([file, mutator, original.replace(/\s+/g, ' ').trim(), replacement.replace(/\s+/g, ' ').trim()]);
const equivalentsByKey = new Map();
for (const e of equivalents) {
  const key = keyOf(e.file, e.mutator, e.original, e.replacement);
  equivalentsByKey.set(key, [...(equivalentsByKey.get(key) ?? []), e]);
}
const equivalentFor = (key, line) => equivalentsByKey.get(key)?.find((e) => line.includes(e.on));

/** The source text a mutant replaces (the report's lines and columns count from 1). */
function originalOf(source, { start, end }) {
  const lines = source.split('\n');
  if (start.line === end.line) return lines[start.line - 1].slice(start.column - 1, end.column - 1);
  return [lines[start.line - 1].slice(start.column - 1), ...lines.slice(start.line, end.line - 1), lines[end.line - 1].slice(0, end.column - 1)].join('\n');
}

const mutants = [];
const runs = [];
const runFiles = new Set();
for (const name of reports) {
  const report = JSON.parse(zlib.gunzipSync(fs.readFileSync(path.join(RESULTS, name))).toString('utf8'));
  runs.push({ part: name.replace(/\.json\.gz$/, ''), date: report.atelierRunAt.slice(0, 16).replace('T', ' ') });
  for (const [file, { source, mutants: list }] of Object.entries(report.files)) {
    const rel = path.relative(ROOT, path.resolve(ROOT, file));
    const lines = source.split('\n');
    runFiles.add(rel);
    for (const m of list) {
      const original = originalOf(source, m.location);
      const replacement = m.replacement ?? '';
      const line = lines[m.location.start.line - 1];
      const equivalent = m.status === 'Survived' || m.status === 'NoCoverage' ? equivalentFor(keyOf(rel, m.mutatorName, original, replacement), line) : undefined;
      mutants.push({ file: rel, line: m.location.start.line, mutator: m.mutatorName, status: m.status, original, replacement, equivalent });
    }
  }
}

const count = (list, ...statuses) => list.filter((m) => statuses.includes(m.status)).length;
/** Stryker's score: detected (killed, timeout) over valid (those and survived, no coverage). */
function figures(list) {
  const detected = count(list, 'Killed', 'Timeout');
  const valid = detected + count(list, 'Survived', 'NoCoverage');
  const equivalent = list.filter((m) => m.equivalent).length;
  const pct = (a, b) => (b === 0 ? '–' : `${((100 * a) / b).toFixed(1)} %`);
  return { detected, valid, score: pct(detected, valid), withoutEquivalents: pct(detected, valid - equivalent), equivalent };
}

const STATUSES = ['Killed', 'Timeout', 'Survived', 'NoCoverage', 'CompileError', 'RuntimeError', 'Ignored'];
const all = figures(mutants);
const out = [];
out.push('# Mutation testing', '');
out.push('Written by `npm run mutate` (StrykerJS, `stryker.config.mjs`; this file by `scripts/mutation-report.mjs`). Do not edit by hand, except the list of equivalent mutants, which lives in `docs/mutation-equivalents.json`.', '');
out.push('What it measures: each mutant is one small change to `src/` (an operator, a condition, a string, a removed block); the tests of `vitest.mutation.config.ts` run against it. The golden byte comparisons (`test/golden.test.ts`) are left out, so the score says what behaviour tests catch; so are the booted-host tests, the crash test, the package test and the flag tests of `test/cli-flags.test.ts`, which run the bundled `dist/` in other processes and cannot see a mutant. Mutants in module-level code (static) are not run (`ignoreStatic`): each would need the whole suite.', '');
out.push(`Runs: ${runs.map((r) => `${r.part} (${r.date} UTC)`).join(', ')}.`, '');
const srcFiles = (dir) => fs.readdirSync(path.join(ROOT, dir), { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? srcFiles(`${dir}/${e.name}`) : e.name.endsWith('.ts') ? [`${dir}/${e.name}`] : []));
const notRun = srcFiles('src').filter((f) => !runFiles.has(f)).sort();
out.push(notRun.length === 0 ? 'Every file of `src/` is in a run.' : `Not in any run yet, so not in the score: ${notRun.length} of the ${srcFiles('src').length} files of \`src/\` (${notRun.map((f) => `\`${f}\``).join(', ')}).`, '');
out.push('## Score', '');
out.push(`**${all.score}** (${all.detected} detected of ${all.valid} valid mutants); counting the ${all.equivalent} listed equivalent mutants out: **${all.withoutEquivalents}**.`, '');
out.push(`| ${STATUSES.join(' | ')} | total |`, `|${STATUSES.map(() => '---:').join('|')}|---:|`);
out.push(`| ${STATUSES.map((s) => count(mutants, s)).join(' | ')} | ${mutants.length} |`, '');
out.push('Killed: a test failed. Timeout: the run hung (counted as detected). Survived: every covering test passed. NoCoverage: no test runs the code. CompileError: the TypeScript checker refused the mutant (not counted). Ignored: static or disabled by a `// Stryker disable` comment (not counted).', '');

out.push('## By file', '');
out.push('| file | score | killed | timeout | survived | no coverage |', '|---|---:|---:|---:|---:|---:|');
const byFolder = new Map();
for (const m of mutants) {
  for (const key of [path.dirname(m.file) + '/', m.file]) byFolder.set(key, [...(byFolder.get(key) ?? []), m]);
}
for (const key of [...byFolder.keys()].sort()) {
  const list = byFolder.get(key);
  const f = figures(list);
  const name = key.endsWith('/') ? `**${key}**` : `\`${key}\``;
  out.push(`| ${name} | ${f.score} | ${count(list, 'Killed')} | ${count(list, 'Timeout')} | ${count(list, 'Survived')} | ${count(list, 'NoCoverage')} |`);
}
out.push('');

const cell = (s) => '`' + s.replace(/\s+/g, ' ').trim().slice(0, 70).replace(/`/g, "'").replace(/\|/g, '\\|') + '`';
const survivors = mutants.filter((m) => (m.status === 'Survived' || m.status === 'NoCoverage') && !m.equivalent).sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line);
out.push('## Surviving mutants', '');
out.push(`${survivors.length} (survived or not covered), not listed as equivalent. Each is a change no test notices.`, '');
out.push('| where | mutator | status | original | mutant |', '|---|---|---|---|---|');
for (const m of survivors) out.push(`| ${m.file}:${m.line} | ${m.mutator} | ${m.status} | ${cell(m.original)} | ${cell(m.replacement)} |`);
out.push('');

out.push('## Equivalent mutants', '');
out.push('Mutants that change no behaviour a user could see, kept by hand in `docs/mutation-equivalents.json` (file, mutator, original and mutated code, a piece of the text of its line, reason).', '');
if (equivalents.length === 0) out.push('None listed.');
else {
  out.push('| file | mutator | original | mutant | on the line | why it is equivalent | seen in the last run |', '|---|---|---|---|---|---|---|');
  for (const e of equivalents) {
    const seen = mutants.some((m) => m.equivalent === e);
    out.push(`| ${e.file} | ${e.mutator} | ${cell(e.original)} | ${cell(e.replacement)} | ${cell(e.on)} | ${e.reason} | ${seen ? 'yes' : 'no (killed, gone, or its part not run)'} |`);
  }
}
out.push('');
fs.writeFileSync(OUT, out.join('\n'));
console.log(`docs/mutation.md: ${all.score} (${all.detected}/${all.valid}), ${survivors.length} surviving`);
