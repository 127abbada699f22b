// Where extraConfig.systemd's policy (src/declarations/unit-policy.ts) draws
// its lines: the exact refusal each directive gets, at which value, and the
// neighbouring values it must still accept (a policy that refuses everything
// would pass a test of refusals alone).
import { describe, expect, it } from 'vitest';
import { resolveDeclarations } from '../src/declarations/resolve.js';
import { directiveProblem } from '../src/declarations/unit-policy.js';

const none: ReadonlySet<string> = new Set();
const own = { name: 'my-app', dataDir: '/var/lib/my-app' };

/** One service `my-app` (and `web`) with the given [section] directive values; the diagnostics as `line:column message`. */
function errorsOf(section: string, directive: string, values: string[]): string[] {
  const list = values.map((v) => JSON.stringify(v)).join(', ');
  const text = `services:\n  my-app:\n    enable: true\n    domain: app.example.com\n    extraConfig:\n      systemd:\n        ${section}:\n          ${directive}: [${list}]\n  web:\n    enable: true\n    port: 3001\n    domain: web.example.com\n`;
  return resolveDeclarations([{ file: 'app.yaml', text }]).diagnostics.map((d) => `${d.line}:${d.column} ${d.message}`);
}

describe('directives by section', () => {
  it('a section extraConfig has no list for refuses every directive, naming the section', () => {
    expect(directiveProblem('Timer', 'OnCalendar', 'daily', none)).toBe(
      '`OnCalendar` is not among the directives extraConfig may set in [Timer] (it could change who the service runs as, what it may reach, or what systemd does as root for it)',
    );
  });

  it('a directive allowed in one section is refused in another', () => {
    expect(directiveProblem('Unit', 'UMask', '0027', none)).toMatch(/^`UMask` is not among the directives extraConfig may set in \[Unit\]/);
    expect(directiveProblem('Service', 'UMask', '0027', none)).toBeNull();
  });
});

describe('command prefixes', () => {
  it('reads the prefix after the blanks before it', () => {
    expect(directiveProblem('Service', 'ExecStartPre', '  +/bin/true', none)).toBe("a command must not start with `+`: systemd would run it with root's privileges");
    expect(directiveProblem('Service', 'ExecStop', '\t-!/bin/true', none)).toBe("a command must not start with `-!`: systemd would run it with root's privileges");
  });

  it('looks for a prefix only in Exec* commands: a description may start with + or !', () => {
    expect(directiveProblem('Unit', 'Description', '+ fast path !', none)).toBeNull();
    expect(directiveProblem('Service', 'SyslogIdentifier', '!app', none)).toBeNull();
    expect(directiveProblem('Service', 'Environment', '|PIPE=1', none)).toBeNull();
  });

  it('lets the prefixes that take no privilege through', () => {
    expect(directiveProblem('Service', 'ExecStartPre', '-@:/bin/true', none)).toBeNull();
  });
});

describe('units a service pulls in', () => {
  it('a declared service may be named with or without .service', () => {
    const services = new Set(['web', 'my-app']);
    expect(directiveProblem('Unit', 'Wants', 'web.service', services)).toBeNull();
    expect(directiveProblem('Unit', 'Requires', 'web', services)).toBeNull();
    expect(directiveProblem('Unit', 'BindsTo', 'network-online.target  web.service', services)).toBeNull();
  });

  it('only a trailing .service is taken off before the name is looked up', () => {
    const services = new Set(['web']);
    expect(directiveProblem('Unit', 'Wants', 'we.serviceb', services)).toBe(
      'a service may pull in only the network targets, a database or another declared service, not `we.serviceb` (starting a unit is done as root)',
    );
  });

  it('names the first unit that may not be pulled in, after those that may', () => {
    expect(directiveProblem('Unit', 'Wants', 'postgresql.service  debug-shell.service', none)).toBe(
      'a service may pull in only the network targets, a database or another declared service, not `debug-shell.service` (starting a unit is done as root)',
    );
  });

  it('is reported at the value, for a service that is declared in the same file', () => {
    expect(errorsOf('Unit', 'Wants', ['web.service', 'redis-server.service'])).toEqual([]);
    expect(errorsOf('Unit', 'Wants', ['web.service', 'sshd.service'])).toEqual([
      '8:34 `services.my-app.extraConfig.systemd.Unit.Wants.1` a service may pull in only the network targets, a database or another declared service, not `sshd.service` (starting a unit is done as root)',
    ]);
  });
});

describe('the targets a service is installed into', () => {
  const refusal = (unit: string) => `a service may be installed only into a target, not \`${unit}\` (its failure would stop that unit, or it would run at shutdown)`;

  it('accepts ordinary targets, for WantedBy and RequiredBy alike', () => {
    expect(directiveProblem('Install', 'WantedBy', 'multi-user.target', none)).toBeNull();
    expect(directiveProblem('Install', 'WantedBy', 'multi-user.target graphical.target', none)).toBeNull();
    expect(directiveProblem('Install', 'RequiredBy', 'multi-user.target', none)).toBeNull();
    expect(directiveProblem('Install', 'WantedBy', '', none)).toBeNull();
  });

  it('refuses a unit that is not a target, and the targets that stop or reboot the host', () => {
    expect(directiveProblem('Install', 'WantedBy', 'sshd.service', none)).toBe(refusal('sshd.service'));
    expect(directiveProblem('Install', 'WantedBy', 'multi-user.target reboot.target', none)).toBe(refusal('reboot.target'));
    expect(directiveProblem('Install', 'WantedBy', '.target.service', none)).toBe(refusal('.target.service'));
    expect(directiveProblem('Install', 'RequiredBy', 'shutdown.target', none)).toBe(refusal('shutdown.target'));
  });

  it('is reported at the value that is refused', () => {
    expect(errorsOf('Install', 'WantedBy', ['multi-user.target', 'poweroff.target'])).toEqual([`8:43 \`services.my-app.extraConfig.systemd.Install.WantedBy.1\` ${refusal('poweroff.target')}`]);
  });
});

describe('folders a service makes writable', () => {
  const refusal = (p: string) => `a service may make writable only its own folders (/var/lib/my-app, /var/cache/my-app, /var/log/my-app, /run/my-app), not \`${p}\``;

  it('accepts its own folders, with a - prefix, trailing slashes, several on a line', () => {
    expect(directiveProblem('Service', 'ReadWritePaths', '/var/lib/my-app/uploads', none, own)).toBeNull();
    expect(directiveProblem('Service', 'ReadWritePaths', '-/var/lib/my-app/tmp', none, own)).toBeNull();
    expect(directiveProblem('Service', 'ReadWritePaths', '/var/cache/my-app/', none, own)).toBeNull();
    expect(directiveProblem('Service', 'ReadWritePaths', '/run/my-app//', none, own)).toBeNull();
    expect(directiveProblem('Service', 'ReadWritePaths', '/var/log/my-app   -/run/my-app/sock', none, own)).toBeNull();
  });

  it('takes an empty value as the reset it is to systemd', () => {
    expect(directiveProblem('Service', 'ReadWritePaths', '', none, own)).toBeNull();
    expect(errorsOf('Service', 'ReadWritePaths', ['', '/var/cache/my-app'])).toEqual([]);
  });

  it('refuses a folder of someone else, listing the service\'s own folders', () => {
    expect(directiveProblem('Service', 'ReadWritePaths', '/var/lib/my-app /etc', none, own)).toBe(refusal('/etc'));
    expect(directiveProblem('Service', 'ReadWritePaths', '-/var/lib/my-appx', none, own)).toBe(refusal('/var/lib/my-appx'));
    expect(errorsOf('Service', 'ReadWritePaths', ['/var/log/my-app', '/var/log'])).toEqual([`8:47 \`services.my-app.extraConfig.systemd.Service.ReadWritePaths.1\` ${refusal('/var/log')}`]);
  });
});

describe('the umask', () => {
  const refusal = 'the umask must keep files from being written by others (its last digit 2, 3, 6 or 7)';

  it.each(['0027', '027', '77', '7', '0002', ' 0022 '])('accepts %j', (umask) => {
    expect(directiveProblem('Service', 'UMask', umask, none)).toBeNull();
  });

  it.each(['0020', '0000', '00027', 'x027', '0027x', '0028', '', '0o27'])('refuses %j', (umask) => {
    expect(directiveProblem('Service', 'UMask', umask, none)).toBe(refusal);
  });
});

describe('PrivateNetwork', () => {
  it.each(['yes', 'true', 'On', '1', ' yes '])('may be turned on with %j', (v) => {
    expect(directiveProblem('Service', 'PrivateNetwork', v, none)).toBeNull();
  });

  it.each(['no', 'false', '0', 'yess'])('may not be turned off with %j', (v) => {
    expect(directiveProblem('Service', 'PrivateNetwork', v, none)).toBe('PrivateNetwork may only be turned on');
  });

  it('is refused at its value in a declaration', () => {
    expect(errorsOf('Service', 'PrivateNetwork', ['no'])).toEqual(['8:28 `services.my-app.extraConfig.systemd.Service.PrivateNetwork.0` PrivateNetwork may only be turned on']);
  });
});
