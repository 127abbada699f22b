# -*- coding: utf-8 -*-
# Test-only connection: ansible-playbook on this machine reaches the booted
# container (systemd-nspawn, no network, no sshd) by entering its namespaces
# with nsenter, as test/host/container.ts does; files go through the
# container's root as the kernel shows it (/proc/<pid>/root). Everything else
# is ansible-core's own local connection, so modules, check mode and diffs run
# exactly as they do over SSH.
from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = '''
name: nsenter
short_description: Run tasks inside a booted systemd-nspawn container through nsenter (tests)
description:
  - Commands run in the mount, UTS, IPC, network and PID namespaces of the container's init.
options:
  nsenter_pid:
    description: PID of the container's init, as this machine sees it.
    vars:
      - name: ansible_nsenter_pid
    required: true
'''

import shlex
import shutil

from ansible.plugins.connection.local import Connection as LocalConnection

PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'


class Connection(LocalConnection):
    transport = 'nsenter'

    def _inside(self, path):
        return '/proc/%s/root/%s' % (self.get_option('nsenter_pid'), path.lstrip('/'))

    def exec_command(self, cmd, in_data=None, sudoable=True):
        pid = self.get_option('nsenter_pid')
        wrapped = 'nsenter --target %s --mount --uts --ipc --net --pid --root --wd -- /usr/bin/env -i PATH=%s HOME=/root LANG=C.UTF-8 /bin/sh -c %s' % (
            int(pid), PATH, shlex.quote(cmd if isinstance(cmd, str) else cmd.decode('utf-8')))
        return super(Connection, self).exec_command(wrapped, in_data=in_data, sudoable=sudoable)

    # Copied here rather than by the local connection, which resolves the path
    # with realpath: /proc/<pid>/root would then resolve to this machine's /.
    def put_file(self, in_path, out_path):
        with open(in_path, 'rb') as src, open(self._inside(out_path), 'wb') as dst:
            shutil.copyfileobj(src, dst)

    def fetch_file(self, in_path, out_path):
        with open(self._inside(in_path), 'rb') as src, open(out_path, 'wb') as dst:
            shutil.copyfileobj(src, dst)
