# -*- coding: utf-8 -*-
# Copyright: tap.multiregion contributors
# Apache License 2.0 (see LICENSE)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.tap.multiregion.plugins.plugin_utils.inprocess import InProcessModuleAction


class ActionModule(InProcessModuleAction):
    """Runs the global_table_replication module in the controller's worker process (see plugin_utils/inprocess.py)."""
