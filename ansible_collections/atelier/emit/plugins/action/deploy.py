# -*- coding: utf-8 -*-
# Copyright: atelier-emit contributors. MIT License.
# On the controller: reads the listed declaration files (relative to src) and
# hands their contents to the deploy module on the target, which does the rest.
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os

from ansible.errors import AnsibleActionFail
from ansible.module_utils.common.text.converters import to_text
from ansible.plugins.action import ActionBase


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _VALID_ARGS = frozenset(('src', 'declarations', 'config_dir', 'out', 'apply', 'prune', 'force', 'command'))

    def run(self, tmp=None, task_vars=None):
        result = super(ActionModule, self).run(tmp, task_vars)
        args = dict(self._task.args)
        src = args.get('src')
        declarations = args.get('declarations')
        if not src or not isinstance(declarations, list):
            raise AnsibleActionFail('atelier.emit.deploy needs src (a folder on the controller) and declarations (a list of paths relative to it)')
        src = self._loader.path_dwim(src) if not os.path.isabs(src) else src
        contents = {}
        for rel in declarations:
            rel = to_text(rel)
            full = os.path.join(src, rel)
            # The module refuses absolute and ../ paths with a message; do not read them here.
            if os.path.isabs(rel) or os.path.normpath(rel).startswith('..'):
                continue
            try:
                with open(full, 'rb') as f:
                    contents[rel] = to_text(f.read(), errors='surrogate_or_strict')
            except (IOError, OSError) as e:
                raise AnsibleActionFail('cannot read declaration %s: %s' % (full, to_text(e)))
        args['src'] = src
        args['contents'] = contents
        result.update(self._execute_module(module_name='atelier.emit.deploy', module_args=args, task_vars=task_vars))
        return result
