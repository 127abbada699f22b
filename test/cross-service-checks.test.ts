// Checks across services, with the message and place the user reads: one
// service's secrets file is not another's or the host's, nor inside
// atelier-emit's folder; data directories are neither shared nor nested;
// ports and domains are not shared; no service is named as the services group.
import { describe, expect, it } from 'vitest';
import { resolveDeclarations } from '../src/declarations/resolve.js';

const svc = (name: string, extra = '') => `  ${name}:\n    enable: true\n    runtime: node\n${extra.includes('domain:') ? '' : `    domain: ${name}.example.com\n`}${extra}`;
function errors(text: string) {
  const result = resolveDeclarations([{ file: 'atelier.yaml', text }]);
  return result.diagnostics.map((d) => ({ at: `${d.line}:${d.column}`, message: d.message, hint: d.hint }));
}
const ok = (text: string) => expect(resolveDeclarations([{ file: 'atelier.yaml', text }]).diagnostics).toEqual([]);

describe('secrets files', () => {
  it('another service\'s is refused at the second, naming the first', () => {
    expect(errors(`services:\n${svc('a', '    port: 3001\n    secretsFile: /run/secrets/shared\n')}${svc('b', '    port: 3002\n    secretsFile: /run/secrets/shared\n')}`)).toEqual([
      { at: '13:18', message: 'secretsFile /run/secrets/shared of b is the secretsFile of a: its variables would be given to b', hint: 'give each service a secrets file of its own' },
    ]);
    ok(`services:\n${svc('a', '    port: 3001\n    secretsFile: /run/secrets/a\n')}${svc('b', '    port: 3002\n    secretsFile: /run/secrets/b\n')}`);
  });

  it('one of the host\'s is refused, naming which', () => {
    const host = 'host:\n  caddy:\n    environmentFile: /etc/caddy/dns.env\n  backup:\n    environmentFile: /etc/restic.env\n';
    for (const [file, name] of [['/etc/caddy/dns.env', 'host.caddy.environmentFile'], ['/etc/restic.env', 'host.backup.environmentFile'], ['/etc/atelier/restic/password', 'host.backup.passwordFile'], ['/etc/atelier/restic/repository', 'host.backup.repositoryFile']]) {
      const found = errors(`${host}services:\n${svc('a', `    port: 3001\n    secretsFile: ${file}\n`)}`);
      expect(found.map((e) => e.message)).toContain(`secretsFile ${file} of a is ${name}: its variables would be given to a`);
    }
  });

  it('one inside atelier-emit\'s own folder is refused, wherever sysconfdir is', () => {
    expect(errors(`host:\n  sysconfdir: /opt/etc\nservices:\n${svc('a', '    secretsFile: /opt/etc/atelier/a.env\n')}`)).toEqual([
      { at: '8:18', message: "secretsFile /opt/etc/atelier/a.env of a is inside atelier-emit's own folder", hint: 'keep secrets elsewhere, e.g. /run/secrets/<name>' },
    ]);
    ok(`host:\n  sysconfdir: /opt/etc\nservices:\n${svc('a', '    secretsFile: /etc/atelier/a.env\n')}`);
  });
});

describe('data directories', () => {
  it('one shared by two services is refused at the second', () => {
    expect(errors(`services:\n${svc('a', '    port: 3001\n    dataDir: /srv/shared\n')}${svc('b', '    port: 3002\n    dataDir: /srv/shared\n')}`)).toEqual([
      { at: '13:14', message: 'dataDir /srv/shared of b is also the dataDir of a', hint: undefined },
    ]);
  });

  it('one inside another\'s is refused, whichever is declared first; siblings with a common prefix are fine', () => {
    const nested = errors(`services:\n${svc('inner', '    port: 3001\n    dataDir: /srv/outer/deep/inner\n')}${svc('outer', '    port: 3002\n    dataDir: /srv/outer\n')}`);
    expect(nested.map((e) => [e.at, e.message])).toEqual([['7:14', 'dataDir /srv/outer/deep/inner of inner is inside /srv/outer, the dataDir of outer']]);
    ok(`services:\n${svc('a', '    port: 3001\n    dataDir: /srv/app\n')}${svc('b', '    port: 3002\n    dataDir: /srv/app2\n')}`);
  });
});

describe('ports, domains and the group name', () => {
  it('a port shared by three services is one error at the last, listing every port in use', () => {
    const found = errors(`services:\n${svc('a', '    port: 3000\n')}${svc('b', '    port: 3000\n')}${svc('c', '    port: 3000\n')}${svc('d', '    port: 2999\n')}`);
    expect(found).toEqual([
      { at: '16:11', message: 'port conflict: port 3000 is used by a (atelier.yaml:6:11), b (atelier.yaml:11:11), c (atelier.yaml:16:11)', hint: 'ports in use: 2999 (d), 3000 (a, b, c)' },
    ]);
  });

  it('domains clash whatever their case', () => {
    const found = errors(`services:\n${svc('a', '    port: 3001\n    domain: Shop.example.com\n')}${svc('b', '    port: 3002\n    domain: shop.EXAMPLE.com\n')}`);
    expect(found).toEqual([{ at: '11:13', message: 'domain conflict: b and a both use shop.example.com', hint: 'a declares it at atelier.yaml:6:13' }]);
  });

  it('a service named as the services group is refused', () => {
    expect(errors(`host:\n  servicesGroup: apps\nservices:\n${svc('apps')}`).map((e) => [e.message, e.hint])).toEqual([['service name `apps` is the name of the services group', 'rename the service or set host.servicesGroup']]);
    ok(`services:\n${svc('apps')}`);
  });
});
