// The small line formats, each read back by the program that reads it: a
// value with spaces, quotes, backslashes or `%` comes back exactly; a plain
// one is written plain; one that cannot be written safely is refused.
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { UnsafeValueError } from '../src/formats/errors.js';
import { shellQuote } from '../src/formats/shell.js';
import { nopasswdRule } from '../src/formats/sudoers.js';
import { gecos, sysusers } from '../src/formats/sysusers.js';
import { directory } from '../src/formats/tmpfiles.js';
import { tempDirs } from './support/emit.js';

const temp = tempDirs();
const AWKWARD = ['two words', 'it\'s', 'say "hi"', 'back\\slash', '100%', 'tab\there', '$HOME `id` *'];

describe('shellQuote, read back by bash', () => {
  it('gives back each value exactly', () => {
    for (const value of [...AWKWARD, '', 'plain', 'a\nb', "''", '-n']) {
      // --norc: see test/cli-flags.test.ts (Node's bash -c would source ~/.bashrc).
      const echoed = execFileSync('bash', ['--norc', '-c', `printf '%s' ${shellQuote(value)}`], { encoding: 'utf8' });
      expect(echoed, JSON.stringify(value)).toBe(value);
    }
  });

  it('leaves a plain word plain, and quotes the rest', () => {
    expect(shellQuote('/usr/bin/restic')).toBe('/usr/bin/restic');
    expect(shellQuote('user@host:path,a=b+c%d')).toBe('user@host:path,a=b+c%d');
    expect(shellQuote('')).toBe("''");
    expect(shellQuote('a b')).toBe("'a b'");
    expect(shellQuote('a\nb')).toBe("'a\nb'");
    expect(() => shellQuote('a\u0000b')).toThrow('a NUL character cannot be passed to a shell');
  });
});

describe('sysusers.d lines, read by systemd-sysusers', () => {
  it('create the user with its description, home and shell as given', () => {
    const root = temp('sysusers');
    fs.mkdirSync(path.join(root, 'etc'));
    const home = '/srv/my app %h';
    const conf = path.join(root, 'test.conf');
    fs.writeFileSync(conf, [sysusers.group('grp'), sysusers.user('svc', 'Say "hi": it\'s 100% \\ done', home, '/bin/bash'), sysusers.member('svc', 'grp'), ''].join('\n'));
    execFileSync('systemd-sysusers', [`--root=${root}`, conf], { stdio: 'pipe' });
    const passwd = fs.readFileSync(path.join(root, 'etc/passwd'), 'utf8').split('\n').find((l) => l.startsWith('svc:'))!.split(':');
    expect(passwd[4]).toBe('Say "hi" - it\'s 100% \\ done');
    expect(passwd.slice(5)).toEqual([home, '/bin/bash']);
    expect(fs.readFileSync(path.join(root, 'etc/group'), 'utf8')).toMatch(/^grp:x:\d+:svc$/m);
  });

  it('write plain fields plain, quote the empty one, refuse a second line', () => {
    expect(sysusers.group('web')).toBe('g web -');
    expect(sysusers.member('web', 'services')).toBe('m web services');
    expect(sysusers.user('web', '', '/srv/web', '/bin/bash')).toBe('u web - "" /srv/web /bin/bash');
    expect(gecos('a:b:c')).toBe('a -b -c');
    expect(() => sysusers.group('a\nb')).toThrow(UnsafeValueError);
    expect(() => sysusers.group('a\u007fb')).toThrow('a sysusers field must be one line');
  });
});

describe('tmpfiles.d lines, read by systemd-tmpfiles', () => {
  it('create the folder at the path as given, with its mode', () => {
    const root = temp('tmpfiles');
    const folder = '/srv/my "data" 100%\\x';
    const conf = path.join(root, 'test.conf');
    fs.writeFileSync(conf, `${directory(folder, 0o750, 'root', 'root')}\n${directory('/srv/plain', 0o2755, 'root', 'root')}\n`);
    const r = spawnSync('systemd-tmpfiles', [`--root=${root}`, '--create', conf], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    expect(fs.statSync(path.join(root, folder)).mode & 0o7777).toBe(0o750);
    expect(fs.statSync(path.join(root, '/srv/plain')).mode & 0o7777).toBe(0o2755);
  });

  it('write a plain path plain and a mode in four octal digits; refuse a second line', () => {
    expect(directory('/srv/web', 0o750, 'web', 'web')).toBe('d /srv/web 0750 web web -');
    expect(directory('/srv/a%b', 0o700, 'web', 'web')).toBe('d /srv/a%%b 0700 web web -');
    expect(() => directory('/srv/a\nb', 0o750, 'web', 'web')).toThrow('a tmpfiles path must be one line');
  });
});

describe('sudoers rules, read by visudo', () => {
  it('escape what sudoers reads specially in a command, and pass visudo -c', () => {
    const rule = nopasswdRule('web', [['/usr/bin/systemctl', 'restart', 'web.service'], ['/bin/echo', 'a b,c:d=e\\f']]);
    expect(rule).toBe('web ALL=(root) NOPASSWD: /usr/bin/systemctl restart web.service, /bin/echo a\\ b\\,c\\:d\\=e\\\\f');
    const file = path.join(temp('sudoers'), 'rule');
    fs.writeFileSync(file, `${rule}\n`, { mode: 0o440 });
    const r = spawnSync('visudo', ['-cf', file], { encoding: 'utf8' });
    expect(r.status, r.stdout + r.stderr).toBe(0);
  });

  it('refuse a user name that is not plain and a command of two lines', () => {
    expect(() => nopasswdRule('Web', [['/bin/true']])).toThrow('"Web" is not a plain user name');
    expect(() => nopasswdRule('web x', [['/bin/true']])).toThrow(UnsafeValueError);
    expect(() => nopasswdRule('web', [['/bin/echo', 'a\nb']])).toThrow('a sudoers command must be one line');
    expect(nopasswdRule('web-2', [['/bin/true']])).toBe('web-2 ALL=(root) NOPASSWD: /bin/true');
  });
});
