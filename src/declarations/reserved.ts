// Names and folders a service may not take. Not from memory: each list says
// where it was read. A name that exists on the target host is refused too, by
// `doctor` and before `--apply` writes anything (src/host-checks.ts).

/** Debian 12 base-passwd: /usr/share/base-passwd/passwd.master and group.master. */
const BASE_PASSWD = [
  'root', 'daemon', 'bin', 'sys', 'sync', 'games', 'man', 'lp', 'mail', 'news', 'uucp', 'proxy', 'www-data', 'backup', 'list', 'irc', '_apt', 'nobody',
  'adm', 'tty', 'disk', 'kmem', 'dialout', 'fax', 'voice', 'cdrom', 'floppy', 'tape', 'sudo', 'audio', 'dip', 'operator', 'src', 'shadow', 'utmp',
  'video', 'sasl', 'plugdev', 'staff', 'users', 'nogroup',
];

/** base-passwd's users-and-groups.txt: names other Debian packages are documented to create. */
const BASE_PASSWD_DOC = [
  'majordom', 'postgres', 'gnats', 'messagebus', 'postfix', 'gdm', 'saned', 'klog', 'syslog', 'lpadmin', 'scanner', '_ssh', 'libvirt', 'sshd', 'fetchmail', 'cupsys',
];

/**
 * systemd's sysusers.d (basic.conf, systemd-journal, -network, -timesync, dbus,
 * polkitd) and the device groups its udev rules assign (50-udev-default.rules).
 */
const SYSTEMD = ['systemd-journal', 'systemd-network', 'systemd-timesync', 'systemd-resolve', 'systemd-coredump', 'polkitd', 'input', 'kvm', 'render', 'sgx', 'wheel'];

/**
 * What the packages of a web host create. Read from the booted test host's
 * /etc/passwd and /etc/group where the package is installed (caddy, postgres,
 * ssl-cert); the others are the names those Debian packages' maintainer
 * scripts create, not checked here (a package installed later is caught on
 * the host by doctor and --apply). A group in this list gives access (docker:
 * root through its socket; ssl-cert: private keys); a user owns a daemon's data.
 */
const WEB_HOST = [
  'caddy', // caddy
  'postgres', // postgresql
  'ssl-cert', // ssl-cert
  'docker', // docker.io
  'mysql', // mariadb-server
  'redis', // redis-server
  'memcache', // memcached
  'postdrop', // postfix
  'netdev', // ifupdown, network-manager
  'crontab', // cron
  'tss', // tpm-udev
  'uuidd', // uuid-runtime
  '_chrony', // chrony
  'ntpsec', // ntpsec
  'restic', // our backups' program: a user of that name would read as theirs
  'git', // the test host's /var/lib/git (git): a user of that name would own it
];

/** Names the emitted tree itself uses or that name well-known units. */
const UNITS = ['dbus', 'cron', 'ssh', 'sshd', 'postgresql', 'apache2', 'systemd', 'atelier', 'atelier-emit', 'init', 'kernel', 'network', 'multi-user', 'default', 'emergency', 'rescue'];

export const RESERVED_NAMES: ReadonlySet<string> = new Set([...BASE_PASSWD, ...BASE_PASSWD_DOC, ...SYSTEMD, ...WEB_HOST, ...UNITS]);

/** Prefixes a name may not start with: systemd's own accounts and units, and ours. */
export const RESERVED_PREFIXES = ['systemd-', 'atelier-', 'debian-', '_'] as const;

export function reservedName(name: string): boolean {
  return RESERVED_NAMES.has(name) || RESERVED_PREFIXES.some((p) => name.startsWith(p));
}

/**
 * Where a data folder may live: a folder of its own below one of these roots.
 * Nothing above them (`/`, `/etc`, `/tmp`, a home) can be handed to a service
 * user by tmpfiles.
 */
export const DATA_ROOTS = ['/var/lib', '/srv'] as const;

/**
 * Folders directly under /var/lib that a Debian 12 web host already has (read
 * from the test host's /var/lib after its packages were installed, plus the
 * state folders of common daemons). On a real host, any existing folder not
 * owned by the service is refused as well (src/host-checks.ts).
 */
export const SYSTEM_STATE_FOLDERS: ReadonlySet<string> = new Set([
  'apt', 'dpkg', 'dbus', 'misc', 'pam', 'private', 'sudo', 'systemd', 'ucf', 'git', 'caddy', 'postgresql', 'polkit-1', 'mysql', 'redis', 'docker',
  'containerd', 'nginx', 'php', 'letsencrypt', 'logrotate', 'sss', 'ssh', 'dhcp', 'man-db', 'vim', 'python', 'os-prober', 'update-notifier', 'snapd',
]);
