// The systemd emitter, checked by the programs that read its files:
// systemd-analyze (verify, security), systemd-sysusers, systemd-tmpfiles, visudo, shellcheck.
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { systemdEmitter, FIRST_START_SCRIPT } from '../src/emitters/systemd.js';
import { isListDirective, LIST_DIRECTIVES } from '../src/formats/unit-directives.js';
import type { ServiceModel } from '../src/model.js';
import type { DesiredFile } from '../src/plan.js';
import { emitTexts, fixtureTexts, modelOf, tempDirs, writeFiles } from './support/emit.js';
import { makeModel, makeService } from './support/model-builders.js';
import { directives, parseUnit, readEnvironment, readExec, resolveSpecifiers } from './support/unit-reader.js';

const temp = tempDirs();

/**
 * A bun stand-in, so verify can check that ExecStart's program exists (this machine has no bun),
 * and `sysconfdir` where the tree is written, so the scripts the units run exist where they say.
 */
function withBunStub(name: string, sysconfdir: string) {
  const dir = temp('bun');
  const bun = path.join(dir, 'bun');
  fs.writeFileSync(bun, '#!/bin/sh\nexit 0\n', { mode: 0o755 });
  return [...fixtureTexts(name), { file: 'test-host.yaml', text: `host:\n  sysconfdir: ${sysconfdir}\n  runtimes:\n    bun: ${bun}\n` }];
}

const units = (files: DesiredFile[]) => files.filter((f) => /^systemd\/system\/[^/]+\.(service|timer)$/.test(f.path));

function exposure(unitFile: string): number {
  const r = spawnSync('systemd-analyze', ['security', '--offline=true', unitFile], { encoding: 'utf8' });
  const m = /Overall exposure level for \S+: (\d+\.\d+)/.exec(r.stdout + r.stderr);
  if (!m) throw new Error(`no exposure score:\n${r.stdout}${r.stderr}`);
  return Number(m[1]);
}

describe.each(['seed', 'fleet', 'hostile'])('fixture %s, read by systemd', (fixture) => {
  const out = temp(`sd-${fixture}`);
  // The unit paths name the tests; the files are emitted again for every test, so that
  // mutation testing credits each test with the emitter code it reads (docs/architecture.md).
  const unitPaths = units(emitTexts(withBunStub(fixture, out))).map((f) => f.path);
  let files: DesiredFile[] = [];
  let dir = '';
  beforeEach(() => {
    files = emitTexts(withBunStub(fixture, out));
    dir = writeFiles(out, files);
  });

  it.each(unitPaths)('systemd-analyze verify accepts %s', (unit) => {
    const r = spawnSync('systemd-analyze', ['verify', path.join(dir, unit)], { encoding: 'utf8' });
    expect(r.stderr + r.stdout).toBe('');
    expect(r.status).toBe(0);
  });

  it('visudo accepts every sudoers file, which allows exactly the four verbs on the own unit', () => {
    for (const f of files.filter((f) => f.path.startsWith('sudoers.d/'))) {
      expect(f.mode).toBe(0o440);
      expect(path.basename(f.path)).not.toContain('.');
      execFileSync('visudo', ['-cf', path.join(dir, f.path)]);
      const name = f.service!;
      const rules = f.content.split('\n').filter((l) => l && !l.startsWith('#'));
      expect(rules).toEqual([
        `${name} ALL=(root) NOPASSWD: ${['restart', 'stop', 'start', 'status'].map((v) => `/usr/bin/systemctl ${v} ${name}.service`).join(', ')}`,
      ]);
    }
  });

  it('systemd-sysusers and systemd-tmpfiles create the user and folders', () => {
    const root = temp(`root-${fixture}`);
    fs.mkdirSync(path.join(root, 'etc'));
    const sysusers = files.filter((f) => f.path.startsWith('sysusers.d/')).map((f) => path.join(dir, f.path));
    const tmpfiles = files.filter((f) => f.path.startsWith('tmpfiles.d/')).map((f) => path.join(dir, f.path));
    execFileSync('systemd-sysusers', [`--root=${root}`, ...sysusers], { stdio: 'pipe' });
    execFileSync('systemd-tmpfiles', [`--root=${root}`, '--create', ...tmpfiles], { stdio: 'pipe' });
    const passwd = fs.readFileSync(path.join(root, 'etc/passwd'), 'utf8');
    const group = fs.readFileSync(path.join(root, 'etc/group'), 'utf8');
    for (const s of modelOf(fixtureTexts(fixture)).services) {
      const entry = passwd.split('\n').find((l) => l.startsWith(`${s.name}:`))!.split(':');
      expect(entry[4]).toBe(s.description.replace(/:/g, ' -'));
      expect(entry.slice(5)).toEqual([s.dataDir, '/bin/bash']);
      expect(group).toMatch(new RegExp(`^services:x:\\d+:.*\\b${s.name}\\b`, 'm'));
      const uid = Number(entry[2]);
      for (const [sub, mode] of [['', 0o755], ['/app', 0o750], ['/data', 0o750]] as const) {
        const st = fs.statSync(path.join(root, s.dataDir + sub));
        expect([st.mode & 0o7777, st.uid]).toEqual([mode, uid]);
      }
    }
  });

  it('every script a unit runs is an emitted file (root-owned, 0755, no value spliced in) and passes shellcheck', () => {
    const scripts = new Map(files.filter((f) => f.path.startsWith('atelier/scripts/')).map((f) => [path.join(dir, f.path), f]));
    let checked = 0;
    for (const f of units(files)) {
      const unit = parseUnit(f.content);
      for (const key of ['ExecStartPre', 'ExecStart', 'ExecStopPost']) {
        for (const value of directives(unit, 'Service', key)) {
          const { argv } = readExec(value);
          expect(argv.slice(0, 2), `${f.path}: no inline script`).not.toEqual(['/bin/sh', '-c']);
          const script = scripts.get(argv[0]);
          if (!script) continue;
          expect(script.mode).toBe(0o755);
          const shell = script.content.startsWith('#!/bin/bash\n') ? 'bash' : 'sh';
          const r = spawnSync('shellcheck', [`--shell=${shell}`, '--severity=style', path.join(dir, script.path)], { encoding: 'utf8' });
          expect(r.stdout + r.stderr, `${script.path}:\n${script.content}`).toBe('');
          expect(r.status).toBe(0);
          checked++;
        }
      }
    }
    expect(checked).toBeGreaterThan(0);
  });
});

describe('hardening', () => {
  let dir = '';
  beforeEach(() => {
    dir = writeFiles(temp('sec'), emitTexts(fixtureTexts('fleet')));
  });
  const scores: Record<string, number> = {};

  it.each([
    ['bun', 'indiko'],
    ['node', 'ledger'],
    ['custom', 'worker'],
  ])('the default %s unit scores at most 2.0 in systemd-analyze security', (runtime, name) => {
    const score = exposure(path.join(dir, `systemd/system/${name}.service`));
    scores[runtime] = score;
    expect(score).toBeLessThanOrEqual(2.0);
  });

  afterAll(() => console.log(`exposure (systemd-analyze security --offline=true): ${JSON.stringify(scores)}`));
});

describe('escaping', () => {
  let files: DesiredFile[] = [];
  let unitFile: DesiredFile;
  let unit: ReturnType<typeof parseUnit>;
  let declared: ServiceModel;
  beforeEach(() => {
    files = emitTexts(fixtureTexts('hostile'));
    unitFile = files.find((f) => f.path === 'systemd/system/hostile.service')!;
    unit = parseUnit(unitFile.content);
    declared = modelOf(fixtureTexts('hostile')).services[0];
  });

  it('every environment value reads back exactly', () => {
    const env = Object.fromEntries(directives(unit, 'Service', 'Environment').flatMap(readEnvironment));
    expect(env).toEqual({ NODE_ENV: 'production', PORT: '3100', ...declared.environment });
  });

  it('the start command reads back as the declared argv', () => {
    expect(readExec(directives(unit, 'Service', 'ExecStart')[0]).argv).toEqual(['node', 'src/my server.js']);
  });

  it('the first-start script gets the declared values as parameters', () => {
    const { argv } = readExec(directives(unit, 'Service', 'ExecStartPre')[1]);
    expect(argv).toEqual(['/etc/atelier/scripts/hostile/first-start', '/var/lib/hostile/app', '', '', 'npm', 'ci', '--omit=dev']);
    const script = files.find((f) => f.path === 'atelier/scripts/hostile/first-start')!;
    expect(script.content).toContain(FIRST_START_SCRIPT);
  });

  it('the description keeps its %, quotes, backslash and unicode (read by specifier rules; systemd itself: test/host/unit-reading.test.ts)', () => {
    // resolveSpecifiers refuses a lone `%`, which systemd would read as a specifier.
    expect(resolveSpecifiers(directives(unit, 'Unit', 'Description')[0])).toBe(declared.description);
  });

  it('sections and directives are exactly the generated ones', () => {
    expect(unit.sections.map((s) => s.name)).toEqual(['Unit', 'Service', 'Install']);
    expect(directives(unit, 'Install', 'WantedBy')).toEqual(['multi-user.target']);
  });

  it('a value systemd cannot carry becomes a positioned diagnostic, never a file', () => {
    const origin = { file: 'evil.yaml', line: 7, column: 18 };
    const service = makeService('evil', { description: 'ok\nExecStartPre=/bin/rm -rf /', origins: { '': origin, description: origin } });
    const result = systemdEmitter.emit(makeModel([service]));
    expect(result.files).toEqual([]);
    expect(result.diagnostics).toHaveLength(2); // the unit's Description= and the user's GECOS
    expect(result.diagnostics[0]).toMatchObject({ ...origin, message: expect.stringContaining('newline') });
  });

  it('an override cannot smuggle a directive in through its name or value', () => {
    const service = makeService('evil', {
      extraConfig: { systemd: { Unit: {}, Service: { 'User=root\nX': ['1'], LimitNOFILE: ['1\nUser=root'] }, Install: {} }, preStart: [] },
    });
    const result = systemdEmitter.emit(makeModel([service]));
    expect(result.files).toEqual([]);
    expect(result.diagnostics.map((d) => d.message)).toEqual([expect.stringContaining('not a directive name'), expect.stringContaining('one line')]);
  });
});

describe('extraConfig.systemd, read as systemd reads a directive given twice', () => {
  const emitUnit = (Service: Record<string, string[]>, Unit: Record<string, string[]> = {}, Install: Record<string, string[]> = {}) =>
    parseUnit(systemdEmitter.emit(makeModel([makeService('app', { environment: { DECLARED: 'yes' }, extraConfig: { systemd: { Unit, Service, Install }, preStart: [] } })])).files[0].content);

  it('adds to list directives after the generated lines: the generated environment and data folder stay', () => {
    const unit = emitUnit({ Environment: ['"DATABASE_PATH=/var/lib/app/data/app.db"'], ReadWritePaths: ['/var/cache/x'], ExecStartPre: ['/usr/bin/true'] }, { After: ['postgresql.service'] });
    expect(directives(unit, 'Service', 'Environment')).toEqual(['"NODE_ENV=production"', '"PORT=3000"', '"DECLARED=yes"', '"DATABASE_PATH=/var/lib/app/data/app.db"']);
    expect(directives(unit, 'Service', 'ReadWritePaths')).toEqual(['/var/lib/app', '/var/cache/x']);
    expect(directives(unit, 'Service', 'ExecStartPre').at(-1)).toBe('/usr/bin/true');
    expect(directives(unit, 'Unit', 'After')).toEqual(['network.target network-online.target', 'postgresql.service']);
  });

  it('keeps an empty string, which makes systemd reset the list at that point', () => {
    const unit = emitUnit({ Environment: ['', '"ONLY=1"'] });
    expect(directives(unit, 'Service', 'Environment')).toEqual(['"NODE_ENV=production"', '"PORT=3000"', '"DECLARED=yes"', '', '"ONLY=1"']);
  });

  it('replaces single-valued directives in place, and adds new ones', () => {
    const unit = emitUnit({ TimeoutStartSec: ['5min'], UMask: ['0077'], LimitNOFILE: ['65536'], ExecStart: ['/usr/bin/env app'] }, {}, { WantedBy: ['default.target'] });
    expect(directives(unit, 'Service', 'TimeoutStartSec')).toEqual(['5min']);
    expect(directives(unit, 'Service', 'UMask')).toEqual(['0077']);
    expect(directives(unit, 'Service', 'LimitNOFILE')).toEqual(['65536']);
    // Type=exec allows one ExecStart=: it is replaced, not added.
    expect(directives(unit, 'Service', 'ExecStart')).toEqual(['/usr/bin/env app']);
    const keys = unit.sections.find((x) => x.name === 'Service')!.directives.map(([k]) => k);
    expect(keys.indexOf('TimeoutStartSec')).toBe(keys.indexOf('RestartSec') + 1);
    expect(directives(unit, 'Install', 'WantedBy')).toEqual(['multi-user.target', 'default.target']);
  });

  it('takes its list directives from the systemd manuals installed here', () => {
    const manuals = ['systemd.unit', 'systemd.service', 'systemd.exec', 'systemd.resource-control']
      .map((page) => spawnSync('man', ['-P', 'cat', '5', page], { encoding: 'utf8', env: { ...process.env, MANWIDTH: '250' } }).stdout)
      .join('\n');
    expect(manuals.length, 'the systemd manual pages (man-db and systemd) are installed').toBeGreaterThan(10_000);
    for (const directive of LIST_DIRECTIVES) expect(manuals, directive).toMatch(new RegExp(`\\b${directive}=`));
    for (const directive of ['Environment', 'ReadWritePaths', 'After', 'ExecStartPre', 'SupplementaryGroups', 'ConditionPathExists']) expect(isListDirective(directive), directive).toBe(true);
    for (const directive of ['TimeoutStartSec', 'UMask', 'User', 'ExecStart', 'MemoryDenyWriteExecute']) expect(isListDirective(directive), directive).toBe(false);
  });
});

describe('the start command', () => {
  const execStart = (overrides: Partial<ServiceModel>) =>
    readExec(directives(parseUnit(systemdEmitter.emit(makeModel([makeService('app', overrides)])).files[0].content), 'Service', 'ExecStart')[0]).argv;

  it.each(['bun', 'node', 'custom'] as const)('startCommand overrides the whole command for runtime %s, run by bash -c as mkService does', (runtime) => {
    expect(execStart({ runtime, startCommand: 'cd web && PORT=3022 bun run src/server/index.ts' })).toEqual(['/bin/bash', '-c', 'cd web && PORT=3022 bun run src/server/index.ts']);
  });

  it('without startCommand, runs the entry point directly as one argument', () => {
    expect(execStart({ runtime: 'bun', entryPoint: 'src/my app.ts' })).toEqual(['bun', 'run', 'src/my app.ts']);
    expect(execStart({ runtime: 'node', entryPoint: 'server.js' })).toEqual(['node', 'server.js']);
  });

  it('passes repositoryRef to the first clone', () => {
    const unit = parseUnit(systemdEmitter.emit(makeModel([makeService('app', { repository: 'https://example.com/app.git', repositoryRef: 'v1.2' })])).files[0].content);
    expect(readExec(directives(unit, 'Service', 'ExecStartPre')[1]).argv).toEqual(['/etc/atelier/scripts/app/first-start', '/var/lib/app/app', 'https://example.com/app.git', 'v1.2', 'bun', 'install']);
  });
});

describe('the first-start script, run by bash with git', () => {
  it('clones the declared branch or tag once, then installs once', () => {
    const work = temp('first-start');
    const repo = path.join(work, 'repo');
    const git = (cwd: string, ...args: string[]) => execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.com', '-c', 'init.defaultBranch=main', ...args], { cwd, encoding: 'utf8' });
    fs.mkdirSync(repo);
    git(repo, 'init', '-q');
    fs.writeFileSync(path.join(repo, 'package.json'), '{}\n');
    git(repo, 'add', '-A');
    git(repo, 'commit', '-qm', 'main');
    git(repo, 'checkout', '-qb', 'release');
    fs.writeFileSync(path.join(repo, 'RELEASE'), 'yes\n');
    git(repo, 'add', '-A');
    git(repo, 'commit', '-qm', 'release');
    git(repo, 'checkout', '-q', 'main');
    const script = systemdEmitter.emit(makeModel([makeService('app')])).files.find((f) => f.path === 'atelier/scripts/app/first-start')!;
    const file = path.join(work, 'first-start');
    fs.writeFileSync(file, script.content, { mode: 0o755 });
    const app = path.join(work, 'app');
    fs.mkdirSync(app);
    const run = () => execFileSync(file, [app, repo, 'release', 'sh', '-c', 'mkdir node_modules && echo installed >> ../installs'], { encoding: 'utf8' });
    run();
    run();
    expect(git(app, 'rev-parse', '--abbrev-ref', 'HEAD').trim()).toBe('release');
    expect(fs.existsSync(path.join(app, 'RELEASE'))).toBe(true);
    expect(fs.readFileSync(path.join(work, 'installs'), 'utf8')).toBe('installed\n');
  });

  it('runs extraConfig.preStart as NixOS does (set -e only): an unset variable is empty, a failing line fails the start', () => {
    const work = temp('prestart');
    const script = (preStart: string[]) => {
      const f = systemdEmitter.emit(makeModel([makeService('app', { extraConfig: { systemd: { Unit: {}, Service: {}, Install: {} }, preStart } })])).files.find((x) => x.path === 'atelier/scripts/app/first-start')!;
      const file = path.join(work, 'first-start');
      fs.writeFileSync(file, f.content, { mode: 0o755 });
      return spawnSync(file, [work, '', ''], { encoding: 'utf8', env: { PATH: process.env.PATH } });
    };
    expect(script(['echo "[${UNSET_VARIABLE}]"']).stdout).toBe('[]\n');
    const failing = script(['false', 'echo not reached']);
    expect([failing.status, failing.stdout]).toEqual([1, '']);
  });

  it('changes the unit when the script changes, so --apply restarts the service as a NixOS switch does after a preStart change', () => {
    const unitWith = (preStart: string[]) =>
      systemdEmitter.emit(makeModel([makeService('app', { extraConfig: { systemd: { Unit: {}, Service: {}, Install: {} }, preStart } })])).files.find((f) => f.path === 'systemd/system/app.service')!.content;
    expect(unitWith(['bun run migrate'])).not.toBe(unitWith(['bun run migrate --seed']));
    expect(unitWith(['bun run migrate'])).toBe(unitWith(['bun run migrate']));
  });
});
