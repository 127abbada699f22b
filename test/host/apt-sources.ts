// The Debian mirror (and proxy) this machine's apt already uses, for debootstrap:
// a host behind a local mirror or a proxy builds the test root file system
// through the same one, and nothing names a mirror host in the code.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

export interface AptSource {
  uri: string;
  suites: string[];
  components: string[];
  /** The file it was read from, for messages. */
  file: string;
}

const SOURCES_DIR = '/etc/apt/sources.list.d';
const SOURCES_LIST = '/etc/apt/sources.list';

/** Every `deb` source: deb822 `.sources` files and one-line `sources.list` entries (disabled ones skipped). */
export function readAptSources(root = '/'): AptSource[] {
  const sources: AptSource[] = [];
  const dir = path.join(root, SOURCES_DIR);
  const names = fs.existsSync(dir) ? fs.readdirSync(dir).sort() : [];
  for (const name of names.filter((n) => n.endsWith('.sources'))) sources.push(...parseDeb822(fs.readFileSync(path.join(dir, name), 'utf8'), path.join(SOURCES_DIR, name)));
  const lists = [path.join(root, SOURCES_LIST), ...names.filter((n) => n.endsWith('.list')).map((n) => path.join(dir, n))];
  for (const file of lists.filter((f) => fs.existsSync(f))) sources.push(...parseOneLine(fs.readFileSync(file, 'utf8'), path.join('/', path.relative(root, file))));
  return sources;
}

/** deb822 stanzas (sources.list(5)): `Types`, `URIs`, `Suites`, `Components`, `Enabled`. */
export function parseDeb822(text: string, file: string): AptSource[] {
  const out: AptSource[] = [];
  for (const stanza of text.split(/\n\s*\n/)) {
    const fields: Record<string, string> = {};
    let last = '';
    for (const line of stanza.split('\n')) {
      if (line.startsWith('#') || line.trim() === '') continue;
      if (/^\s/.test(line) && last) fields[last] += ` ${line.trim()}`;
      else {
        const m = /^([A-Za-z-]+):\s*(.*)$/.exec(line);
        if (m) fields[(last = m[1].toLowerCase())] = m[2].trim();
      }
    }
    if (!(fields.types ?? '').split(/\s+/).includes('deb') || /^no$/i.test(fields.enabled ?? '')) continue;
    const words = (k: string) => (fields[k] ?? '').split(/\s+/).filter(Boolean);
    for (const uri of words('uris')) out.push({ uri, suites: words('suites'), components: words('components'), file });
  }
  return out;
}

/** `deb [options] uri suite component...` lines. */
export function parseOneLine(text: string, file: string): AptSource[] {
  const out: AptSource[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.replace(/#.*$/, '').trim();
    const m = /^deb\s+(?:\[[^\]]*\]\s+)?(\S+)\s+(\S+)\s*(.*)$/.exec(line);
    if (m) out.push({ uri: m[1], suites: [m[2]], components: m[3].split(/\s+/).filter(Boolean), file });
  }
  return out;
}

/**
 * The mirror of Debian's main archive for `suite`: a source that carries the
 * suite itself (not -updates or -security) with the `main` component.
 */
export function debianMirror(suite = 'bookworm', root = '/'): { mirror: string; proxy: string | null; from: string } {
  const sources = readAptSources(root);
  const match = sources.find((s) => s.suites.includes(suite) && s.components.includes('main') && /^https?:\/\//.test(s.uri));
  if (!match) {
    const seen = sources.length === 0 ? 'no deb sources at all' : sources.map((s) => `${s.uri} ${s.suites.join(',')} (${s.file})`).join('; ');
    throw new Error(
      `no apt source for Debian ${suite} main was found in ${SOURCES_LIST} or ${SOURCES_DIR}/*.sources (${seen}); ` +
        `the booted-host test builds its Debian root file system from the mirror this machine's apt uses. Add one, e.g. a deb822 stanza with ` +
        `"Types: deb", "URIs: <your Debian mirror>", "Suites: ${suite}", "Components: main".`,
    );
  }
  return { mirror: match.uri.replace(/\/+$/, ''), proxy: aptProxy(), from: match.file };
}

/** apt's own HTTP proxy setting (Acquire::http::Proxy), if any; debootstrap reads http_proxy. */
function aptProxy(): string | null {
  try {
    const out = execFileSync('apt-config', ['shell', 'PROXY', 'Acquire::http::Proxy'], { encoding: 'utf8' });
    const m = /^PROXY='(.*)'$/m.exec(out);
    return m && m[1] && m[1] !== 'DIRECT' ? m[1] : (process.env.http_proxy ?? null);
  } catch {
    return process.env.http_proxy ?? null;
  }
}
