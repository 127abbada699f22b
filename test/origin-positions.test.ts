// Where a problem with a value that was never written down is reported: at the
// nearest declared parent (the service's key, `host.backup:`), never at a
// look-alike key; a service with no recorded position at all falls back to line 1
// of its first file. And a diagnostic on a blank line shows no empty excerpt.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatDiagnostics } from '../src/diagnostics.js';
import { hostProblems } from '../src/host-checks.js';
import { originOf } from '../src/model.js';
import { modelOf, tempDirs } from './support/emit.js';
import { makeService } from './support/model-builders.js';

const temp = tempDirs();

/** A host root with closed folders (mode 0755) and an empty /etc/passwd; `files` are made as plain files. */
function hostWith(folders: string[], files: string[] = []): string {
  const root = temp('host');
  for (const d of ['etc', 'usr/bin', 'var/lib', ...folders]) fs.mkdirSync(path.join(root, d), { recursive: true });
  fs.writeFileSync(path.join(root, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/bash\n');
  fs.writeFileSync(path.join(root, 'usr/bin/systemctl'), '#!/bin/sh\n', { mode: 0o755 });
  for (const f of files) fs.writeFileSync(path.join(root, f), '');
  for (const d of ['', 'etc', 'usr', 'usr/bin', 'var', 'var/lib', ...folders]) fs.chmodSync(path.join(root, d), 0o755);
  return root;
}

const problems = (root: string, text: string) => hostProblems(fs, root, modelOf([{ file: 'app.yaml', text }])).map((d) => `${d.file}:${d.line}:${d.column}: ${d.message}`);

describe('a defaulted value is reported at its nearest declared parent', () => {
  it('the default data folder: at the service\'s key, not at a `data:` key that merely starts the same', () => {
    const root = hostWith([], ['var/lib/myapp']);
    const text = 'services:\n  myapp:\n    description: App\n    runtime: node\n    enable: true\n    port: 3000\n    caddy: {enable: false}\n    data:\n      files: [/var/lib/myapp/uploads]\n';
    expect(problems(root, text)).toEqual(['app.yaml:2:3: /var/lib/myapp is not a folder on this host']);
  });

  it('the default restic repository file: at the `host.backup` block, not at `host`', () => {
    const root = hostWith(['etc/atelier']);
    fs.chmodSync(path.join(root, 'etc/atelier'), 0o775);
    const text = 'host:\n  backup:\n    schedule: daily\nservices:\n  myapp:\n    description: App\n    runtime: node\n    enable: true\n    port: 3000\n    caddy: {enable: false}\n';
    expect(problems(root, text)).toEqual([
      'app.yaml:3:5: host.backup.repositoryFile /etc/atelier/restic/repository: /etc/atelier is writable by its group (mode 0775)',
      'app.yaml:3:5: host.backup.passwordFile /etc/atelier/restic/password: /etc/atelier is writable by its group (mode 0775)',
    ]);
  });

  it('a service without any recorded position: line 1 of its first file, or of <unknown>', () => {
    expect(originOf(makeService('myapp', { origins: {}, sources: ['apps.yaml', 'more.yaml'] }), 'environment.PORT')).toEqual({ file: 'apps.yaml', line: 1, column: 1 });
    expect(originOf(makeService('myapp', { origins: {}, sources: [] }), 'port')).toEqual({ file: '<unknown>', line: 1, column: 1 });
  });
});

describe('the excerpt under a diagnostic', () => {
  it('is left out when the line holds only blanks', () => {
    const text = 'services:\n   \n  myapp: {}\n';
    expect(formatDiagnostics([{ file: 'app.yaml', line: 2, column: 2, message: 'something here' }], new Map([['app.yaml', text]]))).toBe('app.yaml:2:2: error: something here\n\n1 error; nothing was written.\n');
  });
});
