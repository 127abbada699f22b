// The booted-host test builds its root file system from the Debian mirror the
// machine's own apt uses: read from deb822 `.sources` files and one-line
// `sources.list` entries, with a clear message when there is none.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { debianMirror, parseDeb822, parseOneLine } from './host/apt-sources.js';

const roots: string[] = [];
afterAll(() => roots.forEach((r) => fs.rmSync(r, { recursive: true, force: true })));

function machine(files: Record<string, string>): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'atelier-apt-'));
  roots.push(root);
  for (const [file, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
    fs.writeFileSync(path.join(root, file), text);
  }
  return root;
}

describe("the machine's apt sources", () => {
  it('reads deb822 stanzas: several suites, continuation lines, disabled and deb-src stanzas skipped', () => {
    const text = `Types: deb
URIs: http://mirror.internal/debian
Suites: bookworm bookworm-updates
Components: main
 contrib

Types: deb-src
URIs: http://src.internal/debian
Suites: bookworm
Components: main

Types: deb
Enabled: no
URIs: http://off.internal/debian
Suites: bookworm
Components: main
`;
    expect(parseDeb822(text, 'x.sources')).toEqual([{ uri: 'http://mirror.internal/debian', suites: ['bookworm', 'bookworm-updates'], components: ['main', 'contrib'], file: 'x.sources' }]);
  });

  it('reads one-line entries with options, skipping comments and deb-src', () => {
    const text = '# deb http://commented/debian bookworm main\ndeb-src http://src/debian bookworm main\ndeb [arch=amd64 signed-by=/k.gpg] http://proxy.lan:3142/debian bookworm main contrib\n';
    expect(parseOneLine(text, 'sources.list')).toEqual([{ uri: 'http://proxy.lan:3142/debian', suites: ['bookworm'], components: ['main', 'contrib'], file: 'sources.list' }]);
  });

  it('picks the main archive of the suite, not its -security or -updates sources', () => {
    const root = machine({
      'etc/apt/sources.list.d/a-security.sources': 'Types: deb\nURIs: http://security.internal/debian-security\nSuites: bookworm-security\nComponents: main\n',
      'etc/apt/sources.list': 'deb http://mirror.internal/debian/ bookworm main\n',
    });
    expect(debianMirror('bookworm', root)).toMatchObject({ mirror: 'http://mirror.internal/debian', from: '/etc/apt/sources.list' });
  });

  it('says what it looked for and what it found when no source fits', () => {
    const root = machine({ 'etc/apt/sources.list.d/other.sources': 'Types: deb\nURIs: https://deb.example.org/node\nSuites: nodistro\nComponents: main\n' });
    expect(() => debianMirror('bookworm', root)).toThrow(/no apt source for Debian bookworm main .*https:\/\/deb\.example\.org\/node nodistro .*Suites: bookworm/);
  });

  it('finds a mirror on this machine (the booted-host test needs one)', () => {
    const { mirror } = debianMirror();
    expect(mirror).toMatch(/^https?:\/\//);
  });
});
