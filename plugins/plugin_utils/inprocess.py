# -*- coding: utf-8 -*-
# Copyright: tap.multiregion contributors
# Apache License 2.0 (see LICENSE)
"""Run one of our AWS modules inside the controller's worker process.

Every module invocation normally starts a new Python process, unpacks the AnsiballZ payload and
imports botocore: about a second on a 2-core machine, for each region and each task. Our region
hosts use the local connection, so the module would run on the controller anyway; running its
main() in the already-forked worker (where botocore is preloaded, see callback/summary.py) does
the same work without that start-up. The module code, its arguments (module_defaults merged),
check mode, diff, no_log masking and result are exactly those of a normal run. With any other
connection the normal module execution is used.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import contextlib
import importlib
import io
import json

from ansible.module_utils import _internal as module_internal
from ansible.module_utils import basic
from ansible.module_utils.common import json as common_json
from ansible.module_utils.common import warnings as module_warnings
from ansible.plugins.action import ActionBase

MODULE_PACKAGE = "ansible_collections.tap.multiregion.plugins.modules"
# The serialization profile Ansible uses for module arguments.
PROFILE = "legacy"


def run_module_main(module_name, module_args):
    """Run the module's main() with module_args in this process and return its result dict."""
    module = importlib.import_module("%s.%s" % (MODULE_PACKAGE, module_name))
    encoder = common_json.get_module_encoder(PROFILE, common_json.Direction.CONTROLLER_TO_MODULE)
    payload = json.dumps({"ANSIBLE_MODULE_ARGS": module_args}, cls=encoder).encode()
    saved = (basic._ANSIBLE_ARGS, basic._ANSIBLE_PROFILE)
    stdout = io.StringIO()
    # Warnings are collected per process; start clean as a new module process would.
    module_warnings._global_warnings.clear()
    module_warnings._global_deprecations.clear()
    basic._ANSIBLE_ARGS, basic._ANSIBLE_PROFILE = payload, PROFILE
    # As in a module process: warnings and deprecations go into the result, which the
    # controller then displays, instead of straight to the controller's display.
    was_controller, module_internal.is_controller = module_internal.is_controller, False
    try:
        with contextlib.redirect_stdout(stdout), contextlib.suppress(SystemExit):
            module.main()
    finally:
        basic._ANSIBLE_ARGS, basic._ANSIBLE_PROFILE = saved
        module_internal.is_controller = was_controller
    output = stdout.getvalue()
    # Decoded as the controller decodes a module's output, so warnings and deprecations
    # become the objects the callbacks expect rather than plain dicts.
    decoder = common_json.get_module_decoder(PROFILE, common_json.Direction.MODULE_TO_CONTROLLER)
    try:
        return json.loads(output[output.index("{") :], cls=decoder)
    except ValueError:
        return {"failed": True, "msg": "module %s returned no result: %s" % (module_name, output[-2000:])}


class InProcessModuleAction(ActionBase):
    """Action plugin base: executes the module of the same name in-process on local connections."""

    _supports_check_mode = True
    _supports_async = False

    def run(self, tmp=None, task_vars=None):
        task_vars = task_vars or {}
        result = super(InProcessModuleAction, self).run(tmp, task_vars)
        module_name = self._task.resolved_action or self._task.action
        short_name = module_name.rsplit(".", 1)[-1]
        if self._connection.transport not in ("local", "ansible.builtin.local"):
            result.update(self._execute_module(module_name=module_name, task_vars=task_vars))
            return result
        module_args = dict(self._task.args)
        self._update_module_args(short_name, module_args, task_vars)
        result.update(run_module_main(short_name, module_args))
        if self._task.no_log:
            result.pop("invocation", None)
        return result
