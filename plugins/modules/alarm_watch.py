#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: tap.multiregion contributors
# Apache License 2.0 (see LICENSE)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: alarm_watch
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
  - tap.multiregion.read_only
short_description: Watch CloudWatch alarms for a while (a bake) and report any that goes into ALARM
version_added: 0.1.0
description:
  - Reads the CloudWatch alarms (metric and composite) whose names start with O(alarm_name_prefix), or those named
    in O(alarm_names), every O(poll_interval) seconds for O(bake_seconds) seconds, with C(DescribeAlarms).
  - Stops at the first read that finds an alarm in state C(ALARM) and reports it (C(healthy=false), C(in_alarm) with
    each alarm's state reason); otherwise reports C(healthy=true) once the time is up.
  - With O(require_alarms=true) (the default) finding no alarm at all is unhealthy too, since a bake that watches
    nothing proves nothing.
  - Does not fail when an alarm fires; the caller decides (the canary rollout halts). Reads only (C(changed=false)).
options:
  alarm_name_prefix:
    description: Watch every alarm whose name starts with this.
    type: str
  alarm_names:
    description: Watch these alarms (at most 100).
    type: list
    elements: str
  bake_seconds:
    description: How long to watch, in seconds (0 reads the alarms once).
    type: int
    required: true
  poll_interval:
    description: Seconds between two reads.
    type: float
    default: 10
  require_alarms:
    description: Whether finding no alarm to watch counts as unhealthy.
    type: bool
    default: true
attributes:
  check_mode:
    support: full
    description: Reads the alarms once and reports what it would watch, without waiting.
notes:
  - Shows a progress line on the controller every 30 seconds of a long bake.
  - Needs C(cloudwatch:DescribeAlarms).
author:
  - tap.multiregion maintainers (!UNKNOWN)
"""

EXAMPLES = r"""
- name: Watch the canary region's alarms for five minutes
  tap.multiregion.alarm_watch:
    alarm_name_prefix: tap-dev-us-east-1-
    bake_seconds: 300
  register: bake

- name: Halt when one fired
  ansible.builtin.fail:
    msg: "{{ bake.reason }}"
  when: not bake.healthy
"""

RETURN = r"""
healthy:
  description: Whether no watched alarm was in ALARM during the bake (and, with O(require_alarms), some were found).
  returned: always
  type: bool
reason:
  description: Why the bake is not healthy; empty when it is.
  returned: always
  type: str
  sample: "alarm tap-dev-us-east-1-lambda-errors is in ALARM: Threshold Crossed: 1 datapoint [12.0] was greater than 10"
in_alarm:
  description: The alarms found in state ALARM, with their state reason and the time of their last state change.
  returned: always
  type: list
  elements: dict
alarms:
  description: Every watched alarm with its state at the last read.
  returned: always
  type: list
  elements: dict
  sample: [{"name": "tap-dev-us-east-1-lambda-errors", "state": "OK"}]
watched_seconds:
  description: How long the alarms were watched (less than O(bake_seconds) when one fired).
  returned: always
  type: float
reads:
  description: How many times the alarms were read.
  returned: always
  type: int
"""

import time


from ansible_collections.tap.multiregion.plugins.module_utils.base import PROGRESS_EVERY
from ansible_collections.tap.multiregion.plugins.module_utils.base import AwsResource


def alarm_rows(response):
    """{name, state, reason, since} of every metric and composite alarm of a DescribeAlarms result."""
    alarms = list(response.get("MetricAlarms", [])) + list(response.get("CompositeAlarms", []))
    return sorted(
        (
            {
                "name": a["AlarmName"],
                "state": a.get("StateValue"),
                "reason": a.get("StateReason", ""),
                "since": str(a.get("StateUpdatedTimestamp", "")),
            }
            for a in alarms
        ),
        key=lambda row: row["name"],
    )


def verdict(rows, require_alarms, watched):
    """(healthy, reason) of the alarms read."""
    firing = [row for row in rows if row["state"] == "ALARM"]
    if firing:
        return False, "; ".join("alarm %s is in ALARM: %s" % (row["name"], row["reason"]) for row in firing)
    if require_alarms and not rows:
        return False, "no alarm matches %s: a bake that watches nothing proves nothing" % watched
    return True, ""


class AlarmWatch(AwsResource):
    SERVICE = "cloudwatch"

    def validate(self):
        p = self.params
        if p["bake_seconds"] < 0:
            raise self.invalid("bake_seconds", p["bake_seconds"], "0 or more seconds")
        if p["poll_interval"] <= 0:
            raise self.invalid("poll_interval", p["poll_interval"], "more than 0 seconds")
        if p["alarm_names"] is not None and len(p["alarm_names"]) > 100:
            raise self.invalid("alarm_names", len(p["alarm_names"]), "at most 100 names (DescribeAlarms)")

    def watched(self):
        p = self.params
        if p["alarm_names"] is not None:
            return "the names %s" % ", ".join(p["alarm_names"])
        return "the prefix %s" % p["alarm_name_prefix"]

    def read_alarms(self):
        p = self.params
        if p["alarm_names"] is not None:
            selection = {"AlarmNames": p["alarm_names"]}
        else:
            selection = {"AlarmNamePrefix": p["alarm_name_prefix"]}
        response = self.paginate(
            "read the alarms matching %s" % self.watched(),
            self.client(),
            "describe_alarms",
            AlarmTypes=["CompositeAlarm", "MetricAlarm"],
            **selection,
        )
        return alarm_rows(response)

    def present(self):
        p = self.params
        started = time.time()
        deadline = started + (0 if self.check_mode else p["bake_seconds"])
        last_progress = started
        reads = 0
        while True:
            rows = self.read_alarms()
            reads += 1
            healthy, reason = verdict(rows, p["require_alarms"], self.watched())
            now = time.time()
            if not healthy or now >= deadline:
                break
            if now - last_progress >= PROGRESS_EVERY:
                self.progress(
                    "baking: %d alarm(s) not in ALARM for %d of %d s" % (len(rows), now - started, p["bake_seconds"])
                )
                last_progress = now
            time.sleep(min(p["poll_interval"], max(deadline - now, 0.01)))
        return {
            "healthy": healthy,
            "reason": reason,
            "in_alarm": [row for row in rows if row["state"] == "ALARM"],
            "alarms": [{"name": row["name"], "state": row["state"]} for row in rows],
            "watched_seconds": round(time.time() - started, 1),
            "reads": reads,
        }


def main():
    AlarmWatch.main(
        dict(
            alarm_name_prefix=dict(type="str"),
            alarm_names=dict(type="list", elements="str"),
            bake_seconds=dict(type="int", required=True),
            poll_interval=dict(type="float", default=10),
            require_alarms=dict(type="bool", default=True),
        ),
        mutually_exclusive=[("alarm_name_prefix", "alarm_names")],
        required_one_of=[("alarm_name_prefix", "alarm_names")],
    )


if __name__ == "__main__":
    main()
