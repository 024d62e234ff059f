# -*- coding: utf-8 -*-
# Copyright: tap.multiregion contributors
# Apache License 2.0 (see LICENSE)
"""Rehearsal trace: one JSON line per task result (host, task, start, end, seconds the modules waited).

Used by tests/integration/test_rehearsal.py only (never by the collection): the rehearsal points
ANSIBLE_CALLBACK_PLUGINS at this directory, adds `rehearsal_trace` to ANSIBLE_CALLBACKS_ENABLED and reads
the file named by REHEARSAL_TRACE_FILE, to turn the real time the modules waited for AWS's transitions
into AWS time (tests/integration/rehearsal_support.py).
"""

DOCUMENTATION = r"""
name: rehearsal_trace
type: aggregate
short_description: Writes one JSON line per task result for the rehearsal (tests/ only)
description:
  - Writes host, task, start and end time of every task result and the seconds its modules report in
    C(waits) to the file named by the environment variable REHEARSAL_TRACE_FILE.
requirements:
  - ANSIBLE_CALLBACK_PLUGINS pointing at tests/integration/callback_plugins and rehearsal_trace in
    ANSIBLE_CALLBACKS_ENABLED
"""

import json
import os
import time

from ansible.plugins.callback import CallbackBase


def waited_seconds(result):
    """Seconds the module (or each item of a loop) reports in waits."""
    if not hasattr(result, "get"):
        return 0.0
    total = sum(float(w.get("seconds") or 0) for w in result.get("waits") or [] if hasattr(w, "get"))
    for item in result.get("results") or []:
        total += waited_seconds(item)
    return total


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "rehearsal_trace"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self, *args, **kwargs):
        super(CallbackModule, self).__init__(*args, **kwargs)
        self._path = os.environ.get("REHEARSAL_TRACE_FILE")
        self._starts = {}
        if self._path:
            with open(self._path, "w"):
                pass

    def v2_runner_on_start(self, host, task):
        self._starts[(host.get_name(), task._uuid)] = time.time()

    def _record(self, result, status):
        if not self._path:
            return
        host, task = result._host.get_name(), result._task
        end = time.time()
        record = {
            "host": host,
            "uuid": str(task._uuid),
            "task": str(task.get_name()),
            "status": status,
            "start": self._starts.pop((host, task._uuid), end),
            "end": end,
            "waited": waited_seconds(result._result),
        }
        with open(self._path, "a") as handle:
            handle.write(json.dumps(record) + "\n")

    def v2_runner_on_ok(self, result):
        self._record(result, "ok")

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._record(result, "failed")

    def v2_runner_on_skipped(self, result):
        self._record(result, "skipped")
