// The systemd emitter, checked by the programs that read its files:
// systemd-analyze (verify, security), systemd-sysusers, systemd-tmpfiles, visudo, shellcheck.
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { systemdEmitter, FIRST_START_SCRIPT } from '../src/emitters/systemd.js';
import type { DesiredFile } from '../src/plan.js';
import { emitTexts, fixtureTexts, modelOf, tempDirs, writeFiles } from './support/emit.js';
import { makeModel, makeService } from './support/model-builders.js';
import { directives, parseUnit, readEnvironment, readExec } from './support/unit-reader.js';

const temp = tempDirs();

/** A bun stand-in, so verify can check that ExecStart's program exists (this machine has no bun). */
function withBunStub(name: string) {
  const dir = temp('bun');
  const bun = path.join(dir, 'bun');
  fs.writeFileSync(bun, '#!/bin/sh\nexit 0\n', { mode: 0o755 });
  return [...fixtureTexts(name), { file: 'test-host.yaml', text: `host:\n  runtimes:\n    bun: ${bun}\n` }];
}

const units = (files: DesiredFile[]) => files.filter((f) => /^systemd\/system\/[^/]+\.(service|timer)$/.test(f.path));

function exposure(unitFile: string): number {
  const r = spawnSync('systemd-analyze', ['security', '--offline=true', unitFile], { encoding: 'utf8' });
  const m = /Overall exposure level for \S+: (\d+\.\d+)/.exec(r.stdout + r.stderr);
  if (!m) throw new Error(`no exposure score:\n${r.stdout}${r.stderr}`);
  return Number(m[1]);
}

describe.each(['seed', 'fleet', 'hostile'])('fixture %s, read by systemd', (fixture) => {
  const files = emitTexts(withBunStub(fixture));
  const dir = writeFiles(temp(`sd-${fixture}`), files);

  it.each(units(files).map((f) => f.path))('systemd-analyze verify accepts %s', (unit) => {
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

  it('every emitted script passes shellcheck', () => {
    let checked = 0;
    for (const f of units(files)) {
      const unit = parseUnit(f.content);
      for (const key of ['ExecStartPre', 'ExecStart', 'ExecStopPost']) {
        for (const value of directives(unit, 'Service', key)) {
          const { argv } = readExec(value);
          if (argv[0] !== '/bin/sh' || argv[1] !== '-c') continue;
          const r = spawnSync('shellcheck', ['--shell=sh', '-'], { input: argv[2], encoding: 'utf8' });
          expect(r.stdout + r.stderr, `${f.path} ${key}:\n${argv[2]}`).toBe('');
          expect(r.status).toBe(0);
          checked++;
        }
      }
    }
    expect(checked).toBeGreaterThan(0);
  });
});

describe('hardening', () => {
  const files = emitTexts(fixtureTexts('fleet'));
  const dir = writeFiles(temp('sec'), files);
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
  const files = emitTexts(fixtureTexts('hostile'));
  const unitFile = files.find((f) => f.path === 'systemd/system/hostile.service')!;
  const unit = parseUnit(unitFile.content);
  const declared = modelOf(fixtureTexts('hostile')).services[0];

  it('every environment value reads back exactly', () => {
    const env = Object.fromEntries(directives(unit, 'Service', 'Environment').flatMap(readEnvironment));
    expect(env).toEqual({ NODE_ENV: 'production', PORT: '3100', ...declared.environment });
  });

  it('the start command reads back as the declared argv', () => {
    expect(readExec(directives(unit, 'Service', 'ExecStart')[0]).argv).toEqual(['node', 'src/my server.js']);
  });

  it('the first-start script gets the declared values as parameters', () => {
    const { argv } = readExec(directives(unit, 'Service', 'ExecStartPre')[1]);
    expect(argv).toEqual(['/bin/sh', '-c', FIRST_START_SCRIPT, 'hostile-first-start', '/var/lib/hostile/app', '', 'npm', 'ci', '--omit=dev']);
  });

  it('the description keeps its %, quotes, backslash and unicode', () => {
    expect(directives(unit, 'Unit', 'Description')[0].replace(/%%/g, '%')).toBe(declared.description);
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

describe('extraConfig.systemd', () => {
  it('replaces a generated directive in place and adds new ones', () => {
    const service = makeService('app', {
      extraConfig: { systemd: { Unit: {}, Service: { RestartSec: ['30s'], LimitNOFILE: ['65536'], Environment: ['"A=1"', '"B=2"'] }, Install: { WantedBy: ['default.target'] } }, preStart: [] },
    });
    const unit = parseUnit(systemdEmitter.emit(makeModel([service])).files[0].content);
    expect(directives(unit, 'Service', 'RestartSec')).toEqual(['30s']);
    expect(directives(unit, 'Service', 'LimitNOFILE')).toEqual(['65536']);
    expect(directives(unit, 'Service', 'Environment')).toEqual(['"A=1"', '"B=2"']);
    expect(directives(unit, 'Install', 'WantedBy')).toEqual(['default.target']);
  });
});
