// A booted systemd to run the emitted files in: a copy of the cached root file
// system, booted with systemd-nspawn (no machined here: --register=no
// --keep-unit), commands run inside through nsenter into its PID 1.
// Every command is awaited, never run synchronously: a worker blocked for a
// minute misses vitest's RPC deadline.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { inject } from 'vitest';
import { exec as execProcess, run as runProcess, type ProcessResult } from '../support/process.js';
import { removeAbandoned } from '../support/abandoned.js';
import { CACHE_DIR, isBuilt } from './rootfs.js';

export type ExecResult = ProcessResult;

export class HostUnavailable extends Error {}

const PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

export class BootedHost {
  private constructor(
    readonly root: string,
    private readonly nspawn: ChildProcess,
    /** The container's PID 1, as this machine sees it (for nsenter from outside, e.g. an Ansible connection). */
    readonly initPid: number,
    private readonly log: () => string,
  ) {}

  /** Boots a fresh copy of the root file system; throws HostUnavailable with one clear line if it cannot. */
  static async boot(name: string, progress: (line: string) => void = () => undefined): Promise<BootedHost> {
    if (process.getuid?.() !== 0) throw new HostUnavailable('the booted-host test needs root (systemd-nspawn)');
    for (const tool of ['systemd-nspawn', 'debootstrap', 'nsenter']) {
      if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0) throw new HostUnavailable(`${tool} is not installed (scripts/setup.sh installs it)`);
    }
    // Built by the global set-up before any worker started (test/setup/global.ts).
    const rootfs = inject('rootfs');
    if (!rootfs || !isBuilt(rootfs)) throw new HostUnavailable(`the Debian root file system was not built: ${inject('rootfsError') ?? 'the global set-up did not run'}`);
    progress(`booting a copy of ${rootfs}`);
    removeAbandoned(CACHE_DIR, `run-${name}-`);
    const root = path.join(CACHE_DIR, `run-${name}-${process.pid}`);
    await fs.promises.rm(root, { recursive: true, force: true });
    await runProcess('cp', ['-a', '--reflink=auto', rootfs, root]);
    let output = '';
    const nspawn = spawn('systemd-nspawn', ['-b', '--register=no', '--keep-unit', '--private-network', `--machine=${name}`, '-D', root], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    nspawn.stdout!.on('data', (d) => (output += d));
    nspawn.stderr!.on('data', (d) => (output += d));
    const initPid = await findInit(nspawn, () => output);
    const host = new BootedHost(root, nspawn, initPid, () => output);
    await host.waitUntilBooted();
    return host;
  }

  /** Runs a command inside the container, as root, with a clean environment. */
  exec(command: string | string[], options: { input?: string; timeoutMs?: number } = {}): Promise<ExecResult> {
    const argv = typeof command === 'string' ? ['/bin/sh', '-c', command] : command;
    return execProcess(
      'nsenter',
      ['--target', String(this.initPid), '--mount', '--uts', '--ipc', '--net', '--pid', '--root', '--wd', '--', '/usr/bin/env', '-i', `PATH=${PATH}`, 'HOME=/root', 'LANG=C.UTF-8', ...argv],
      { input: options.input, timeoutMs: options.timeoutMs ?? 300_000 },
    );
  }

  /** Like exec, but throws with the output when the command fails. */
  async run(command: string | string[], options: { input?: string; timeoutMs?: number } = {}): Promise<string> {
    const r = await this.exec(command, options);
    if (r.code !== 0) throw new Error(`inside the host, ${JSON.stringify(command)} exited ${r.code}:\n${r.stdout}${r.stderr}`);
    return r.stdout;
  }

  /** The host-side path of a path inside the container. */
  path(inside: string): string {
    return path.join(this.root, inside);
  }

  /** Polls `check` until it returns true, for at most `ms`. */
  async waitFor(what: string, check: () => boolean | Promise<boolean>, ms: number): Promise<number> {
    const start = Date.now();
    while (Date.now() - start < ms) {
      if (await check()) return Date.now() - start;
      await sleep(250);
    }
    throw new Error(`timed out after ${ms} ms waiting for ${what}`);
  }

  private async waitUntilBooted(): Promise<void> {
    let state = '';
    try {
      await this.waitFor(
        'the container to boot',
        async () => {
          state = (await this.exec(['systemctl', 'is-system-running'], { timeoutMs: 30_000 })).stdout.trim();
          return state === 'running' || state === 'degraded';
        },
        120_000,
      );
    } catch {
      const log = this.log().slice(-3000);
      await this.shutdown();
      throw new HostUnavailable(`the container did not finish booting (state "${state}"): ${log}`);
    }
  }

  async shutdown(): Promise<void> {
    if (this.nspawn.exitCode === null) {
      await this.exec(['systemctl', 'poweroff', '--no-block'], { timeoutMs: 10_000 });
      const exited = await Promise.race([new Promise((r) => this.nspawn.once('exit', () => r(true))), sleep(30_000).then(() => false)]);
      if (!exited) this.nspawn.kill('SIGKILL');
    }
    await fs.promises.rm(this.root, { recursive: true, force: true });
  }
}

/** The container's init: the descendant of systemd-nspawn that is PID 1 in its own namespace. */
async function findInit(nspawn: ChildProcess, output: () => string): Promise<number> {
  const start = Date.now();
  while (Date.now() - start < 30_000) {
    if (nspawn.exitCode !== null) throw new HostUnavailable(`systemd-nspawn exited (${nspawn.exitCode}): ${output().slice(-2000).trim()}`);
    for (const pid of descendants(nspawn.pid!)) {
      const status = readStatus(pid);
      const nspid = /^NSpid:\s+(.*)$/m.exec(status)?.[1].trim().split(/\s+/);
      if (nspid && nspid.length > 1 && nspid[nspid.length - 1] === '1') return pid;
    }
    await sleep(100);
  }
  throw new HostUnavailable(`no init process appeared in the container: ${output().slice(-2000).trim()}`);
}

function descendants(pid: number): number[] {
  const out: number[] = [];
  const queue = [pid];
  while (queue.length > 0) {
    const p = queue.shift()!;
    let children: number[] = [];
    try {
      children = fs
        .readdirSync(`/proc/${p}/task`)
        .flatMap((t) => fs.readFileSync(`/proc/${p}/task/${t}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number));
    } catch {
      /* gone */
    }
    out.push(...children);
    queue.push(...children);
  }
  return out;
}

function readStatus(pid: number): string {
  try {
    return fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return '';
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
