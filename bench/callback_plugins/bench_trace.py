# -*- coding: utf-8 -*-
# Copyright: tap.multiregion contributors
# Apache License 2.0 (see LICENSE)
"""Benchmark trace: one JSON line per task result (host, task, role, action, status, times).

Used by `python -m bench` only (never by the collection): the bench points ANSIBLE_CALLBACK_PLUGINS
at this directory, adds `bench_trace` to ANSIBLE_CALLBACKS_ENABLED and reads the file named by
BENCH_TRACE_FILE. bench/analysis.py turns the lines into module invocations per host and role and
into per-task durations.
"""

DOCUMENTATION = r"""
name: bench_trace
type: aggregate
short_description: Writes one JSON line per task result for the benchmark (bench/ only)
description:
  - Writes host, task, role, action, status, changed, item count and start/end time of every
    task result to the file named by the environment variable BENCH_TRACE_FILE, then the
    per-host recap counters.
requirements:
  - ANSIBLE_CALLBACK_PLUGINS pointing at bench/callback_plugins and bench_trace in ANSIBLE_CALLBACKS_ENABLED
"""

import json
import os
import time

from ansible.plugins.callback import CallbackBase


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "bench_trace"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self, *args, **kwargs):
        super(CallbackModule, self).__init__(*args, **kwargs)
        self._path = os.environ.get("BENCH_TRACE_FILE")
        self._starts = {}
        self._play = ""
        if self._path:
            # One file per playbook run: truncate it at the start.
            with open(self._path, "w"):
                pass

    def _write(self, record):
        if not self._path:
            return
        with open(self._path, "a") as handle:
            handle.write(json.dumps(record, default=str) + "\n")

    def v2_playbook_on_play_start(self, play):
        self._play = str(play.get_name())

    def v2_runner_on_start(self, host, task):
        self._starts[(host.get_name(), task._uuid)] = time.time()

    def _record(self, result, status):
        host = result._host.get_name()
        task = result._task
        end = time.time()
        start = self._starts.pop((host, task._uuid), end)
        role = task._role.get_name() if getattr(task, "_role", None) is not None else ""
        data = result._result
        items = None
        loop_results = data.get("results") if hasattr(data, "get") else None
        if (getattr(task, "loop", None) is not None or task.loop_with) and isinstance(loop_results, list):
            items = sum(1 for item in loop_results if not (hasattr(item, "get") and item.get("skipped")))
        self._write(
            {
                "event": "result",
                "play": self._play,
                "host": host,
                "uuid": str(task._uuid),
                "task": str(task.get_name()),
                "role": str(role),
                "action": str(task.action),
                "status": status,
                "changed": bool(data.get("changed", False)) if hasattr(data, "get") else False,
                "items": items,
                "start": start,
                "end": end,
                # What the module waited for ([{what, seconds}], module_utils/base.py wait_until; [] when it
                # found everything done at its first look): tells a wait the time scale hid from one it made.
                "waits": (data.get("waits") or []) if hasattr(data, "get") and status != "skipped" else None,
            }
        )

    def v2_runner_on_ok(self, result):
        self._record(result, "ok")

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._record(result, "ignored" if ignore_errors else "failed")

    def v2_runner_on_skipped(self, result):
        self._record(result, "skipped")

    def v2_runner_on_unreachable(self, result):
        self._record(result, "unreachable")

    def v2_playbook_on_stats(self, stats):
        recap = {host: stats.summarize(host) for host in sorted(stats.processed)}
        self._write({"event": "stats", "stats": recap, "time": time.time()})
