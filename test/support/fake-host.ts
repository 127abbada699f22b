// A fake host root for the host checks: /etc/passwd, /etc/group and sudoers with
// root and alice, systemctl, /var/lib and /srv, each with real modes (the checks
// read owners and modes, so tests that chown in it need root).
import * as fs from 'node:fs';
import * as path from 'node:path';

export interface FakeHostExtra {
  passwd?: string[];
  group?: string[];
  sudoers?: string;
  sudoersD?: Record<string, string>;
}

export function makeFakeHost(root: string, extra: FakeHostExtra = {}): string {
  const w = (p: string, text: string, mode = 0o644) => {
    fs.mkdirSync(path.dirname(path.join(root, p)), { recursive: true, mode: 0o755 });
    fs.writeFileSync(path.join(root, p), text, { mode });
  };
  w('etc/passwd', ['root:x:0:0:root:/root:/bin/bash', 'alice:x:1000:1000:Alice:/home/alice:/bin/bash', ...(extra.passwd ?? [])].join('\n') + '\n');
  w('etc/group', ['root:x:0:', 'alice:x:1000:', ...(extra.group ?? [])].join('\n') + '\n');
  w('etc/sudoers', `root ALL=(ALL) ALL\n${extra.sudoers ?? ''}`, 0o440);
  for (const [name, text] of Object.entries(extra.sudoersD ?? {})) w(`etc/sudoers.d/${name}`, text, 0o440);
  w('usr/bin/systemctl', '#!/bin/sh\n', 0o755);
  fs.mkdirSync(path.join(root, 'var/lib'), { recursive: true, mode: 0o755 });
  fs.mkdirSync(path.join(root, 'srv'), { recursive: true, mode: 0o755 });
  for (const d of ['', 'etc', 'usr', 'usr/bin', 'var', 'var/lib', 'srv']) fs.chmodSync(path.join(root, d), 0o755);
  return root;
}
