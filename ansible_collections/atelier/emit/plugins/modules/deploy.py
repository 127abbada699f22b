#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: atelier-emit contributors. MIT License.
# Runs on the target. The folder of declarations becomes exactly the given
# files (relative layout kept, everything else removed); atelier-emit then
# writes the tree and activates it (--apply --prune). The CLI does all the
# activation: this module only moves declarations and reads the CLI's JSON.
from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
module: deploy
short_description: Deploy atelier-emit service declarations and let atelier-emit activate them
description:
  - Makes the declarations folder on the target hold exactly the given files, keeping their relative
    layout (C(a/app.yaml) and C(b/app.yaml) are two files); any other file there is removed.
  - Then runs C(atelier-emit --out OUT --apply --prune --json) with every file as a C(--config), in the
    given order. The CLI writes the units, sites and backups, and starts, restarts, reloads or stops
    what changed; C(changed) is true when a declaration or an emitted file changed, or --apply started, restarted or reloaded a unit.
  - Before anything is written, the same run is made as a dry run on the declarations as they will be
    (staged in a private temporary folder with the same layout) against the real O(out). Invalid
    declarations or files atelier-emit does not own fail the task with nothing written.
  - In check mode only that dry run happens. With C(--diff) every declaration and every emitted file
    that would change is shown before/after, as the template module shows it.
  - Use it through the action plugin of the same name, which reads O(src)/O(declarations) on the
    controller; the role C(atelier.emit.deploy) also installs the CLI.
options:
  src:
    description: Folder on the controller that the relative paths in O(declarations) are relative to.
    type: path
  declarations:
    description:
      - Declaration files (.yaml, .yml, .toml, .json), relative to O(src); they keep this relative path
        under O(config_dir). Merged in this order. Absolute paths and C(..) are refused, and so is the
        same path twice.
    type: list
    elements: str
    required: true
  contents:
    description: The files' contents by relative path; set by the action plugin from O(src).
    type: dict
  config_dir:
    description: Folder on the target holding the declarations. It belongs to this module; files not listed are deleted.
    type: path
    default: /etc/atelier/declarations
  out:
    description: The tree's root (atelier-emit's C(--out)).
    type: path
    default: /etc
  apply:
    description: Activate on the host (C(--apply)). False only writes the tree.
    type: bool
    default: true
  prune:
    description: Delete (and first stop) what no longer follows from the declarations (C(--prune)).
    type: bool
    default: true
  force:
    description: Overwrite files atelier-emit does not own or that were edited by hand (C(--force)).
    type: bool
    default: false
  command:
    description: The atelier-emit command, as a list (for example C([node, /usr/local/lib/atelier-emit/atelier-emit.mjs])).
    type: list
    elements: str
    default: [atelier-emit]
attributes:
  check_mode:
    support: full
  diff_mode:
    support: full
'''

EXAMPLES = r'''
- name: Services from files/atelier on the controller
  atelier.emit.deploy:
    src: "{{ playbook_dir }}/files/atelier"
    declarations: [host.yaml, shop/app.yaml, blog/app.yaml]
'''

RETURN = r'''
report:
  description: atelier-emit's JSON report of the run (files with their action, start, restart, reload, stop, stale).
  returned: always
  type: dict
declarations:
  description: Declaration files created, updated or deleted under config_dir.
  returned: always
  type: dict
'''

import json
import os
import shutil
import tempfile

from ansible.module_utils.basic import AnsibleModule

EXTENSIONS = ('.yaml', '.yml', '.toml', '.json')


def check_relative(module, rel):
    norm = os.path.normpath(rel)
    if os.path.isabs(rel) or norm.startswith('..') or norm != rel.rstrip('/') or rel.startswith('./'):
        module.fail_json(msg='declaration %r: give a plain path relative to src (no leading /, ./ or ..)' % rel)
    if not rel.endswith(EXTENSIONS):
        module.fail_json(msg='declaration %r: atelier-emit reads only %s files' % (rel, ', '.join(EXTENSIONS)))


def current_files(root):
    """Every file under root, relative path -> content (None for what is not a readable regular file)."""
    found = {}
    if not os.path.isdir(root):
        return found
    for folder, dirs, files in os.walk(root):
        for name in files + [d for d in dirs if os.path.islink(os.path.join(folder, d))]:
            full = os.path.join(folder, name)
            rel = os.path.relpath(full, root)
            if os.path.islink(full) or not os.path.isfile(full):
                found[rel] = None
                continue
            with open(full, 'rb') as f:
                found[rel] = f.read().decode('utf-8', 'replace')
    return found


def write_tree(root, contents):
    for rel, text in contents.items():
        full = os.path.join(root, rel)
        os.makedirs(os.path.dirname(full), mode=0o755, exist_ok=True)
        tmp = full + '.atelier-tmp'
        with open(tmp, 'w', encoding='utf-8') as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o644)
        os.rename(tmp, full)


def run_cli(module, argv, cwd):
    rc, out, err = module.run_command(argv, cwd=cwd)
    try:
        report = json.loads(out) if out.strip() else None
    except ValueError:
        report = None
    return rc, report, out, err


def main():
    module = AnsibleModule(
        argument_spec=dict(
            src=dict(type='path'),
            declarations=dict(type='list', elements='str', required=True),
            contents=dict(type='dict', required=True, no_log=False),
            config_dir=dict(type='path', default='/etc/atelier/declarations'),
            out=dict(type='path', default='/etc'),
            apply=dict(type='bool', default=True),
            prune=dict(type='bool', default=True),
            force=dict(type='bool', default=False),
            command=dict(type='list', elements='str', default=['atelier-emit']),
        ),
        supports_check_mode=True,
    )
    p = module.params
    order = p['declarations']
    contents = p['contents']
    if not order:
        module.fail_json(msg='declarations is empty: list at least one file (an empty folder would remove every service)')
    for rel in order:
        check_relative(module, rel)
    if len(set(order)) != len(order):
        module.fail_json(msg='the same declaration is listed twice: %s' % ', '.join(sorted(r for r in set(order) if order.count(r) > 1)))
    missing = [rel for rel in order if rel not in contents]
    if missing:
        module.fail_json(msg='no content for %s (use the action plugin, which reads them on the controller)' % ', '.join(missing))

    command = list(p['command'])
    found = module.get_bin_path(command[0]) if not os.path.isabs(command[0]) else command[0]
    if not found:
        module.fail_json(msg='%s is not installed on the target (the role atelier.emit.deploy installs it; in check mode on a host '
                             'that never had it, nothing can be predicted before the first real run)' % command[0])
    command[0] = found
    config_dir, out = p['config_dir'], p['out']
    configs = []
    for rel in order:
        configs += ['--config', rel]
    flags = ['--out', out, '--json', '--no-color'] + (['--prune'] if p['prune'] else []) + (['--force'] if p['force'] else [])

    # The declarations folder as it is and as it will be.
    before = current_files(config_dir)
    wanted = dict((rel, contents[rel]) for rel in order)
    decl_changes = {}
    diffs = []
    for rel in sorted(set(before) | set(wanted)):
        old, new = before.get(rel), wanted.get(rel)
        if rel in before and rel in wanted and old == new:
            continue
        decl_changes[rel] = 'delete' if rel not in wanted else ('create' if rel not in before else 'update')
        path = os.path.join(config_dir, rel)
        diffs.append(dict(before_header=path, after_header=path, before=old or '', after=new or ''))

    # The same run, as a dry run, on the folder as it will be (same relative names: the emitted
    # headers name the files relative to the folder) against the real --out.
    stage = tempfile.mkdtemp(prefix='atelier-emit-')
    try:
        write_tree(stage, wanted)
        rc, plan, stdout, stderr = run_cli(module, command + configs + flags + ['--dry-run'], stage)
    finally:
        shutil.rmtree(stage, ignore_errors=True)
    if rc != 0 or plan is None:
        module.fail_json(msg='atelier-emit refused the declarations; nothing was written', rc=rc, stdout=stdout, stderr=stderr,
                         errors=(plan or {}).get('errors'))
    if plan.get('refused'):
        conflicts = '; '.join('%s (%s)' % (c['path'], c['reason']) for c in plan.get('conflicts', []))
        module.fail_json(msg='atelier-emit would refuse the write: %s%s; nothing was written' % (plan['refused'], ': ' + conflicts if conflicts else ''), report=plan)
    for f in plan.get('files', []):
        if f.get('action') in ('create', 'update', 'delete'):
            path = os.path.join(out, f['path'])
            diffs.append(dict(before_header=path, after_header=path, before=f.get('before') or '', after=f.get('after') or ''))

    predicted = bool(decl_changes) or bool(plan.get('changed'))
    result = dict(changed=predicted, declarations=decl_changes, report=plan, diff=diffs)
    if module.check_mode:
        module.exit_json(**result)

    for rel in decl_changes:
        if decl_changes[rel] == 'delete':
            full = os.path.join(config_dir, rel)
            if os.path.isdir(full) and not os.path.islink(full):
                shutil.rmtree(full)
            else:
                os.unlink(full)
    write_tree(config_dir, dict((rel, wanted[rel]) for rel in decl_changes if rel in wanted))
    # Folders left empty by a removed declaration go too: the folder mirrors the list.
    for folder, dirs, files in os.walk(config_dir, topdown=False):
        if folder != config_dir and not os.listdir(folder):
            os.rmdir(folder)

    rc, report, stdout, stderr = run_cli(module, command + configs + flags + (['--apply'] if p['apply'] else []), config_dir)
    if rc != 0 or report is None:
        module.fail_json(msg='atelier-emit failed (exit %d)' % rc, rc=rc, stdout=stdout, stderr=stderr, report=report,
                         changed=bool(decl_changes) or bool(report and report.get('written')))
    result.update(changed=bool(decl_changes) or bool(report.get('changed')) or acted_on_units(report), report=report, stderr=stderr)
    module.exit_json(**result)


def acted_on_units(report):
    """--apply converges every run: a run that changed no file may still have started a stopped
    service. Users and folders are made sure of every run (systemd-sysusers, systemd-tmpfiles: no
    change when all is there); any systemctl step is the host being changed."""
    steps = (report.get('apply') or {}).get('steps') or []
    return any(step.get('command', [''])[0].endswith('systemctl') for step in steps)


if __name__ == '__main__':
    main()
