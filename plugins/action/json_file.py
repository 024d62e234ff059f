# -*- coding: utf-8 -*-
# Copyright: tap.multiregion contributors
# Apache License 2.0 (see LICENSE)

"""Controller-side action for tap.multiregion.json_file (documented in plugins/modules)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import tempfile

from ansible.errors import AnsibleActionFail
from ansible.module_utils.common.text.converters import to_native
from ansible_collections.tap.multiregion.plugins.plugin_utils.controller_action import ControllerAction

ARGUMENT_SPEC = {
    "dest": {"type": "path", "required": True},
    "content": {"type": "raw", "required": True},
    "mode": {"type": "str", "default": "0644"},
}


def render(content):
    """The file's text: sorted keys, four-space indent (like to_nice_json), a final newline."""
    return json.dumps(content, indent=4, sort_keys=True, ensure_ascii=False) + "\n"


def write_if_changed(dest, text, mode, check_mode):
    """Write text to dest atomically when it differs; returns (changed, previous text or None)."""
    try:
        with open(dest, encoding="utf-8") as handle:
            previous = handle.read()
    except FileNotFoundError:
        previous = None
    if previous == text or check_mode:
        return previous != text, previous
    directory = os.path.dirname(dest) or "."
    os.makedirs(directory, exist_ok=True)
    fd, temporary = tempfile.mkstemp(dir=directory, prefix=".%s." % os.path.basename(dest))
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.chmod(temporary, int(mode, 8))
        os.replace(temporary, dest)
    except BaseException:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise
    return True, previous


class ActionModule(ControllerAction):
    ARGUMENT_SPEC = ARGUMENT_SPEC
    _VALID_ARGS = frozenset(ARGUMENT_SPEC)

    def act(self, args, task_vars):
        dest = os.path.abspath(args["dest"])
        try:
            text = render(args["content"])
        except (TypeError, ValueError) as e:
            raise AnsibleActionFail("content cannot be written as JSON: %s" % to_native(e))
        try:
            changed, previous = write_if_changed(dest, text, args["mode"], self._task.check_mode)
        except (IOError, OSError, ValueError) as e:
            raise AnsibleActionFail("could not write %s: %s" % (dest, to_native(e)))
        result = dict(changed=changed, dest=dest)
        if self._task.diff and changed:
            result["diff"] = {"before_header": dest, "after_header": dest, "before": previous or "", "after": text}
        return result
