# -*- coding: utf-8 -*-
# Copyright: tap.multiregion contributors
# Apache License 2.0 (see LICENSE)

"""The base of our actions that do their whole job on the controller (json_file, lambda_package).

They need no connection and start no module process; check mode is supported (act() honours
``self._task.check_mode``), async is not. The task's arguments are checked against the subclass's
ARGUMENT_SPEC (which its module's DOCUMENTATION documents) before act() runs.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.plugins.action import ActionBase


class ControllerAction(ActionBase):
    TRANSFERS_FILES = False
    ARGUMENT_SPEC = {}
    _requires_connection = False

    def run(self, tmp=None, task_vars=None):
        self._supports_check_mode = True
        self._supports_async = False
        task_vars = task_vars or {}
        result = super(ControllerAction, self).run(tmp, task_vars)
        dummy, args = self.validate_argument_spec(argument_spec=self.ARGUMENT_SPEC)
        result.update(self.act(args, task_vars))
        return result

    def act(self, args, task_vars):
        """Do the work with the checked arguments; return what the result adds (changed, diff, facts)."""
        raise NotImplementedError
