// npm run package:deb → dist/atelier-emit_<version>_all.deb, built with dpkg-deb alone.
// Depends on the distribution's nodejs (Debian 12 and Ubuntu 24.04 ship 18; the bundle
// targets it). Installs the command, its man page (from docs/atelier-emit.1.md),
// bash completion, and the Ansible collection where ansible-core looks for collections.
// Reproducible: fixed modes, owners and times, gzip without names or dates.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { gzipSync } from 'node:zlib';
import { markdownToRoff } from './lib/man.mjs';

const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const { version } = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
const NAME = 'atelier-emit';
// Times in the package: the last commit's, or a fixed one outside a git checkout.
const EPOCH = Number(process.env.SOURCE_DATE_EPOCH ?? gitTime() ?? 1767225600);
const DATE = new Date(EPOCH * 1000);

function gitTime() {
  try {
    return execFileSync('git', ['log', '-1', '--format=%ct'], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim() || null;
  } catch {
    return null;
  }
}

const gzip = (text) => gzipSync(Buffer.from(text), { level: 9 }); // node writes no name and mtime 0

execFileSync(process.execPath, [path.join(ROOT, 'scripts/build.mjs')], { cwd: ROOT, stdio: 'inherit' });

const stage = path.join(ROOT, 'build/deb', `${NAME}_${version}_all`);
fs.rmSync(stage, { recursive: true, force: true });
const put = (rel, content, mode = 0o644) => {
  const full = path.join(stage, rel);
  fs.mkdirSync(path.dirname(full), { recursive: true });
  fs.writeFileSync(full, content);
  fs.chmodSync(full, mode);
};

// The command: the bundle, run by Debian's node, linked into /usr/bin (main.ts follows the link).
put(`usr/lib/${NAME}/${NAME}.mjs`, `#!/usr/bin/node\n${fs.readFileSync(path.join(ROOT, 'dist/atelier-emit.mjs'), 'utf8')}`, 0o755);
fs.mkdirSync(path.join(stage, 'usr/bin'), { recursive: true });
fs.symlinkSync(`../lib/${NAME}/${NAME}.mjs`, path.join(stage, 'usr/bin', NAME));

const roff = markdownToRoff(fs.readFileSync(path.join(ROOT, 'docs/atelier-emit.1.md'), 'utf8'), { version, date: DATE.toISOString().slice(0, 10) });
put(`usr/share/man/man1/${NAME}.1.gz`, gzip(roff));
put(`usr/share/bash-completion/completions/${NAME}`, fs.readFileSync(path.join(ROOT, 'completions/atelier-emit.bash')));

// The collection, where ansible-core finds collections by default (COLLECTIONS_PATHS).
const collection = path.join(ROOT, 'ansible_collections/atelier/emit');
const copyTree = (from, to) => {
  for (const entry of fs.readdirSync(from, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
    if (entry.name === '__pycache__' || entry.name.endsWith('.tar.gz')) continue;
    const src = path.join(from, entry.name);
    if (entry.isDirectory()) copyTree(src, path.join(to, entry.name));
    else put(path.join(to, entry.name), fs.readFileSync(src), 0o644);
  }
};
copyTree(collection, 'usr/share/ansible/collections/ansible_collections/atelier/emit');

const doc = `usr/share/doc/${NAME}`;
put(`${doc}/copyright`, `Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Upstream-Name: ${NAME}

Files: *
Copyright: 2026 the atelier-emit authors
License: Expat
${fs.readFileSync(path.join(ROOT, 'LICENSE'), 'utf8').split('\n').slice(4).map((l) => (l.trim() === '' ? ' .' : ` ${l}`)).join('\n').replace(/(\n \.)+$/, '')}
`);
put(`${doc}/changelog.gz`, gzip(`${NAME} (${version}) unstable; urgency=medium

  * Release ${version}; the changes are in CHANGELOG.md of the source.

 -- atelier-emit authors <atelier-emit@users.noreply.github.com>  ${DATE.toUTCString().replace('GMT', '+0000')}
`));
put(`${doc}/README.md.gz`, gzip(fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8')));

// Folders 0755; the control files last, over the final tree.
const files = [];
const walk = (rel) => {
  for (const entry of fs.readdirSync(path.join(stage, rel), { withFileTypes: true })) {
    const p = path.join(rel, entry.name);
    if (entry.isDirectory()) {
      fs.chmodSync(path.join(stage, p), 0o755);
      walk(p);
    } else if (entry.isFile()) files.push(p);
  }
};
walk('');
files.sort();
const installedKb = Math.ceil(files.reduce((n, f) => n + fs.statSync(path.join(stage, f)).size, 0) / 1024);
put('DEBIAN/md5sums', files.map((f) => `${createHash('md5').update(fs.readFileSync(path.join(stage, f))).digest('hex')}  ${f}`).join('\n') + '\n');
put('DEBIAN/control', `Package: ${NAME}
Version: ${version}
Architecture: all
Maintainer: atelier-emit authors <atelier-emit@users.noreply.github.com>
Installed-Size: ${installedKb}
Depends: nodejs (>= 18.19)
Recommends: systemd
Suggests: caddy, restic, sqlite3, ansible-core
Section: admin
Priority: optional
Description: hardened systemd units, Caddy sites and backups from declarations
 atelier-emit reads short service declarations (YAML, TOML or JSON, modelled
 on NixOS's mkService) and writes hardened systemd units with their sysusers.d,
 tmpfiles.d and sudoers.d files, Caddy sites, and restic backup units, then
 activates them with systemd's own tools.
 .
 The Ansible collection atelier.emit is installed for ansible-core.
`);
execFileSync('find', [stage, '-exec', 'touch', '--no-dereference', '--date', `@${EPOCH}`, '{}', '+']);

const deb = path.join(ROOT, 'dist', `${NAME}_${version}_all.deb`);
fs.mkdirSync(path.dirname(deb), { recursive: true });
execFileSync('dpkg-deb', ['--root-owner-group', '-Zxz', '--build', stage, deb], { stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, SOURCE_DATE_EPOCH: String(EPOCH) } });
console.log(path.relative(process.cwd(), deb));
