// The programs built by the global set-up (test/setup/caddy-build.ts), and the
// helpers the tests that run them share: free loopback ports, the emitted tree
// written under a temporary sysconfdir, a program started and stopped.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { inject } from 'vitest';
import type { DeclarationText } from '../../src/declarations/resolve.js';
import { emitTexts, writeFiles } from './emit.js';

/** Where the machine can build the oracles (CI, root), a missing one fails its tests; elsewhere they are skipped, saying why. */
export const oraclesRequired = process.env.CI === 'true' || process.getuid?.() === 0;

export interface Oracle {
  path: string | null;
  /** Why it is missing (its build error), or null. */
  error: string | null;
  /** The reason to skip, or null when its tests run (and fail with `error` when it is missing). */
  skip: string | null;
}

export function oracle(name: 'pluginCaddy' | 'pebble'): Oracle {
  const built = inject(name);
  const error = built ? null : (inject(name === 'pluginCaddy' ? 'pluginCaddyError' : 'pebbleError') ?? 'the global set-up did not run');
  return { path: built, error, skip: error && !oraclesRequired ? `${name} was not built: ${error}` : null };
}

/** A program the tests need from Debian (bind9's named): a reason to skip or fail, or null when present. */
export function missingProgram(program: string, pkg: string): string | null {
  return spawnSync('sh', ['-c', `command -v ${program}`]).status === 0 ? null : `${program} is not installed (apt install ${pkg})`;
}

/**
 * What a test needs from this machine (programs, root): a reason to skip, or
 * null. Under CI=true nothing is skipped (CI has all of it): the test runs and
 * its `beforeAll(requirement.assert)` fails with what is missing.
 */
export interface Requirement {
  missing: string | null;
  skip: string | null;
  /** For beforeAll: throws what is missing, so a run that cannot skip fails. */
  assert: () => void;
}

export function requirement(...reasons: (string | null)[]): Requirement {
  const missing = reasons.filter((r): r is string => r !== null).join('; ') || null;
  return {
    missing,
    skip: missing !== null && process.env.CI !== 'true' ? missing : null,
    assert: () => {
      if (missing !== null) throw new Error(`cannot run here: ${missing}`);
    },
  };
}

export const notRoot = (why: string): string | null => (process.getuid?.() === 0 ? null : `needs root (${why})`);

/** A describe title that says when, and why, its tests are skipped. */
export const titled = (title: string, r: Requirement) => `${title}${r.skip ? ` (skipped: ${r.skip})` : ''}`;

/** Throws the oracle's error: for a test that must not pass without it. */
export function need(o: Oracle): string {
  if (!o.path) throw new Error(o.error ?? 'not built');
  return o.path;
}

/** A port free on 127.0.0.1 for both TCP and UDP (DNS and HTTP/3 use both). */
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = await new Promise<number>((resolve, reject) => {
      const s = net.createServer().once('error', reject).listen(0, '127.0.0.1', () => {
        const { port } = s.address() as net.AddressInfo;
        s.close(() => resolve(port));
      });
    });
    const dgram = await import('node:dgram');
    const udpFree = await new Promise<boolean>((resolve) => {
      const u = dgram.createSocket('udp4');
      u.once('error', () => resolve(false));
      u.bind(port, '127.0.0.1', () => u.close(() => resolve(true)));
    });
    if (udpFree) return port;
  }
  throw new Error('no free port on 127.0.0.1');
}

/**
 * Emits `texts` with `sysconfdir` set to `<root>/etc` (so atelier.caddy imports the sites
 * where they are written) and writes the tree; returns the main Caddyfile's import line.
 */
export function installEmitted(root: string, texts: DeclarationText[]): string {
  const sysconfdir = path.join(root, 'etc');
  // Named as the CLI names them (relative to the folder they share: a fixture's files are in one), so headers read as in the golden trees.
  const local = texts.map((t) => ({ file: path.posix.basename(t.file), text: t.text }));
  const files = emitTexts([...local, { file: 'test-sysconfdir.yaml', text: `host:\n  sysconfdir: ${sysconfdir}\n` }]);
  writeFiles(sysconfdir, files);
  return `import ${sysconfdir}/caddy/atelier.caddy`;
}

/** A started program whose output is kept, stopped by `stop()` (SIGTERM, then SIGKILL). */
export class Running {
  output = '';
  private exited: Promise<number | null>;
  constructor(readonly child: ChildProcess) {
    child.stdout?.setEncoding('utf8').on('data', (d: string) => (this.output += d));
    child.stderr?.setEncoding('utf8').on('data', (d: string) => (this.output += d));
    this.exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
  }

  static start(program: string, args: string[], options: { env?: NodeJS.ProcessEnv; cwd?: string } = {}): Running {
    return new Running(spawn(program, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'] }));
  }

  get alive(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  async stop(): Promise<void> {
    if (!this.alive) return;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 10_000);
    await this.exited;
    clearTimeout(timer);
  }
}

/** Polls `check` every 250 ms until it returns a value (not undefined), for at most `ms`; throws with `what` otherwise. */
export async function waitFor<T>(what: string, check: () => Promise<T | undefined> | T | undefined, ms: number): Promise<T> {
  const start = Date.now();
  let last: unknown;
  while (Date.now() - start < ms) {
    try {
      const v = await check();
      if (v !== undefined) return v;
      last = undefined;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`timed out after ${ms} ms waiting for ${what}${last ? `: ${last instanceof Error ? last.message : String(last)}` : ''}`);
}

export function writeFile(file: string, content: string, mode = 0o644): string {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, content, { mode });
  return file;
}
