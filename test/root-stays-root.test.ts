// Issue 12, at the line: values escaped perfectly and still dangerous. Each is
// refused with its file:line:column before any emitter runs; what is accepted is
// read by its real consumer (visudo).
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { resolveDeclarations } from '../src/declarations/resolve.js';
import { emitAll } from '../src/emitters/index.js';
import { escapeExec } from '../src/formats/unit-file.js';
import { tempDirs } from './support/emit.js';

const temp = tempDirs();

function service(fields: string, host = ''): string {
  return `${host ? `host:\n${host}\n` : ''}services:\n  app:\n    enable: true\n    domain: app.example.com\n${fields}`;
}

function errorsOf(text: string): string[] {
  const result = resolveDeclarations([{ file: 'app.yaml', text }]);
  return result.diagnostics.map((d) => `${d.file}:${d.line}:${d.column} ${d.message}`);
}

describe('a data folder is a folder of its own under /var/lib or /srv', () => {
  it.each(['/etc', '/', '/tmp', '/var/lib', '/srv', '/home/alice', '/etc/sudoers.d', '/root', '/usr/local', '/var/lib/dpkg', '/var/lib/postgresql/app', '/var/lib/app:x', '/var/www'])(
    'refuses %s at its line',
    (dir) => {
      const errors = errorsOf(service(`    dataDir: ${JSON.stringify(dir)}\n`));
      expect(errors.join('\n')).toMatch(/^app\.yaml:5:14 `services\.app\.dataDir` must/m);
    },
  );

  it.each(['/var/lib/app', '/srv/app', '/srv/apps/app', '/var/lib/apps/app'])('accepts %s', (dir) => {
    expect(errorsOf(service(`    dataDir: ${dir}\n`))).toEqual([]);
  });

  it('refuses a path component longer than NAME_MAX', () => {
    expect(errorsOf(service(`    dataDir: /srv/${'a'.repeat(256)}\n`)).join('\n')).toContain('over 255 bytes');
  });
});

describe('no Exec*= line starts with a prefix atelier-emit did not put there', () => {
  it.each(['+/usr/bin/node', '!/usr/bin/node', '!!node', '-node', '@node', ':node', '|node', '/usr/bin/no de'])('refuses host.runtimes.node %j', (program) => {
    const errors = errorsOf(service('    runtime: node\n', `  runtimes:\n    node: ${JSON.stringify(program)}`));
    expect(errors.join('\n')).toMatch(/^app\.yaml:3:11 `host\.runtimes\.node` must/m);
  });

  it.each(['+/bin/chown app /etc', '!/bin/true', '!!/bin/true', '-+/bin/true', '|id'])('refuses extraConfig ExecStartPre %j', (command) => {
    const errors = errorsOf(service(`    extraConfig:\n      systemd:\n        Service:\n          ExecStartPre: ${JSON.stringify(command)}\n`));
    expect(errors.join('\n')).toMatch(/^app\.yaml:8:25 `services\.app\.extraConfig\.systemd\.Service\.ExecStartPre\.0` a command must not start with/m);
  });

  it.each([
    ['Service', 'User', 'root'],
    ['Service', 'SupplementaryGroups', 'shadow'],
    ['Service', 'AmbientCapabilities', 'CAP_SYS_ADMIN'],
    ['Service', 'ReadWritePaths', '/etc'],
    ['Service', 'ReadWritePaths', '/var/lib/other'],
    ['Service', 'ReadWritePaths', '-/var/cache/app/../../../etc'],
    ['Service', 'ReadWritePaths', 'var/cache/app'],
    ['Service', 'StateDirectory', 'dpkg'],
    ['Service', 'LoadCredential', 'shadow:/etc/shadow'],
    ['Service', 'StandardOutput', 'truncate:/etc/shadow'],
    ['Service', 'EnvironmentFile', '/etc/caddy/env'],
    ['Service', 'NoNewPrivileges', 'no'],
    ['Service', 'SystemCallFilter', '~@mount'],
    ['Service', 'UMask', '0000'],
    ['Unit', 'Wants', 'debug-shell.service'],
    ['Unit', 'Requires', 'poweroff.target'],
    ['Unit', 'OnFailure', 'reboot.target'],
    ['Install', 'Alias', 'sshd.service'],
    ['Install', 'RequiredBy', 'sshd.service'],
  ])('refuses extraConfig [%s] %s=%s', (section, directive, value) => {
    const errors = errorsOf(service(`    extraConfig:\n      systemd:\n        ${section}:\n          ${directive}: ${JSON.stringify(value)}\n`));
    expect(errors.join('\n')).toMatch(new RegExp(`\`services\\.app\\.extraConfig\\.systemd\\.${section}\\.${directive}(\\.0)?\``));
  });

  it('keeps what only tunes the service itself, and writable folders of its own (issue 13: ReadWritePaths adds)', () => {
    const text = service(`    extraConfig:\n      systemd:\n        Unit:\n          After: postgresql.service\n          Wants: postgresql.service\n        Service:\n          LimitNOFILE: "65536"\n          ExecStartPre: "-/usr/bin/true"\n          UMask: "0027"\n          ReadWritePaths: ["/var/cache/app", "-/var/log/app/slow", "/run/app"]\n`);
    expect(errorsOf(text)).toEqual([]);
  });

  it('refuses a prefix in the program word even when a value reaches the escaper some other way', () => {
    expect(() => escapeExec(['+/bin/sh'])).toThrow('command prefix');
    expect(escapeExec(['systemd-tmpfiles'], '+')).toBe('+systemd-tmpfiles');
  });
});

describe('the deploy rule cannot be widened', () => {
  it.each(['/usr/bin/*', '/usr/bin/system?tl', '/usr/bin/[s]ystemctl', '/usr/bin/sys"temctl', '/usr/bin/sys\\\\temctl', '/usr/bin/sys\u00a0temctl', '/usr/bin/bash', '/home/alice/systemctl', '/var/lib/app/systemctl', '/usr/bin/systemctl,/bin/sh'])(
    'refuses host.systemctl %j',
    (p) => {
      expect(errorsOf(service('', `  systemctl: ${JSON.stringify(p)}`)).join('\n')).toMatch(/^app\.yaml:2:14 `host\.systemctl` must/m);
    },
  );

  it.runIf(spawnSync('visudo', ['--version']).status === 0)('an accepted path gives a file visudo -c accepts, allowing the four verbs only', () => {
    for (const systemctl of ['/usr/bin/systemctl', '/usr/local/sbin/systemctl', '/opt/sys-tools_1.2+x/systemctl']) {
      const result = resolveDeclarations([{ file: 'app.yaml', text: service('', `  systemctl: ${systemctl}`) }]);
      expect(result.diagnostics).toEqual([]);
      const file = emitAll(result.model!).files.find((f) => f.path === 'sudoers.d/atelier-app')!;
      const target = path.join(temp('sudoers'), 'atelier-app');
      fs.writeFileSync(target, file.content, { mode: 0o440 });
      execFileSync('visudo', ['-cf', target]);
      expect(file.content).toContain(`app ALL=(root) NOPASSWD: ${systemctl} restart app.service, ${systemctl} stop app.service`);
    }
  });
});

describe('names that are privileged groups', () => {
  const base = (file: string) =>
    fs
      .readFileSync(file, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => l.split(':')[0]);
  const debian = fs.existsSync('/usr/share/base-passwd/group.master') ? [...base('/usr/share/base-passwd/passwd.master'), ...base('/usr/share/base-passwd/group.master')] : [];

  it.runIf(debian.length > 0)('refuses every name of base-passwd as a service name and as the services group', () => {
    const plain = [...new Set(debian)].filter((n) => /^[a-z][a-z0-9-]{0,30}$/.test(n));
    expect(plain.length).toBeGreaterThanOrEqual(40);
    for (const name of plain) {
      expect(errorsOf(`services:\n  ${name}:\n    enable: true\n    caddy: {enable: false}\n`).join('\n'), name).toContain('already used by the system');
      expect(errorsOf(service('', `  servicesGroup: ${name}`)).join('\n'), name).toContain('`host.servicesGroup` is a group the system');
    }
  });

  it.each(['docker', 'ssl-cert', 'shadow', 'disk', 'kmem', 'tty', 'video', 'sudo', 'root', 'systemd-journal', 'caddy', 'postgres'])('refuses %s', (name) => {
    expect(errorsOf(`services:\n  ${name}:\n    enable: true\n    caddy: {enable: false}\n`).join('\n')).toContain('already used by the system');
    expect(errorsOf(service('', `  servicesGroup: ${name}`)).join('\n')).toContain('is a group the system');
  });
});

describe('what passwd and root read', () => {
  it.each(['/bin/ba:sh', '/bin/bash/'])('refuses host.userShell %j', (shell) => {
    expect(errorsOf(service('', `  userShell: ${JSON.stringify(shell)}`)).join('\n')).toMatch(/`host\.userShell` must/);
  });

  it.each([
    ['sysconfdir', '/var/lib/app'],
    ['sysconfdir', '/home/alice/etc'],
    ['caddy:\n    environmentFile', '/var/lib/app/token'],
    ['backup:\n    environmentFile', '/srv/app/env'],
    ['backup:\n    passwordFile', '/home/alice/pw'],
  ])('refuses host.%s %s, a file root reads, where a user can write', (key, value) => {
    expect(errorsOf(service('', `  ${key}: ${value}`)).join('\n')).toMatch(/must not be under/);
  });

  it('refuses an environment line longer than systemd reads', () => {
    const result = resolveDeclarations([{ file: 'app.yaml', text: service(`    environment:\n      BIG: ${'x'.repeat(1024 * 1024)}\n`) }]);
    const emitted = result.model ? emitAll(result.model).diagnostics : result.diagnostics;
    expect(emitted.map((d) => `${d.line}:${d.column} ${d.message}`).join('\n')).toMatch(/^6:12 .*longer than systemd reads/m);
  });
});

describe('found by the privilege property', () => {
  it('an empty list for a forbidden directive is refused too (it would remove User=)', () => {
    const errors = errorsOf(service('    extraConfig:\n      systemd:\n        Service:\n          User: []\n'));
    expect(errors.join('\n')).toContain('`services.app.extraConfig.systemd.Service.User` `User` is not among the directives');
  });
});

describe('secrets are not shared', () => {
  it.each([
    ['another service’s secretsFile', `services:\n  one:\n    enable: true\n    caddy: {enable: false}\n    secretsFile: /run/secrets/one\n  two:\n    enable: true\n    caddy: {enable: false}\n    secretsFile: /run/secrets/one\n`, 'is the secretsFile of one'],
    ['Caddy’s DNS token', `host:\n  caddy:\n    environmentFile: /etc/caddy/token.env\nservices:\n  one:\n    enable: true\n    caddy: {enable: false}\n    secretsFile: /etc/caddy/token.env\n`, 'is host.caddy.environmentFile'],
    ['restic’s password', `services:\n  one:\n    enable: true\n    caddy: {enable: false}\n    secretsFile: /etc/atelier/restic/password\n`, 'is host.backup.passwordFile'],
  ])('refuses a secretsFile that is %s', (_what, text, message) => {
    expect(errorsOf(text).join('\n')).toContain(message);
  });
});
