// A minimal Debian 12 root file system for the booted-host tests, built once
// with debootstrap and cached outside the repository. Node is Debian's own
// `nodejs` package (18): the CLI must run on what the distribution ships. npm
// (for the apps' `npm ci`) is npm 10 from the registry, the last line that
// supports Node 18 (this machine's npm 11 needs Node 20); Bun comes from the
// npm registry's package that ships its binary.
//
// It is built by the test run's global set-up (test/setup/global.ts), before
// any worker starts, with child processes that never block an event loop:
// a test worker only ever boots a copy of a finished tree.
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { debianMirror } from './apt-sources.js';
import { run } from '../support/process.js';
import { awaitOtherBuilder, removeAbandoned } from '../support/abandoned.js';

export const CACHE_DIR = process.env.ATELIER_HOST_CACHE ?? '/var/cache/atelier-emit';
const SUITE = 'bookworm';
export const BUN_PACKAGE = '@oven/bun-linux-x64-baseline@1.4.5';
export const NPM_PACKAGE = 'npm@10.9.9';

/** What the services, their backups and the checks need inside the host. */
export const PACKAGES = [
  'systemd', 'systemd-sysv', 'dbus', 'libnss-systemd', 'sudo', 'git', 'curl', 'ca-certificates',
  'sqlite3', 'restic', 'postgresql', 'caddy', 'procps', 'iproute2', 'util-linux', 'libnss3-tools',
  // The CLI runs on Debian's Node; Ansible's modules need Python (and python3-apt for apt deb=);
  // `man atelier-emit` needs man-db.
  'nodejs', 'python3', 'python3-apt', 'man-db',
];

/** Bump when the build steps change, so an old cache is not reused. */
const RECIPE_VERSION = 4;

function cacheKey(): string {
  return createHash('sha256').update(JSON.stringify({ PACKAGES, BUN_PACKAGE, NPM_PACKAGE, RECIPE_VERSION, SUITE })).digest('hex').slice(0, 16);
}

/** Where the cached root file system is, whether or not it is built yet. */
export function rootfsPath(): string {
  return path.join(CACHE_DIR, `rootfs-${cacheKey()}`);
}

export function isBuilt(rootfs: string): boolean {
  return fs.existsSync(path.join(rootfs, '.complete'));
}

/** The cached root file system, built first if needed (several minutes, once). */
export async function ensureRootfs(log: (line: string) => void = () => undefined): Promise<string> {
  const target = rootfsPath();
  if (isBuilt(target)) return target;
  fs.mkdirSync(CACHE_DIR, { recursive: true });
  // Leftovers of killed runs, also under the name earlier versions used (build-<pid>).
  const building = `${path.basename(target)}.build-`;
  removeAbandoned(CACHE_DIR, building);
  removeAbandoned(CACHE_DIR, 'build-');
  if (await awaitOtherBuilder(CACHE_DIR, building, () => isBuilt(target), log)) return target;
  const build = path.join(CACHE_DIR, `${building}${process.pid}`);
  fs.rmSync(build, { recursive: true, force: true });
  const { mirror, proxy, from } = debianMirror();
  log(`building ${target} with debootstrap (${SUITE}, ${PACKAGES.length} packages) from ${mirror} (${from})${proxy ? ` through ${proxy}` : ''}`);
  const env = proxy ? { ...process.env, http_proxy: proxy } : process.env;
  await run('debootstrap', ['--variant=minbase', `--include=${PACKAGES.join(',')}`, SUITE, build, mirror], { env });
  await run('chroot', [build, '/usr/bin/node', '--version']);
  await installNpm(build);
  await installBun(build);
  configure(build);
  fs.writeFileSync(path.join(build, '.complete'), `${new Date(0).toISOString()}\n`);
  if (isBuilt(target)) {
    // Another test run finished the same tree first, and its tests may be copying it: keep that one.
    fs.rmSync(build, { recursive: true, force: true });
    return target;
  }
  // Only a finished tree gets the cache name: an interrupted build never looks complete.
  fs.rmSync(target, { recursive: true, force: true });
  fs.renameSync(build, target);
  return target;
}

/** npm 10 beside Debian's node (Debian's own `npm` package pulls in hundreds of node-* packages). */
async function installNpm(root: string): Promise<void> {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'atelier-npm-'));
  try {
    const tarball = (await run('npm', ['pack', NPM_PACKAGE, '--silent'], { cwd: work })).trim().split('\n').pop()!;
    const dest = path.join(root, 'usr/local/lib/node_modules/npm');
    fs.mkdirSync(dest, { recursive: true });
    await run('tar', ['-xzf', path.join(work, tarball), '-C', dest, '--strip-components=1']);
    fs.symlinkSync('../lib/node_modules/npm/bin/npm-cli.js', path.join(root, 'usr/local/bin/npm'));
    fs.symlinkSync('../lib/node_modules/npm/bin/npx-cli.js', path.join(root, 'usr/local/bin/npx'));
    await run('chroot', [root, '/usr/local/bin/npm', '--version']);
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

async function installBun(root: string): Promise<void> {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'atelier-bun-'));
  try {
    const tarball = (await run('npm', ['pack', BUN_PACKAGE, '--silent'], { cwd: work })).trim().split('\n').pop()!;
    await run('tar', ['-xzf', tarball], { cwd: work });
    const dest = path.join(root, 'usr/local/bin/bun');
    fs.copyFileSync(path.join(work, 'package/bin/bun'), dest);
    fs.chmodSync(dest, 0o755);
    await run('chroot', [root, '/usr/local/bin/bun', '--version']);
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

/** Host settings a booted test machine needs: a name, no services that are not under test. */
function configure(root: string): void {
  fs.writeFileSync(path.join(root, 'etc/hostname'), 'atelier-test\n');
  // Installed but stopped until a test wants them: the tests start what they use.
  for (const unit of ['caddy.service', 'postgresql.service']) {
    fs.rmSync(path.join(root, 'etc/systemd/system/multi-user.target.wants', unit), { force: true });
  }
  fs.writeFileSync(path.join(root, 'etc/caddy/Caddyfile'), 'import /etc/caddy/atelier.caddy\n');
}
