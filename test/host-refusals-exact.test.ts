// What --apply and doctor refuse on this host, each refusal with its exact
// words, position and hint: how /etc/passwd, /etc/group and sudoers are read,
// which accounts and groups count as the services' own, where a data folder's
// owner matters, and which of root's files must exist or be root's alone. A
// fake host root with real owners and modes (root needed for chown).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { hostProblems, readHost } from '../src/host-checks.js';
import type { Model } from '../src/model.js';
import { makeModel, makeService } from './support/model-builders.js';
import { modelOf, tempDirs } from './support/emit.js';
import { makeFakeHost, type FakeHostExtra } from './support/fake-host.js';

const temp = tempDirs();
const asRoot = process.getuid?.() === 0;

const fakeHost = (extra: FakeHostExtra = {}) => makeFakeHost(temp('host'), extra);

const declare = (services: string, host = '') => modelOf([{ file: 'app.yaml', text: `${host ? `host:\n${host}\n` : ''}services:\n${services}` }]);
const app = (name: string, more = '') => `  ${name}:\n    enable: true\n    caddy: {enable: false}\n${more}`;
/** Each problem as `line:column message [hint]`. */
const found = (root: string, model: Model) => hostProblems(fs, root, model).map((d) => `${d.line}:${d.column} ${d.message}${d.hint ? ` [${d.hint}]` : ''}`);
const mkdirOwned = (root: string, dir: string, uid: number, mode = 0o755) => {
  fs.mkdirSync(path.join(root, dir), { recursive: true });
  fs.chownSync(path.join(root, dir), uid, uid);
  fs.chmodSync(path.join(root, dir), mode);
};

describe('reading the host', () => {
  it('an empty root has no users, groups or sudoers rules', () => {
    expect(readHost(fs, temp('empty'))).toEqual({ users: new Map(), groups: new Map(), sudoGroups: new Set() });
  });

  it('reads short passwd and group lines, skips comments and blank lines, and reads sudoers.d as well as sudoers', () => {
    const root = temp('short');
    fs.mkdirSync(path.join(root, 'etc/sudoers.d'), { recursive: true });
    fs.writeFileSync(path.join(root, 'etc/passwd'), '# a comment:x:1:1::/home/c\n\nbob:x:1001:1002\n');
    fs.writeFileSync(path.join(root, 'etc/group'), '#old:x:5:bob\nbob:x:1002\n');
    fs.writeFileSync(path.join(root, 'etc/sudoers'), '# %commented ALL=(ALL) ALL\n%admins ALL=(ALL) ALL\n');
    fs.writeFileSync(path.join(root, 'etc/sudoers.d/deploy'), '%:deployers ALL=(ALL) NOPASSWD: ALL\n');
    expect(readHost(fs, root)).toEqual({
      users: new Map([['bob', { name: 'bob', uid: 1001, gid: 1002, home: '' }]]),
      groups: new Map([['bob', { name: 'bob', gid: 1002, members: [] }]]),
      sudoGroups: new Set(['admins', 'deployers']),
    });
  });
});

describe.runIf(asRoot)('host refusals, exactly', () => {
  it('a services group with strangers names them, at host.servicesGroup, and says what to do', () => {
    const root = fakeHost({ group: ['staffers:x:500:alice,root'] });
    expect(found(root, declare(app('myapp'), '  servicesGroup: staffers'))).toEqual([
      '2:18 the services group staffers exists on this host with other members (alice, root): every service would share what they reach [choose another host.servicesGroup]',
    ]);
  });

  it('a services group sudoers grants rights to is refused at host.servicesGroup', () => {
    const root = fakeHost({ sudoers: '%deployers ALL=(ALL) NOPASSWD: ALL\n' });
    expect(found(root, declare(app('myapp'), '  servicesGroup: deployers'))).toEqual([
      '2:18 sudoers grants rights to %deployers: every service user would get them [choose another host.servicesGroup]',
    ]);
  });

  it('a commented-out sudoers rule grants nothing', () => {
    const root = fakeHost({ sudoers: '# %deployers ALL=(ALL) NOPASSWD: ALL\n' });
    expect(found(root, declare(app('myapp'), '  servicesGroup: deployers'))).toEqual([]);
  });

  it('the services group may hold declared services (even before their users exist) and earlier services’ accounts', () => {
    const root = fakeHost({ passwd: ['old:x:990:990:old service:/var/lib/old:/bin/bash', 'gone:x:991:991::/srv/gone:/usr/sbin/nologin'], group: ['services:x:989:myapp,old,gone'] });
    expect(found(root, declare(app('myapp')))).toEqual([]);
  });

  it.each([
    ['uid 0', 'ghost:x:0:0::/var/lib/ghost:/bin/sh'],
    ['a person’s uid (1000)', 'ghost:x:1000:1000::/var/lib/ghost:/bin/sh'],
    ['a home outside /var/lib and /srv', 'ghost:x:990:990::/home/x/var/lib/ghost:/bin/sh'],
    ['the home of a declared service’s data folder', 'ghost:x:990:990::/var/lib/myapp:/bin/sh'],
  ])('a services-group member that is not a service account: %s', (_what, passwd) => {
    const root = fakeHost({ passwd: [passwd], group: ['services:x:989:ghost'] });
    expect(found(root, declare(app('myapp') + app('other', '    port: 3001\n')))).toEqual([
      '1:1 the services group services exists on this host with other members (ghost): every service would share what they reach [choose another host.servicesGroup]',
    ]);
  });

  it('with no origin at all, a host refusal is at the first declaration file', () => {
    const root = fakeHost({ sudoers: '%services ALL=(ALL) ALL\n' });
    const model = { ...makeModel([makeService('myapp', { caddy: { ...makeService('myapp').caddy, enable: false } })]), sources: ['first.yaml', 'second.yaml'] };
    expect(hostProblems(fs, root, model).map((d) => `${d.file}:${d.line}:${d.column}`)).toEqual(['first.yaml:1:1']);
    expect(hostProblems(fs, root, { ...model, sources: [] }).map((d) => `${d.file}:${d.line}:${d.column}`)).toEqual(['<none>:1:1']);
  });

  it.each([
    ['a person’s account whose home is the data folder', 'myapp:x:1000:1000::/var/lib/myapp:/bin/bash', 'uid 1000, home /var/lib/myapp'],
    ['root’s uid with the data folder as home', 'myapp:x:0:0::/var/lib/myapp:/bin/bash', 'uid 0, home /var/lib/myapp'],
    ['a system account with another home', 'myapp:x:990:990::/home/myapp:/bin/bash', 'uid 990, home /home/myapp'],
    ['an account without a home field', 'myapp:x:990:990', 'uid 990, home '],
  ])('a user named like the service is refused: %s', (_what, passwd, shown) => {
    const root = fakeHost({ passwd: [passwd] });
    expect(found(root, declare(app('myapp')))).toEqual([`2:3 a user myapp already exists on this host (${shown}): the service would run as that account [rename the service]`]);
  });

  it('a group named like the service is refused when it is root’s gid, has another member, or is not its user’s group', () => {
    expect(found(fakeHost({ group: ['myapp:x:0:'] }), declare(app('myapp')))).toEqual(['2:3 a group myapp already exists on this host (gid 0): the service would share it [rename the service]']);
    expect(found(fakeHost({ group: ['myapp:x:990:myapp,bob'] }), declare(app('myapp')))).toEqual(['2:3 a group myapp already exists on this host (gid 990, members myapp, bob): the service would share it [rename the service]']);
    const ours = fakeHost({ passwd: ['myapp:x:990:991::/var/lib/myapp:/bin/bash'], group: ['myapp:x:990:'] });
    expect(found(ours, declare(app('myapp')))).toEqual(['2:3 a group myapp already exists on this host (gid 990): the service would share it [rename the service]']);
  });

  it('the service’s own group, with only itself as member, is accepted', () => {
    const root = fakeHost({ passwd: ['myapp:x:990:990::/var/lib/myapp:/bin/bash'], group: ['myapp:x:990:myapp'] });
    mkdirOwned(root, 'var/lib/myapp', 990);
    expect(found(root, declare(app('myapp')))).toEqual([]);
  });

  it('a sudoers.d rule for the service’s name is refused at the service', () => {
    const root = fakeHost({ sudoersD: { myapp: '%myapp ALL=(ALL) NOPASSWD: ALL\n' } });
    expect(found(root, declare(app('myapp')))).toEqual(['2:3 sudoers grants rights to %myapp: the service user would get them [rename the service]']);
  });

  it('an existing data folder not the service user’s: says whose it is, and what to do', () => {
    const root = fakeHost();
    mkdirOwned(root, 'var/lib/myapp', 5);
    const hint = 'choose a data folder that does not exist yet, or give it to the service user yourself if it really is its data';
    expect(found(root, declare(app('myapp')))).toEqual([`2:3 /var/lib/myapp already exists on this host, owned by uid 5: tmpfiles would hand it to the service user [${hint}]`]);
    const ours = fakeHost({ passwd: ['myapp:x:990:990::/var/lib/myapp:/bin/bash'] });
    mkdirOwned(ours, 'var/lib/myapp', 5);
    expect(found(ours, declare(app('myapp')))).toEqual([`2:3 /var/lib/myapp already exists on this host, owned by uid 5, not by myapp (uid 990): tmpfiles would hand it to the service user [${hint}]`]);
  });

  it('a folder above the data folder that root owns but its group can write is refused', () => {
    const root = fakeHost();
    mkdirOwned(root, 'srv/apps', 0, 0o775);
    expect(found(root, declare(app('myapp', '    dataDir: /srv/apps/myapp\n')))).toEqual([
      '5:14 /srv/apps, above the data folder, is owned by uid 0 or writable by others (mode 0775): they could replace the data folder',
    ]);
  });
});

describe.runIf(asRoot)('files and folders root trusts, exactly', () => {
  const HINT = 'root reads or runs it: only root may be able to change it and the folders above it';
  const HOST = '  sysconfdir: /etc\n  systemctl: /usr/bin/systemctl\n  caddy:\n    environmentFile: /etc/caddy/env\n  backup:\n    environmentFile: /etc/atelier/restic/env\n    repositoryFile: /etc/atelier/restic/repository\n    passwordFile: /etc/atelier/restic/password';

  it('sysconfdir must exist; the environment, repository and password files may not exist yet', () => {
    const root = fakeHost();
    // Their folders exist: only the files themselves are missing.
    for (const dir of ['etc/caddy', 'etc/atelier', 'etc/atelier/restic']) mkdirOwned(root, dir, 0);
    expect(found(root, declare(app('myapp'), HOST.replace('sysconfdir: /etc', 'sysconfdir: /etc/nothere')))).toEqual([`2:15 host.sysconfdir /etc/nothere: does not exist [${HINT}]`]);
  });

  it('each trusted value is refused at its own key', () => {
    const root = fakeHost();
    fs.chmodSync(path.join(root, 'etc'), 0o777);
    expect(found(root, declare(app('myapp'), HOST))).toEqual([
      `2:15 host.sysconfdir /etc: /etc is writable by everyone (mode 0777) [${HINT}]`,
      `5:22 host.caddy.environmentFile /etc/caddy/env: /etc is writable by everyone (mode 0777) [${HINT}]`,
      `7:22 host.backup.environmentFile /etc/atelier/restic/env: /etc is writable by everyone (mode 0777) [${HINT}]`,
      `8:21 host.backup.repositoryFile /etc/atelier/restic/repository: /etc is writable by everyone (mode 0777) [${HINT}]`,
      `9:19 host.backup.passwordFile /etc/atelier/restic/password: /etc is writable by everyone (mode 0777) [${HINT}]`,
    ]);
  });

  it('a trusted folder owned by someone else is refused, naming the owner', () => {
    const root = fakeHost();
    fs.chownSync(path.join(root, 'usr'), 1000, 1000);
    expect(found(root, declare(app('myapp')))).toEqual([`1:1 host.systemctl /usr/bin/systemctl: /usr is owned by uid 1000, not root [${HINT}]`]);
  });

  it('with no caddy or backup environment file, only the values set are checked (even when the host root itself is open)', () => {
    const root = fakeHost();
    fs.chmodSync(root, 0o775);
    expect(found(root, declare(app('myapp')))).toEqual([
      `1:1 host.sysconfdir /etc: / is writable by its group (mode 0775) [${HINT}]`,
      `1:1 host.systemctl /usr/bin/systemctl: / is writable by its group (mode 0775) [${HINT}]`,
      `1:1 host.backup.repositoryFile /etc/atelier/restic/repository: / is writable by its group (mode 0775) [${HINT}]`,
      `1:1 host.backup.passwordFile /etc/atelier/restic/password: / is writable by its group (mode 0775) [${HINT}]`,
    ]);
  });

  it('a symlink on the way (usr/bin → lib/bin) is followed, not judged by its own mode', () => {
    const root = fakeHost();
    fs.rmSync(path.join(root, 'usr/bin'), { recursive: true });
    fs.mkdirSync(path.join(root, 'usr/lib/bin'), { recursive: true, mode: 0o755 });
    fs.writeFileSync(path.join(root, 'usr/lib/bin/systemctl'), '#!/bin/sh\n', { mode: 0o755 });
    fs.symlinkSync('lib/bin', path.join(root, 'usr/bin'));
    expect(found(root, declare(app('myapp')))).toEqual([]);
  });
});
