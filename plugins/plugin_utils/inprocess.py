# -*- coding: utf-8 -*-
# Copyright: tap.multiregion contributors
# Apache License 2.0 (see LICENSE)
"""Run one of our AWS modules inside the controller's worker process.

Every module invocation normally starts a new Python process, unpacks the AnsiballZ payload and
imports botocore: about a second on a 2-core machine, for each region and each task. Our region
hosts use the local connection, so the module would run on the controller anyway; running its
main() in the already-forked worker does the same work without that start-up. The module code, its
arguments (module_defaults merged), check mode, diff, no_log masking and result are exactly those of
a normal run. With any other connection, an ansible-core whose module internals this runner does
not know, or TAP_INPROCESS=0 in the environment, the normal module execution is used.

This file is also where botocore's service models are preloaded: the linear and free strategies
import every task's action plugin class in the controller process (to read BYPASS_HOST_LOOP) before
they fork its workers, so importing this module there fills the shared botocore data loader once
(plugin_utils/botocore_preload.py) for every worker forked afterwards, whatever callbacks are enabled.
The tests run modules through run_module_main too, so they use this very path.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import contextlib
import gc
import importlib
import io
import json
import os
import pkgutil

from ansible.module_utils import basic
from ansible.module_utils.common import warnings as module_warnings
from ansible.plugins.action import ActionBase

from ansible_collections.tap.multiregion.plugins.plugin_utils import botocore_preload

try:  # ansible-core 2.19: the serialization profiles and the controller flag of module code
    from ansible.module_utils import _internal as module_internal
    from ansible.module_utils.common import json as common_json

    SUPPORTED = all(
        (
            hasattr(basic, "_ANSIBLE_ARGS"),
            hasattr(basic, "_ANSIBLE_PROFILE"),
            hasattr(module_internal, "is_controller"),
            hasattr(common_json, "get_module_encoder"),
            hasattr(common_json, "get_module_decoder"),
        )
    )
except ImportError:  # pragma: no cover - older ansible-core: modules run as processes
    SUPPORTED = False

# TAP_INPROCESS=0 runs every module as a normal module process (for debugging, and to test that path).
ENABLED = os.environ.get("TAP_INPROCESS", "1") != "0"

MODULE_PACKAGE = "ansible_collections.tap.multiregion.plugins.modules"
BASE_MODULE = "ansible_collections.tap.multiregion.plugins.module_utils.base"
# The serialization profile Ansible uses for module arguments.
PROFILE = "legacy"

botocore_preload.preload()
# Our modules, the resource base and the amazon.aws module_utils they use, imported once before the
# workers fork rather than in each of them: the collection loader compiles a module's source at every
# import (no bytecode cache), about 15-30 ms of CPU per module invocation.
for _module in pkgutil.iter_modules(importlib.import_module(MODULE_PACKAGE).__path__):
    importlib.import_module("%s.%s" % (MODULE_PACKAGE, _module.name))
# Everything loaded so far (Ansible, botocore and its models) lives as long as the controller: out of the
# garbage collector's sight, a full collection in a forked worker no longer walks (and copies) all of it.
gc.freeze()


def _display_progress(line):
    from ansible.utils.display import Display

    Display().display(line)


def run_module_main(module_name, module_args, decode=True):
    """Run the module's main() with module_args in this process and return its result dict.

    module_name is one of our modules, or the full import path of another collection's module (tests).
    decode=False returns the result as plain JSON data (warnings as dicts), as a test reads it.
    """
    module = importlib.import_module(module_name if "." in module_name else "%s.%s" % (MODULE_PACKAGE, module_name))
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
    base = importlib.import_module(BASE_MODULE)
    base.progress_hook = _display_progress
    try:
        with contextlib.redirect_stdout(stdout), contextlib.suppress(SystemExit):
            module.main()
    finally:
        basic._ANSIBLE_ARGS, basic._ANSIBLE_PROFILE = saved
        module_internal.is_controller = was_controller
        base.progress_hook = None
    output = stdout.getvalue()
    # Decoded as the controller decodes a module's output, so warnings and deprecations
    # become the objects the callbacks expect rather than plain dicts.
    decoder = common_json.get_module_decoder(PROFILE, common_json.Direction.MODULE_TO_CONTROLLER)
    try:
        return json.loads(output[output.index("{") :], cls=decoder if decode else None)
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
        if not (SUPPORTED and ENABLED) or self._connection.transport not in ("local", "ansible.builtin.local"):
            result.update(self._execute_module(module_name=module_name, task_vars=task_vars))
            return result
        module_args = dict(self._task.args)
        self._update_module_args(short_name, module_args, task_vars)
        result.update(run_module_main(short_name, module_args))
        if self._task.no_log:
            result.pop("invocation", None)
        return result
