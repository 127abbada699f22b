// The test oracles built from the Go module proxy, once, into the tests' cache:
// a Caddy with the plugins the emitted sites use (xcaddy), and Pebble, a local
// ACME CA. Run by the global set-up before any worker starts, with awaited
// child processes. Nothing fetched is committed: versions are pinned here, the
// build happens at run time, and the product itself never needs Go.
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { exec, run } from '../support/process.js';
import { awaitOtherBuilder, removeAbandoned } from '../support/abandoned.js';

export const CACHE_DIR = process.env.ATELIER_HOST_CACHE ?? '/var/cache/atelier-emit';

/** Versions that build together with Go 1.26; README's Caddy section names them. */
export const CADDY_BUILD = {
  xcaddy: 'v0.4.5',
  caddy: 'v2.11.9',
  plugins: [
    // Its only tag; the proxy serves no later commit of it.
    'github.com/mholt/caddy-ratelimit@v0.1.0',
    'github.com/caddy-dns/cloudflare@v0.2.4',
    'github.com/caddy-dns/rfc2136@v1.0.0',
  ],
} as const;
export const PEBBLE_VERSION = 'v2.10.3';

/**
 * Modules the checksum database (as the proxy serves it) has no entry for: Go
 * then refuses them, so the check is ours: their go.sum hash, computed from the
 * tagged tree in the module's repository, must match the download.
 */
const PINNED_SUMS: Record<string, string> = {
  'github.com/caddy-dns/rfc2136@v1.0.0': 'h1:UIug15TcfTGJqC5V02oWiaPlGdwYR2/x4E+3pqXHnLc=',
};

/** Bump when the build steps change, so an old cache is not reused. */
const RECIPE_VERSION = 1;

type Log = (line: string) => void;

/** Go's state for these builds lives in the tests' cache too, so nothing of the user's Go is touched. */
function goEnv(tmp: string): NodeJS.ProcessEnv {
  return {
    ...process.env,
    GOMODCACHE: path.join(CACHE_DIR, 'go/mod'),
    GOCACHE: path.join(CACHE_DIR, 'go/build'),
    GOFLAGS: `${process.env.GOFLAGS ?? ''} -modcacherw`.trim(),
    GOTOOLCHAIN: 'local',
    GONOSUMDB: Object.keys(PINNED_SUMS).map((m) => m.split('@')[0]).join(','),
    CGO_ENABLED: '0',
    TMPDIR: tmp,
  };
}

async function goVersion(): Promise<string> {
  const r = await exec('go', ['env', 'GOVERSION']);
  if (r.code !== 0) throw new Error(`Go is not installed (the plugin-built Caddy and Pebble are built with it): ${r.stderr.trim()}`);
  return r.stdout.trim();
}

const key = (...parts: unknown[]) => createHash('sha256').update(JSON.stringify([RECIPE_VERSION, ...parts])).digest('hex').slice(0, 16);

/**
 * Builds into `<name>-<key>.build-<pid>` and renames the finished folder into
 * place, so an interrupted build never looks complete.
 */
async function cached(name: string, parts: unknown[], log: Log, build: (dir: string, env: NodeJS.ProcessEnv) => Promise<void>): Promise<string> {
  const go = await goVersion();
  const target = path.join(CACHE_DIR, `${name}-${key(go, ...parts)}`);
  if (fs.existsSync(path.join(target, '.complete'))) return target;
  const building = `${path.basename(target)}.build-`;
  removeAbandoned(CACHE_DIR, building);
  if (await awaitOtherBuilder(CACHE_DIR, building, () => fs.existsSync(path.join(target, '.complete')), log)) return target;
  const dir = `${target}.build-${process.pid}`;
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(path.join(dir, 'tmp'), { recursive: true });
  const started = Date.now();
  log(`building ${target} with ${go}`);
  await build(dir, goEnv(path.join(dir, 'tmp')));
  fs.rmSync(path.join(dir, 'tmp'), { recursive: true, force: true });
  fs.writeFileSync(path.join(dir, '.complete'), `${JSON.stringify({ go, parts })}\n`);
  if (fs.existsSync(path.join(target, '.complete'))) {
    // Another test run finished the same build first, and its tests may be running it: keep that one.
    fs.rmSync(dir, { recursive: true, force: true });
    return target;
  }
  fs.rmSync(target, { recursive: true, force: true });
  fs.renameSync(dir, target);
  log(`${name} built in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  return target;
}

const TIMEOUT = 40 * 60_000;

/** The plugin-built Caddy: `<dir>/caddy`. */
export async function ensurePluginCaddy(log: Log = () => undefined): Promise<string> {
  const dir = await cached('caddy', [CADDY_BUILD, PINNED_SUMS], log, async (dir, env) => {
    for (const [module, sum] of Object.entries(PINNED_SUMS)) {
      const info = JSON.parse(await run('go', ['mod', 'download', '-json', module], { env, cwd: dir, timeoutMs: TIMEOUT })) as { Sum?: string };
      if (info.Sum !== sum) throw new Error(`${module}: the proxy served ${info.Sum}, not the pinned ${sum}`);
    }
    await run('go', ['install', `github.com/caddyserver/xcaddy/cmd/xcaddy@${CADDY_BUILD.xcaddy}`], { env: { ...env, GOBIN: path.join(dir, 'tmp') }, cwd: dir, timeoutMs: TIMEOUT });
    const args = ['build', CADDY_BUILD.caddy, '--output', path.join(dir, 'caddy'), ...CADDY_BUILD.plugins.flatMap((p) => ['--with', p])];
    await run(path.join(dir, 'tmp/xcaddy'), args, { env, cwd: dir, timeoutMs: TIMEOUT });
    await run(path.join(dir, 'caddy'), ['version']);
  });
  return path.join(dir, 'caddy');
}

/** Pebble, a local ACME CA (its HTTPS listener's certificate is made by the test that runs it). */
export async function ensurePebble(log: Log = () => undefined): Promise<string> {
  const dir = await cached('pebble', [PEBBLE_VERSION], log, async (dir, env) => {
    await run('go', ['install', `github.com/letsencrypt/pebble/v2/cmd/pebble@${PEBBLE_VERSION}`], { env: { ...env, GOBIN: dir }, cwd: dir, timeoutMs: TIMEOUT });
  });
  return path.join(dir, 'pebble');
}
