// What the declarations would do to *this* host, checked before anything is
// written (`--apply`) and by `doctor`: names that already exist, a data folder
// that is not the service's, folders and programs root trusts that others
// could change. The declaration checks (declarations/value-formats.ts) cannot
// see the host; these can. Reads /etc/passwd and /etc/group directly, as
// systemd-sysusers does (no NSS).
import * as path from 'node:path';
import type { FsLike } from './fs.js';
import { hostOriginOf, originOf, serviceOrigin, type Diagnostic, type Model, type Origin, type ServiceModel } from './model.js';

interface Account {
  name: string;
  uid: number;
  gid: number;
  home: string;
}
interface Group {
  name: string;
  gid: number;
  members: string[];
}

export interface HostView {
  users: Map<string, Account>;
  groups: Map<string, Group>;
  /** `%group` names that sudoers rules grant something to. */
  sudoGroups: Set<string>;
}

export function readHost(fs: FsLike, root: string): HostView {
  const lines = (file: string) => {
    try {
      return String(fs.readFileSync(path.join(root, file), 'utf8')).split('\n').filter((l) => l && !l.startsWith('#'));
    } catch {
      return [];
    }
  };
  const users = new Map<string, Account>();
  for (const l of lines('etc/passwd')) {
    const [name, , uid, gid, , home] = l.split(':');
    users.set(name, { name, uid: Number(uid), gid: Number(gid), home: home ?? '' });
  }
  const groups = new Map<string, Group>();
  for (const l of lines('etc/group')) {
    const [name, , gid, members] = l.split(':');
    groups.set(name, { name, gid: Number(gid), members: (members ?? '').split(',').filter(Boolean) });
  }
  const sudoGroups = new Set<string>();
  let sudoers = ['etc/sudoers'];
  try {
    sudoers = sudoers.concat(fs.readdirSync(path.join(root, 'etc/sudoers.d')).map((n) => `etc/sudoers.d/${String(n)}`));
  } catch {
    /* none */
  }
  for (const file of sudoers) for (const l of lines(file)) for (const m of l.matchAll(/%:?([A-Za-z0-9_.-]+)/g)) sudoGroups.add(m[1]);
  return { users, groups, sudoGroups };
}

/** Problems of this host for these declarations, each at the declaration of the value concerned. */
export function hostProblems(fs: FsLike, root: string, model: Model, host: HostView = readHost(fs, root)): Diagnostic[] {
  const out: Diagnostic[] = [];
  const fallback: Origin = { file: model.sources[0] ?? '<none>', line: 1, column: 1 };
  const hostAt = (p: string) => hostOriginOf(model.host, p, fallback);
  const names = new Set(model.services.map((s) => s.name));
  const group = model.host.servicesGroup;

  // The services group: an existing one must be one only service users belong to, and sudoers grants nothing to.
  const existing = host.groups.get(group);
  if (existing) {
    const strangers = existing.members.filter((m) => !names.has(m) && !isServiceAccount(host.users.get(m), model));
    if (strangers.length > 0) out.push({ ...hostAt('servicesGroup'), message: `the services group ${group} exists on this host with other members (${strangers.join(', ')}): every service would share what they reach`, hint: 'choose another host.servicesGroup' });
  }
  if (host.sudoGroups.has(group)) out.push({ ...hostAt('servicesGroup'), message: `sudoers grants rights to %${group}: every service user would get them`, hint: 'choose another host.servicesGroup' });

  for (const s of model.services) {
    const user = host.users.get(s.name);
    const own = host.groups.get(s.name);
    const at = serviceOrigin(s);
    // Ours: what a previous --apply made (home = the data folder, a system uid). Anyone else's account is refused.
    if (user && (user.home !== s.dataDir || user.uid >= 1000 || user.uid === 0)) {
      out.push({ ...at, message: `a user ${s.name} already exists on this host (uid ${user.uid}, home ${user.home}): the service would run as that account`, hint: 'rename the service' });
    }
    if (own && (own.gid === 0 || own.members.some((m) => m !== s.name) || (user && user.gid !== own.gid))) {
      out.push({ ...at, message: `a group ${s.name} already exists on this host (gid ${own.gid}${own.members.length ? `, members ${own.members.join(', ')}` : ''}): the service would share it`, hint: 'rename the service' });
    }
    if (host.sudoGroups.has(s.name)) out.push({ ...at, message: `sudoers grants rights to %${s.name}: the service user would get them`, hint: 'rename the service' });
    out.push(...dataDirProblems(fs, root, s, user));
  }

  // Files and folders root trusts: nobody but root may be able to change them or a folder above them.
  const trusted: [string, string, boolean][] = [
    ['sysconfdir', model.host.sysconfdir, true],
    ['systemctl', model.host.systemctl, true],
    ['caddy.environmentFile', model.host.caddy.environmentFile ?? '', false],
    ['backup.environmentFile', model.host.backup.environmentFile ?? '', false],
    ['backup.repositoryFile', model.host.backup.repositoryFile, false],
    ['backup.passwordFile', model.host.backup.passwordFile, false],
  ];
  for (const [key, value, mustExist] of trusted) {
    if (!value) continue;
    const problem = rootOnlyProblem(fs, root, value, mustExist);
    if (problem) out.push({ ...hostAt(key), message: `host.${key} ${value}: ${problem}`, hint: 'root reads or runs it: only root may be able to change it and the folders above it' });
  }
  return out;
}

/** An account an earlier --apply made for a service no longer declared (declared names are accepted before this is asked). */
function isServiceAccount(user: Account | undefined, model: Model): boolean {
  return user !== undefined && user.uid > 0 && user.uid < 1000 && /^\/(var\/lib|srv)\//.test(user.home) && !model.services.some((s) => s.dataDir === user.home);
}

/**
 * tmpfiles gives the data folder to the service user (owner and mode of an
 * existing folder change): it must be the service's already, or not exist; the
 * folders between the data root and it must be root's and closed to others.
 */
function dataDirProblems(fs: FsLike, root: string, s: ServiceModel, user: Account | undefined): Diagnostic[] {
  const at = originOf(s, 'dataDir');
  const parts = s.dataDir.split('/').filter(Boolean);
  for (let i = 1; i <= parts.length; i++) {
    const dir = `/${parts.slice(0, i).join('/')}`;
    const stat = lstat(fs, path.join(root, dir));
    if (stat === null) return [];
    if (stat.isSymbolicLink()) return [{ ...at, message: `${dir} is a symlink on this host: tmpfiles would follow it` }];
    if (!stat.isDirectory()) return [{ ...at, message: `${dir} is not a folder on this host` }];
    if (i < parts.length) {
      if (stat.uid !== 0 || (stat.mode & 0o022) !== 0) return [{ ...at, message: `${dir}, above the data folder, is owned by uid ${stat.uid} or writable by others (mode ${octal(stat.mode)}): they could replace the data folder` }];
      continue;
    }
    if (user === undefined || stat.uid !== user.uid) {
      return [{ ...at, message: `${dir} already exists on this host, owned by uid ${stat.uid}${user ? `, not by ${s.name} (uid ${user.uid})` : ''}: tmpfiles would hand it to the service user`, hint: 'choose a data folder that does not exist yet, or give it to the service user yourself if it really is its data' }];
    }
  }
  return [];
}

/** Why `file` (and every folder above it) is not root's alone, or null. */
function rootOnlyProblem(fs: FsLike, root: string, file: string, mustExist: boolean): string | null {
  const parts = file.split('/').filter(Boolean);
  for (let i = 0; i <= parts.length; i++) {
    const p = `/${parts.slice(0, i).join('/')}`;
    const stat = lstat(fs, path.join(root, p));
    if (stat === null) return mustExist && i === parts.length ? 'does not exist' : null;
    // A symlink's own owner does not matter; where it leads is checked by the parts after it (a run on the real path).
    if (stat.isSymbolicLink()) continue;
    if (stat.uid !== 0) return `${p} is owned by uid ${stat.uid}, not root`;
    if ((stat.mode & 0o022) !== 0) return `${p} is writable by ${stat.mode & 0o002 ? 'everyone' : 'its group'} (mode ${octal(stat.mode)})`;
  }
  return null;
}

function lstat(fs: FsLike, p: string) {
  try {
    return fs.lstatSync(p);
  } catch {
    return null;
  }
}

function octal(mode: number): string {
  return `0${(mode & 0o7777).toString(8)}`;
}
