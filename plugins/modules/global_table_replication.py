#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: tap.multiregion contributors
# Apache License 2.0 (see LICENSE)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: global_table_replication
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
  - tap.multiregion.read_only
  - tap.multiregion.waits
short_description: Wait until a DynamoDB global table's replication from this region has caught up
version_added: 0.1.0
description:
  - Reads the C(ReplicationLatency) CloudWatch metric (namespace C(AWS/DynamoDB)) that DynamoDB publishes in the
    module's region for the replica of global table O(table_name) there, towards every other replica
    (dimension C(ReceivingRegion)), and waits until the latest datapoint of each is at most O(max_latency_ms)
    - the replication of what was written in this region has caught up.
  - A receiving region without a datapoint in the last O(window_minutes) minutes counts as caught up (DynamoDB
    publishes the metric only while items are replicated).
  - Fails when the wait ends (O(wait_timeout)) with a latency still above the bound, naming each region and its
    latency. Reads only (C(changed=false)).
options:
  table_name:
    description: Name of the global table (its replica in the module's region is the source).
    type: str
    required: true
  max_latency_ms:
    description: The highest latest C(ReplicationLatency) (milliseconds) that counts as caught up.
    type: int
    default: 2000
  window_minutes:
    description: How many minutes back the metric is read.
    type: int
    default: 5
  wait:
    description: Wait until caught up (false - read once and report).
    type: bool
    default: true
attributes:
  check_mode:
    support: full
    description: Reads the latency once and reports it, without waiting.
notes:
  - Needs C(dynamodb:DescribeTable), C(cloudwatch:ListMetrics) and C(cloudwatch:GetMetricData).
author:
  - tap.multiregion maintainers (!UNKNOWN)
"""

EXAMPLES = r"""
- name: Wait until what was written in us-east-1 has reached the other replicas
  tap.multiregion.global_table_replication:
    table_name: sessions-prod
    max_latency_ms: 2000
    wait_timeout: 900
"""

RETURN = r"""
caught_up:
  description: Whether every receiving region's latest latency is within the bound (or has no datapoint).
  returned: always
  type: bool
latency_ms:
  description: Receiving region -> latest C(ReplicationLatency) in milliseconds (null - no datapoint in the window).
  returned: always
  type: dict
  sample: {"eu-west-1": 600.0, "us-east-2": null}
replica_regions:
  description: The other replicas' regions, as DescribeTable reports them.
  returned: always
  type: list
  elements: str
reads:
  description: How many times the metric was read.
  returned: always
  type: int
"""


from ansible_collections.tap.multiregion.plugins.module_utils import cloudwatch_metrics
from ansible_collections.tap.multiregion.plugins.module_utils.base import AwsResource
from ansible_collections.tap.multiregion.plugins.module_utils.base import Failure

METRIC = "ReplicationLatency"


class GlobalTableReplication(AwsResource):
    SERVICE = "dynamodb"

    def validate(self):
        p = self.params
        if p["max_latency_ms"] < 0:
            raise self.invalid("max_latency_ms", p["max_latency_ms"], "0 or more milliseconds")
        if p["window_minutes"] < 1:
            raise self.invalid("window_minutes", p["window_minutes"], "1 or more minutes")

    def present(self):
        p = self.params
        table = self.read("describe table %s" % p["table_name"], self.client().describe_table,
                          TableName=p["table_name"], missing="ResourceNotFoundException")
        if table is None:
            raise Failure("table_name: no table %s in %s" % (p["table_name"], self.region))
        replicas = sorted(r["RegionName"] for r in table["Table"].get("Replicas") or []
                          if r["RegionName"] != self.region)
        if not replicas:
            raise Failure("table_name: %s in %s is not a global table (no other replica): nothing replicates from "
                          "here" % (p["table_name"], self.region))
        state = {"reads": 0, "latency": {}}

        def read():
            series = cloudwatch_metrics.recent(self, self.region, "AWS/DynamoDB", METRIC,
                                               ("TableName", p["table_name"]), minutes=p["window_minutes"])
            state["reads"] += 1
            found = cloudwatch_metrics.latest_by(series, "ReceivingRegion")
            state["latency"] = dict((region, found.get(region)) for region in replicas)
            return self.behind(state["latency"])

        behind = read()
        if behind and not self.check_mode and p["wait"]:
            try:
                what = "replication of %s from %s to catch up (%s)" % (p["table_name"], self.region, ", ".join(behind))
                self.wait_until(what, lambda: not read())
            except Failure as failure:
                if failure.error is not None:  # an AWS error while reading, not the timeout
                    raise
                raise Failure("replication of %s from %s has not caught up after %d s (wait_timeout): "
                              "ReplicationLatency %s above max_latency_ms %d"
                              % (p["table_name"], self.region, p["wait_timeout"],
                                 ", ".join(self.behind(state["latency"])), p["max_latency_ms"]))
        return dict(caught_up=not self.behind(state["latency"]), latency_ms=state["latency"], replica_regions=replicas,
                    reads=state["reads"])

    def behind(self, latency):
        bound = self.params["max_latency_ms"]
        return ["to %s %g ms" % (region, value) for region, value in sorted(latency.items())
                if value is not None and value > bound]


def main():
    GlobalTableReplication.main(
        dict(
            table_name=dict(type="str", required=True),
            max_latency_ms=dict(type="int", default=2000),
            window_minutes=dict(type="int", default=5),
            wait=dict(type="bool", default=True),
            wait_timeout=dict(type="int", default=3600),
        ),
    )


if __name__ == "__main__":
    main()
