# -*- coding: utf-8 -*-
# Copyright: tap.multiregion contributors
# Apache License 2.0 (see LICENSE)

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):
    # Modules that wait for AWS through module_utils/base.py's wait_until.
    DOCUMENTATION = r"""
options:
  wait_timeout:
    description: Seconds to wait, for each wait of the run (what O(wait) asks for and what a later step needs).
    type: int
    default: 3600
notes:
  - Waits poll AWS every 10 seconds and show a progress line on the controller every 30 seconds. The environment
    variable C(TAP_WAIT_POLL_SECONDS) of the controller (a positive number of seconds) sets another poll interval,
    e.g. for rehearsals against the time-scaled emulator; AWS needs no faster poll.
"""
