// What systemd itself reads from an emitted unit, on the booted host (a real
// Debian 12 systemd under systemd-nspawn): a data folder with a space in its
// name, a description with `%`, specifiers and backslashes, and each hardening
// directive, read back through systemd's D-Bus properties and its own
// `systemd-analyze security` — not through our reader. Run only through the shared lock:
//   flock /tmp/atelier-host.lock npx vitest run test/host/unit-reading.test.ts
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { APP_DIRECTIVES, APP_GAPS, gaps, type Verdict } from '../support/hardening.js';
import { BootedHost } from './container.js';

const ROOT = path.resolve(__dirname, '../..');
const BUNDLE = '/opt/atelier-emit/atelier-emit.mjs';
const DECL = '/etc/atelier/declarations';
const DATA_DIR = '/srv/my data';
// `%n` and `%i` are specifiers systemd would replace, `%%` one it would halve; a backslash it would keep.
const DESCRIPTION = '50% off: %n %i %% \\ C:\\dir\\file "quoted" $HOME ünïcödé';
let host: BootedHost;
let applied: { code: number; out: string };

const DECLARATIONS = `services:
  spaced:
    description: ${JSON.stringify(DESCRIPTION)}
    runtime: custom
    startCommand: touch "$DATA_DIR/alive" && exec sleep infinity
    enable: true
    port: 3201
    dataDir: ${DATA_DIR}
    caddy:
      enable: false
    environment:
      DATA_DIR: \${dataDir}
`;

/** A property of spaced.service as systemd holds it, through D-Bus (busctl's JSON: no quoting to undo). */
async function property(iface: 'Unit' | 'Service', name: string): Promise<unknown> {
  const out = await host.run(['busctl', '--json=short', 'get-property', 'org.freedesktop.systemd1', '/org/freedesktop/systemd1/unit/spaced_2eservice', `org.freedesktop.systemd1.${iface}`, name]);
  return (JSON.parse(out) as { data: unknown }).data;
}

beforeAll(async () => {
  host = await BootedHost.boot('atelier-units', (line) => console.log(line));
  // The bundle is built from the current source by the global set-up (test/setup/global.ts).
  fs.mkdirSync(host.path(path.dirname(BUNDLE)), { recursive: true });
  fs.copyFileSync(path.join(ROOT, 'dist/atelier-emit.mjs'), host.path(BUNDLE));
  fs.mkdirSync(host.path(DECL), { recursive: true });
  fs.writeFileSync(host.path(`${DECL}/spaced.yaml`), DECLARATIONS);
  // Its result is checked by a test: the units are loaded even when the start fails, and the other tests read them.
  const r = await host.exec(['node', BUNDLE, '--config', DECL, '--out', '/etc', '--apply', '--no-color'], { timeoutMs: 300_000 });
  applied = { code: r.code, out: r.stdout + r.stderr };
}, 1_800_000);

afterAll(async () => {
  await host?.shutdown();
}, 120_000);

describe('a data folder with a space, on the booted host', () => {
  it('systemd reads ReadWritePaths= as the one folder, not two', async () => {
    expect(await property('Service', 'ReadWritePaths')).toEqual([DATA_DIR]);
  });

  it('the service, under ProtectSystem=strict, starts (--apply succeeds) and writes into that folder', async () => {
    expect(applied.code, applied.out).toBe(0);
    await host.waitFor('spaced.service to write its data folder', () => fs.existsSync(host.path(`${DATA_DIR}/alive`)), 60_000);
    expect((await host.exec(['systemctl', 'is-active', 'spaced.service'])).stdout.trim()).toBe('active');
    expect((await host.run(['stat', '-c', '%U', `${DATA_DIR}/alive`])).trim()).toBe('spaced');
  });
});

describe('the description, on the booted host', () => {
  it('systemd reads it exactly as declared: no specifier expanded, %% not halved, backslashes kept', async () => {
    expect(await property('Unit', 'Description')).toBe(DESCRIPTION);
    expect((await host.run(['systemctl', 'show', '-p', 'Description', '--value', 'spaced.service'])).replace(/\n$/, '')).toBe(DESCRIPTION);
  });
});

describe('hardening, on the booted host', () => {
  let verdicts: Map<string, Verdict>;
  beforeAll(async () => {
    const out = await host.run(['systemd-analyze', 'security', '--json=short', 'spaced.service']);
    verdicts = new Map((JSON.parse(out) as Verdict[]).map((v) => [v.json_field, v]));
  });

  it.each(APP_DIRECTIVES)('%s: in force in the loaded unit (systemd-analyze security)', (_directive, fields) => {
    for (const field of fields) expect(verdicts.get(field)?.set, field).toBe(true);
  });

  it('the loaded unit has no gap but those kept on purpose, and its exposure is the measured 1.3 (±0.05)', async () => {
    // Live, systemd also sees what it applies at run time: fewer gaps than offline, never more.
    expect(gaps(verdicts).filter((g) => !(g in APP_GAPS))).toEqual([]);
    const text = await host.run(['systemd-analyze', 'security', 'spaced.service']);
    const exposure = Number(/Overall exposure level for \S+: (\d+\.\d+)/.exec(text)![1]);
    expect(Math.abs(exposure - 1.3)).toBeLessThanOrEqual(0.05);
  });

  it('the directives systemd-analyze does not score separately, as systemd holds them (systemctl show)', async () => {
    const wanted: Record<string, string> = {
      UMask: '0027',
      DevicePolicy: 'closed',
      SystemCallErrorNumber: '1', // EPERM
      MemoryDenyWriteExecute: 'no',
      KeyringMode: 'private',
      ProtectProc: 'invisible',
      ProtectSystem: 'strict',
      ProtectHome: 'yes',
      CapabilityBoundingSet: '',
      AmbientCapabilities: '',
      RestrictAddressFamilies: 'AF_INET AF_INET6 AF_NETLINK AF_UNIX', // systemd lists them sorted
    };
    const out = await host.run(['systemctl', 'show', ...Object.keys(wanted).map((k) => `--property=${k}`), 'spaced.service']);
    const shown = Object.fromEntries(out.trim().split('\n').map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
    expect(shown).toEqual(wanted);
  });
});
