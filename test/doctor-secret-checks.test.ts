// doctor's secret-file, git and runtime-version checks called directly: which
// files are checked for which declarations (each named once, with who reads
// it), the exact words of each finding, and the command asked for git.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { StepResult } from '../src/apply.js';
import { gitCheck, MIN_RUNTIME, runtimeVersionProblem, secretFileChecks } from '../src/doctor-files.js';
import type { HostModel, ServiceModel } from '../src/model.js';
import { makeHost, makeModel, makeService } from './support/model-builders.js';
import { tempDirs } from './support/emit.js';

const temp = tempDirs();
const asRoot = process.getuid?.() === 0;
const data = (name: string, more: Partial<ServiceModel> = {}) => makeService(name, { data: { ...makeService(name).data, files: [`/srv/${name}`] }, ...more });
const noData = (name: string, more: Partial<ServiceModel> = {}) => makeService(name, more);
const host = (caddy: Partial<HostModel['caddy']> = {}, backup: Partial<HostModel['backup']> = {}) => {
  const h = makeHost();
  return { ...h, caddy: { ...h.caddy, ...caddy }, backup: { ...h.backup, ...backup } };
};
/** A host root with these files, each root's with this mode. */
function rootWith(files: Record<string, number>): string {
  const root = temp('secrets');
  for (const [file, mode] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
    fs.writeFileSync(path.join(root, file), 'X=1\n');
    fs.chmodSync(path.join(root, file), mode);
  }
  return root;
}
const checked = (services: ServiceModel[], h: HostModel, root: string) => secretFileChecks(makeModel(services, h), fs, root).map((f) => f.check);

describe('doctor: which secret files are checked', () => {
  it('a missing secretsFile fails, naming the service that reads it, with the command that creates it', () => {
    expect(secretFileChecks(makeModel([noData('web', { secretsFile: '/etc/web/secrets.env' })], host({}, { enable: false })), fs, rootWith({}))).toEqual([
      {
        level: 'fail', check: 'secret /etc/web/secrets.env',
        detail: 'missing (read by web.service (secretsFile); the unit fails to start without it)',
        fix: 'create it: install -m 0600 -o root -g root /dev/null /etc/web/secrets.env   # then write its KEY=value lines',
      },
    ]);
  });

  it('a file two services read is checked once', () => {
    const shared = '/etc/shared.env';
    expect(checked([noData('a', { secretsFile: shared }), noData('b', { secretsFile: shared })], host({}, { enable: false }), rootWith({}))).toEqual(['secret /etc/shared.env']);
  });

  it("caddy's environment file is checked when any service has a site, and not when none has", () => {
    const h = host({ tls: 'internal', environmentFile: '/etc/caddy/env' }, { enable: false });
    const root = rootWith({});
    const site = noData('site');
    const bare = noData('bare', { caddy: { ...noData('bare').caddy, enable: false } });
    expect(secretFileChecks(makeModel([bare, site], h), fs, root)).toEqual([
      { level: 'fail', check: 'secret /etc/caddy/env', detail: 'missing (read by caddy.service (host.caddy.environmentFile); the unit fails to start without it)', fix: 'create it: install -m 0600 -o root -g root /dev/null /etc/caddy/env   # then write its KEY=value lines' },
    ]);
    expect(checked([bare], h, root)).toEqual([]);
  });

  it("caddy's environment file missing is left to the caddy check when the sites read a DNS token from it", () => {
    expect(checked([noData('site')], host({ tls: 'dns', environmentFile: '/etc/caddy/env' }, { enable: false }), rootWith({}))).toEqual([]);
  });

  it('the backup files are checked when backups are on and some service has data, with who reads them', () => {
    const h = host({}, { environmentFile: '/etc/atelier/restic/env' });
    const root = rootWith({ 'etc/atelier/restic/env': 0o644, 'etc/atelier/restic/password': 0o604 });
    expect(secretFileChecks(makeModel([noData('bare'), data('keeper')], h), fs, root)).toEqual([
      { level: 'fail', check: 'secret /etc/atelier/restic/env', detail: 'mode 0644 lets every user read it (read by the backup units (host.backup.environmentFile))', fix: 'chown root:root /etc/atelier/restic/env && chmod 0600 /etc/atelier/restic/env' },
      { level: 'fail', check: 'secret /etc/atelier/restic/password', detail: 'mode 0604 lets every user read it (read by restic (host.backup.passwordFile))', fix: 'chown root:root /etc/atelier/restic/password && chmod 0600 /etc/atelier/restic/password' },
    ]);
    expect(checked([data('keeper')], { ...h, backup: { ...h.backup, enable: false } }, root)).toEqual([]);
    expect(checked([noData('bare')], h, root)).toEqual([]);
  });
});

describe.runIf(asRoot)('doctor: what is wrong with a secret file', () => {
  it('a file everyone can change says so; every problem is listed, separated by "; "', () => {
    const root = rootWith({ 'etc/web/secrets.env': 0o666 });
    const model = makeModel([noData('web', { secretsFile: '/etc/web/secrets.env' })], host({}, { enable: false }));
    expect(secretFileChecks(model, fs, root)[0].detail).toBe('mode 0666 lets every user change it (read by web.service (secretsFile))');
    fs.chownSync(path.join(root, 'etc/web/secrets.env'), 1000, 1000);
    fs.chmodSync(path.join(root, 'etc/web/secrets.env'), 0o604);
    expect(secretFileChecks(model, fs, root)[0].detail).toBe('owned by uid 1000, not root; mode 0604 lets every user read it (read by web.service (secretsFile))');
  });
});

describe('doctor: git', () => {
  const answer = (code: number, output: string, asked: string[][]) => async (argv: string[]): Promise<StepResult> => (asked.push(argv), { command: argv, code, output });

  it('is not asked for when no service clones a repository', async () => {
    const asked: string[][] = [];
    expect(await gitCheck(makeModel([noData('a')]), answer(0, 'git version 2.39.2\n', asked))).toEqual([]);
    expect(asked).toEqual([]);
  });

  it('runs git --version and reports its answer, trimmed', async () => {
    const asked: string[][] = [];
    expect(await gitCheck(makeModel([noData('a', { repository: 'https://example.com/a.git' })]), answer(0, 'git version 2.39.2\n', asked))).toEqual([{ level: 'ok', check: 'git', detail: 'git version 2.39.2' }]);
    expect(asked).toEqual([['git', '--version']]);
  });

  it('missing, names only the services that clone, separated by ", "', async () => {
    const model = makeModel([noData('a', { repository: 'https://example.com/a.git' }), noData('b'), noData('c', { repository: 'https://example.com/c.git' })]);
    expect(await gitCheck(model, answer(127, 'sh: git: not found', []))).toEqual([
      { level: 'fail', check: 'git', detail: 'not found (a, c clone their repository on first start)', fix: 'apt install git' },
    ]);
  });
});

describe('doctor: runtime versions', () => {
  it('the minimum itself and anything newer pass; older fails with both versions', () => {
    expect(runtimeVersionProblem('node', 'v18.0.0\n')).toBeNull();
    expect(runtimeVersionProblem('node', 'v18.19.1')).toBeNull();
    expect(runtimeVersionProblem('node', 'v19.0.0')).toBeNull();
    expect(runtimeVersionProblem('node', 'v17.9.1')).toBe('17.9 is older than 18.0');
    expect(runtimeVersionProblem('bun', '1.0.0')).toBeNull();
    expect(runtimeVersionProblem('bun', '0.8.1')).toBe('0.8 is older than 1.0');
  });

  it('output without a version says what it was, trimmed', () => {
    expect(runtimeVersionProblem('bun', '  command not understood\n')).toBe('cannot read a version from "command not understood"');
  });

  it('a minimum with a minor version compares the minor within the same major', () => {
    const saved = MIN_RUNTIME.node;
    MIN_RUNTIME.node = [18, 5];
    try {
      expect(runtimeVersionProblem('node', 'v18.4.9')).toBe('18.4 is older than 18.5');
      expect(runtimeVersionProblem('node', 'v18.5.0')).toBeNull();
      expect(runtimeVersionProblem('node', 'v19.0.0')).toBeNull();
    } finally {
      MIN_RUNTIME.node = saved;
    }
  });
});
