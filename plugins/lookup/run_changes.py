# -*- coding: utf-8 -*-
# Copyright: tap.multiregion contributors
# Apache License 2.0 (see LICENSE)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
name: run_changes
short_description: The changes (or planned changes) recorded so far in this run
version_added: 0.1.0
description:
  - Returns a dict host -> list of C({task, changes}) recorded by the C(tap.multiregion.summary)
    callback for every task that reported C(changed) so far in this run.
  - In check mode those are the planned changes, i.e. the drift between the declared and the real state.
requirements:
  - the C(tap.multiregion.summary) callback enabled (the project's ansible.cfg does)
"""

EXAMPLES = r"""
- name: Fail when anything drifted
  ansible.builtin.assert:
    that: lookup('tap.multiregion.run_changes') | length == 0
"""

RETURN = r"""
_raw:
  description: Host -> list of changed tasks with their change lines.
  type: dict
"""

import sys

from ansible.errors import AnsibleLookupError
from ansible.plugins.lookup import LookupBase

CALLBACK_MODULE = "ansible_collections.tap.multiregion.plugins.callback.summary"


class LookupModule(LookupBase):
    def run(self, terms, variables=None, **kwargs):
        callback = sys.modules.get(CALLBACK_MODULE)
        if callback is None:
            raise AnsibleLookupError(
                "run_changes needs the tap.multiregion.summary callback: "
                "set callbacks_enabled = tap.multiregion.summary in ansible.cfg"
            )
        return [dict(callback.RUN_CHANGES)]
