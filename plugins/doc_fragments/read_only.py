# -*- coding: utf-8 -*-
# Copyright: tap.multiregion contributors
# Apache License 2.0 (see LICENSE)

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):
    # Modules that change nothing (they read AWS, or only compute): the same run in check mode, no diff.
    # A module whose check mode differs (it skips a wait) documents its own check_mode, which replaces this one.
    DOCUMENTATION = r"""
attributes:
  check_mode:
    description: Changes nothing, so it runs the same in check mode.
    support: full
  diff_mode:
    description: Changes nothing, so there is nothing to show.
    support: none
"""
