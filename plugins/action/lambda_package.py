# -*- coding: utf-8 -*-
# Copyright: tap.multiregion contributors
# Apache License 2.0 (see LICENSE)

"""Controller-side action for tap.multiregion.lambda_package (documented in plugins/modules)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

from ansible.errors import AnsibleActionFail, AnsibleFileNotFound
from ansible.module_utils.common.text.converters import to_native
from ansible_collections.tap.multiregion.plugins.module_utils.lambda_package import (
    COMPRESSION,
    LambdaPackageError,
    write_package,
)
from ansible_collections.tap.multiregion.plugins.plugin_utils.controller_action import ControllerAction

# plugins/action/lambda_package.py -> the collection root
COLLECTION_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DEFAULT_SRC = os.path.join(COLLECTION_ROOT, "files", "lambda")

ARGUMENT_SPEC = {
    "src": {"type": "path"},
    "dest": {"type": "path"},
    "compression": {"type": "str", "default": "stored", "choices": sorted(COMPRESSION)},
}


class ActionModule(ControllerAction):
    ARGUMENT_SPEC = ARGUMENT_SPEC
    _VALID_ARGS = frozenset(ARGUMENT_SPEC)

    def act(self, args, task_vars):
        base_dir = task_vars.get("playbook_dir") or self._loader.get_basedir()

        src = args.get("src")
        if not src:
            src = DEFAULT_SRC
        elif not os.path.isabs(src):
            try:
                src = self._find_needle("files", src)  # role files/, then the playbook's files/
            except AnsibleFileNotFound as e:
                raise AnsibleActionFail("src %s not found: %s" % (args["src"], to_native(e)))

        dest = args.get("dest") or os.path.join(".build", os.path.basename(os.path.normpath(src)) + ".zip")
        if not os.path.isabs(dest):
            dest = os.path.join(base_dir, dest)
        dest = os.path.normpath(dest)

        try:
            package = write_package(src, dest, compression=args["compression"], check_mode=self._task.check_mode)
        except (LambdaPackageError, IOError, OSError) as e:
            raise AnsibleActionFail("could not build the Lambda package from %s: %s" % (src, to_native(e)))

        result = dict(
            changed=package["changed"],
            path=package["path"],
            src=src,
            sha256=package["sha256"],
            size=package["size"],
            files=package["files"],
        )
        if self._task.diff and package["changed"]:
            result["diff"] = {
                "before_header": dest,
                "after_header": dest,
                "before": "sha256: %s\n" % (package["previous_sha256"] or "(absent)"),
                "after": "sha256: %s\n" % package["sha256"],
            }
        return result
