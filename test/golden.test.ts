// Golden files: each fixture's declarations, emitted through the whole CLI,
// must give its checked-in expected/ tree byte for byte.
// After an intended change: `npm run golden:update`, then review the diff.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { isDeclarationFile } from '../src/declarations/load.js';
import { STATE_PATH } from '../src/state.js';
import { readTree, runCli } from './support/cli.js';

const ROOT = path.resolve(__dirname, '..');
const FIXTURES = path.join(ROOT, 'fixtures');
const UPDATE = process.env.UPDATE_GOLDEN === '1';

const cases = fs
  .readdirSync(FIXTURES, { withFileTypes: true })
  .filter((d) => d.isDirectory() && d.name !== 'bad')
  .map((d) => d.name)
  .sort();

describe('golden trees', () => {
  it('has fixtures', () => {
    expect(cases.length).toBeGreaterThanOrEqual(4);
  });

  it.each(cases)('%s', async (name) => {
    const dir = path.join(FIXTURES, name);
    const configs = fs.readdirSync(dir).filter(isDeclarationFile).sort().map((f) => `fixtures/${name}/${f}`);
    const out = fs.mkdtempSync(path.join(os.tmpdir(), `atelier-golden-${name}-`));
    try {
      const result = await runCli([...configs.flatMap((c) => ['--config', c]), '--out', out], { cwd: ROOT });
      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
      const actual = readTree(out, (p) => p === STATE_PATH);
      const expectedDir = path.join(dir, 'expected');
      if (UPDATE) {
        fs.rmSync(expectedDir, { recursive: true, force: true });
        for (const [p, content] of actual) {
          fs.mkdirSync(path.dirname(path.join(expectedDir, p)), { recursive: true });
          fs.writeFileSync(path.join(expectedDir, p), content);
        }
      }
      const expected = readTree(expectedDir);
      expect([...actual.keys()]).toEqual([...expected.keys()]);
      for (const [p, content] of expected) expect(actual.get(p), p).toBe(content);
    } finally {
      fs.rmSync(out, { recursive: true, force: true });
    }
  });
});

// docs/atelier.schema.json is what editors load (the seed fixture points at it): it must be the schema the CLI prints.
describe('the checked-in JSON Schema', () => {
  it('is byte for byte what `atelier-emit schema` prints', async () => {
    const result = await runCli(['schema'], { cwd: ROOT });
    expect(result.code).toBe(0);
    const file = path.join(ROOT, 'docs/atelier.schema.json');
    if (UPDATE) fs.writeFileSync(file, result.stdout);
    expect(fs.readFileSync(file, 'utf8')).toBe(result.stdout);
  });
});
