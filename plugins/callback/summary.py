# -*- coding: utf-8 -*-
# Copyright: tap.multiregion contributors
# Apache License 2.0 (see LICENSE)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
name: summary
type: aggregate
short_description: Per-region summary of a tap.multiregion run, and its list of changes
version_added: 0.1.0
description:
  - At the end of a run prints one line per host with its ok/changed/failed counts, then every
    change (or, in check mode, every planned change or drift) with the resource and region.
  - Failures get one short line saying what failed and where.
  - Records the changes so the C(tap.multiregion.run_changes) lookup can read them later in the
    same run (the drift playbook fails on them).
requirements:
  - enable in ansible.cfg with C(callbacks_enabled = tap.multiregion.summary)
"""

import re

from ansible.plugins.callback import CallbackBase

# Task names are templated once per task, not per host, so "Ensure bucket {{ name }}" would show
# the first region's bucket on every row. The summary shows the raw name without its
# expressions; the host column says which region it was.
JINJA_EXPRESSION = re.compile(r"\{\{.*?\}\}")
EMPTY_PARENTHESES = re.compile(r"\(\s*\)")

# Changes seen so far in this run, host -> list of {task, changes}. Worker processes are
# forked from the controller process, so a lookup running in a later task sees this state.
RUN_CHANGES = {}
RUN_FAILURES = {}


def _task_name(result):
    task = result._task
    raw = getattr(task, "_ds", None)
    name = raw.get("name") if isinstance(raw, dict) and raw.get("name") else task.get_name()
    name = EMPTY_PARENTHESES.sub("", JINJA_EXPRESSION.sub("", str(name)))
    role = getattr(task, "_role", None)
    prefix = "%s : " % role.get_name() if role is not None else ""
    return prefix + " ".join(name.split()).rstrip(" :")


def _describe_change(change):
    """One line for a change: modules report a sentence, or a dict with an action and a region."""
    if not isinstance(change, dict) or "action" not in change:
        return str(change)
    details = ", ".join(
        "%s=%s" % (key, value)
        for key, value in change.items()
        if key not in ("action", "region") and not isinstance(value, (dict, list))
    )
    line = str(change["action"]).replace("_", " ")
    if change.get("region"):
        line += " in %s" % change["region"]
    return line + (" (%s)" % details if details else "")


def _describe_changes(result):
    changes = result.get("changes")
    if isinstance(changes, list) and changes:
        return [_describe_change(c) for c in changes]
    # A plan task of a role whose parent resources do not exist yet (a changed debug) lists them.
    planned = result.get("msg")
    if isinstance(planned, list) and planned:
        return [_describe_change(c) for c in planned]
    diff = result.get("diff")
    if isinstance(diff, dict) and diff.get("prepared"):
        return [line for line in str(diff["prepared"]).splitlines() if line.strip()]
    return []


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "tap.multiregion.summary"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self):
        super(CallbackModule, self).__init__()
        self._check_mode = False

    def v2_playbook_on_play_start(self, play):
        self._check_mode = bool(play.check_mode) or self._check_mode
        try:
            from ansible import context

            self._check_mode = self._check_mode or bool(context.CLIARGS.get("check"))
        except Exception:  # pragma: no cover - context is always there in a real run
            pass

    def v2_runner_on_ok(self, result):
        if not result._result.get("changed"):
            return
        host = result._host.get_name()
        RUN_CHANGES.setdefault(host, []).append(
            {"task": _task_name(result), "changes": _describe_changes(result._result)}
        )

    def v2_runner_on_failed(self, result, ignore_errors=False):
        if ignore_errors:
            return
        host = result._host.get_name()
        message = str(result._result.get("msg", "failed")).splitlines()[0][:300]
        RUN_FAILURES.setdefault(host, []).append({"task": _task_name(result), "msg": message})

    def v2_playbook_on_stats(self, stats):
        hosts = sorted(stats.processed.keys())
        if not hosts:
            return
        width = max(len(h) for h in hosts + ["region"])
        self._display.banner("TAP SUMMARY")
        self._display.display("%s  %5s %8s %7s" % ("region".ljust(width), "ok", "changed", "failed"))
        for host in hosts:
            summary = stats.summarize(host)
            self._display.display(
                "%s  %5d %8d %7d" % (host.ljust(width), summary["ok"], summary["changed"], summary["failures"])
            )
        # After a real run the per-region counts are enough (the outputs table stays in view);
        # plans and drift (check mode), or -v, list every change.
        if RUN_CHANGES and (self._check_mode or self._display.verbosity > 0):
            heading = "Planned changes / drift (check mode)" if self._check_mode else "Changes made"
            self._display.display("\n%s:" % heading)
            for host in sorted(RUN_CHANGES):
                for item in RUN_CHANGES[host]:
                    details = item["changes"] or ["(changed)"]
                    if not self._check_mode and len(details) > 1:
                        # After a real run one line per task is enough; plans and drift list every change.
                        details = ["%d changes" % len(details)]
                    for line in details:
                        self._display.display("  %s | %s | %s" % (host, item["task"], line))
        for host in sorted(RUN_FAILURES):
            for item in RUN_FAILURES[host]:
                self._display.display(
                    "FAILED %s | %s | %s" % (host, item["task"], item["msg"]), color="red", stderr=True
                )
