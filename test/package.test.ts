// Installation artefacts, read by their real consumers: the npm package (packed
// from a fresh copy of the repository and installed), the man page (man and
// groff), the bash completion (bash), the Debian package (dpkg-deb, lintian).
// test/host/package.test.ts installs the .deb on a booted Debian 12.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exec, run } from './support/process.js';
// @ts-expect-error a plain ES module of the build scripts, without types
import { markdownToRoff } from '../scripts/lib/man.mjs';

const ROOT = path.resolve(__dirname, '..');
const BUNDLE = path.join(ROOT, 'dist/atelier-emit.mjs');
const { version } = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
let work: string;

beforeAll(() => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'atelier-package-'));
});
afterAll(() => fs.promises.rm(work, { recursive: true, force: true }));

/** The options `--help` lists for a command, as commander prints them. */
async function helpOptions(...command: string[]): Promise<string[]> {
  const help = await run(process.execPath, [BUNDLE, ...command, '--help']);
  const section = help.slice(help.indexOf('Options:'), help.indexOf('\n\n', help.indexOf('Options:')));
  return [...section.matchAll(/^ {2}(-\w, )?(--[\w-]+)/gm)].flatMap((m) => (m[1] ? [m[1].slice(0, 2), m[2]] : [m[2]])).sort();
}

describe('the npm package', () => {
  it('packed from a fresh copy without dependencies fails loudly; with them, it holds the bundle and the installed command runs', async () => {
    const clone = path.join(work, 'clone');
    const tracked = (await run('git', ['ls-files', '-z'], { cwd: ROOT })).split('\0').filter(Boolean);
    for (const file of tracked) {
      if (!fs.existsSync(path.join(ROOT, file))) continue; // deleted in the work tree, not yet committed
      fs.mkdirSync(path.dirname(path.join(clone, file)), { recursive: true });
      fs.copyFileSync(path.join(ROOT, file), path.join(clone, file));
    }
    const bare = await exec('npm', ['pack', '--silent'], { cwd: clone });
    expect(bare.code).not.toBe(0);
    expect(bare.stderr).toContain('cannot build dist/atelier-emit.mjs: esbuild is not installed');
    fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(clone, 'node_modules'));
    const packed = JSON.parse(await run('npm', ['pack', '--json', '--silent'], { cwd: clone }))[0];
    expect(packed.files.map((f: { path: string }) => f.path)).toEqual(expect.arrayContaining(['bin/atelier-emit.js', 'dist/atelier-emit.mjs', 'completions/atelier-emit.bash']));
    const prefix = path.join(work, 'prefix');
    await run('npm', ['install', '-g', '--prefix', prefix, '--prefer-offline', '--no-audit', '--no-fund', path.join(clone, packed.filename)], { timeoutMs: 110_000 });
    expect((await run(path.join(prefix, 'bin/atelier-emit'), ['--version'])).trim()).toBe(version);
  }, 120_000);
});

describe('the man page', () => {
  const roff = markdownToRoff(fs.readFileSync(path.join(ROOT, 'docs/atelier-emit.1.md'), 'utf8'), { version, date: '2026-01-01' }) as string;

  it('renders with man and groff without a warning, with a NAME line whatis reads', async () => {
    const file = path.join(work, 'atelier-emit.1');
    fs.writeFileSync(file, roff);
    const r = await exec('man', ['--warnings', '-E', 'UTF-8', '-l', file], { env: { ...process.env, MANWIDTH: '80', MAN_KEEP_FORMATTING: '0', LC_ALL: 'C.UTF-8' } });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toBe('');
    // man overstrikes bold (c\bc) when its output is not a terminal.
    expect(r.stdout.replace(/.\x08/g, '')).toMatch(/^NAME\n\s+atelier[-\u2010\u2212]emit\s+[-\u2010\u2212]\s+turn service declarations/m);
    expect(roff).toMatch(/^\.SH NAME\natelier\\-emit \\- turn/m);
  });

  it('documents every option the command has', async () => {
    const rendered = (await run('man', ['-l', path.join(work, 'atelier-emit.1')], { env: { ...process.env, MANWIDTH: '200', LC_ALL: 'C.UTF-8' } })).replace(/.\x08/g, '').replace(/‐\n\s*/g, '');
    const missing = (await helpOptions()).concat(await helpOptions('doctor')).filter((o) => !['-h', '--help', '-V', '--version'].includes(o) && !rendered.includes(o));
    expect(missing).toEqual([]);
  });
});

describe('the bash completion', () => {
  const complete = (words: string) =>
    run('bash', ['--norc', '-c', `source ${path.join(ROOT, 'completions/atelier-emit.bash')}; COMP_WORDS=(${words}); COMP_CWORD=$(( \${#COMP_WORDS[@]} - 1 )); _atelier_emit; printf '%s\\n' "\${COMPREPLY[@]}"`], { cwd: path.join(ROOT, 'fixtures/seed') });

  it.each([[[]], [['validate']], [['doctor']], [['schema']]])('offers exactly the options --help lists (%j)', async (command) => {
    const offered = (await complete(`atelier-emit ${command.join(' ')} -`)).trim().split('\n').sort();
    expect(offered).toEqual(await helpOptions(...command));
  });

  it('completes commands, emitters, formats and declaration files', async () => {
    expect((await complete('atelier-emit v')).trim()).toBe('validate');
    expect((await complete('atelier-emit --only systemd,b')).trim()).toBe('systemd,backup');
    expect((await complete('atelier-emit --format m')).trim()).toBe('markdown');
    expect((await complete("atelier-emit --config ''")).trim().split('\n').sort()).toEqual(['atelier.yaml', 'expected']);
  });

  it('passes shellcheck', async () => {
    await run('shellcheck', ['-s', 'bash', path.join(ROOT, 'completions/atelier-emit.bash')]);
  });
});

describe('the Debian package', () => {
  let deb: string;
  beforeAll(async () => {
    deb = path.join(ROOT, (await run(process.execPath, [path.join(ROOT, 'scripts/package-deb.mjs')], { cwd: ROOT })).trim().split('\n').pop()!);
  }, 120_000);

  it('is atelier-emit_<version>_all.deb, depends on the distribution nodejs, and installs the command, man page, completion and collection', async () => {
    expect(path.basename(deb)).toBe(`atelier-emit_${version}_all.deb`);
    const control = await run('dpkg-deb', ['--field', deb]);
    expect(control).toContain(`Version: ${version}\n`);
    expect(control).toContain('Architecture: all\n');
    expect(control).toMatch(/^Depends: nodejs \(>= 18\.19\)$/m);
    const contents = await run('dpkg-deb', ['--contents', deb]);
    for (const entry of [
      './usr/bin/atelier-emit -> ../lib/atelier-emit/atelier-emit.mjs',
      './usr/lib/atelier-emit/atelier-emit.mjs',
      './usr/share/man/man1/atelier-emit.1.gz',
      './usr/share/bash-completion/completions/atelier-emit',
      './usr/share/ansible/collections/ansible_collections/atelier/emit/plugins/modules/deploy.py',
      './usr/share/doc/atelier-emit/copyright',
    ]) expect(contents).toContain(entry);
    expect(contents).not.toMatch(/__pycache__/);
  });

  it('is built reproducibly', async () => {
    const first = fs.readFileSync(deb);
    await run(process.execPath, [path.join(ROOT, 'scripts/package-deb.mjs')], { cwd: ROOT });
    expect(fs.readFileSync(deb).equals(first)).toBe(true);
  }, 120_000);

  const hasLintian = spawnSync('sh', ['-c', 'command -v lintian']).status === 0;
  it.runIf(hasLintian)('has no lintian errors (runs only where lintian is installed: apt-get install lintian)', async () => {
    const r = await exec('lintian', ['--no-tag-display-limit', deb], { timeoutMs: 110_000 });
    expect(r.stdout + r.stderr).not.toMatch(/^E: /m);
  }, 120_000);
});
