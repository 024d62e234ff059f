#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: tap.multiregion contributors
# Apache License 2.0 (see LICENSE)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: aurora_global_operation
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
short_description: Switch over or fail over an Aurora global database to another region, after AWS's own checks
version_added: 0.1.0
description:
  - Moves the writer of the Aurora global database O(global_cluster_identifier) to its member cluster in
    O(target_region), then waits (progress lines) until that cluster writes and reports the operation's
    time (RV(seconds)).
  - O(operation=switchover) calls C(SwitchoverGlobalCluster) (no data loss, AWS first synchronizes the
    secondaries). Checked first, before any write - what AWS refuses, named with its error code, and ours -
    every member must be C(available) (C(InvalidDBClusterStateFault)), run the writer's engine version
    (C(InvalidGlobalClusterStateFault)), be in sync (C(SynchronizationStatus) C(connected); with
    O(wait_for_resync=true) the module waits for that instead) and have an C(AuroraGlobalDBReplicationLag)
    at most O(max_replication_lag_ms).
  - O(operation=failover) calls C(FailoverGlobalCluster) with C(AllowDataLoss) - for the loss of the writer's
    region. Only the target's region is asked anything (the old writer's region may be gone); the target must
    be C(available). The target's last C(AuroraGlobalDBReplicationLag) before the call is the data-loss window
    (RV(data_loss_window_ms)). AWS adds the old writer back as a secondary once its region is reachable again
    (C(SynchronizationStatus) C(pending-resync), then C(connected)); a switchover back is the failback.
  - Refused for every operation, before any write - an unknown global cluster (C(GlobalClusterNotFoundFault)),
    a O(target_region) without a member (C(DBClusterNotFoundFault)), a target that is already the writer
    (C(InvalidDBClusterStateFault)), a switchover or failover already in progress
    (C(InvalidGlobalClusterStateFault)).
  - With O(only_if_writer_in) nothing happens unless the writer is in that region (region evacuation moves
    the writer away only when it is there; the restore moves it back only from where the evacuation put it).
  - In check mode every check runs (reads only) and the operation is planned, not made.
options:
  global_cluster_identifier:
    description: Name of the global cluster.
    type: str
    required: true
  operation:
    description: C(switchover) (planned, no data loss) or C(failover) (the writer's region is lost; data loss allowed).
    type: str
    choices: [switchover, failover]
    required: true
  target_region:
    description: Region of the member cluster that becomes the writer. The module's calls go to this region.
    type: str
    required: true
  only_if_writer_in:
    description: Do nothing (RV(moved=false)) unless the writer is in this region now.
    type: str
  max_replication_lag_ms:
    description:
      - Switchover only. The highest C(AuroraGlobalDBReplicationLag) (latest datapoint, milliseconds) a
        secondary may have; above it the switchover is refused (AWS would hold the writes for that long while
        it synchronizes).
    type: int
    default: 5000
  lag_window_minutes:
    description: How many minutes back the replication lag is read (the latest datapoint of that window counts).
    type: int
    default: 5
  wait_for_resync:
    description:
      - Switchover only. Wait until every member is C(connected) (e.g. the old writer after a failover, while it
        resynchronizes - a full copy, hours for large databases) instead of refusing.
    type: bool
    default: false
  wait_timeout:
    description: Seconds to wait, for each wait of the run (the resynchronization, the operation, the target cluster).
    type: int
    default: 3600
attributes:
  check_mode:
    support: full
    description: Runs every check (reads only) and plans the operation.
  diff_mode:
    support: full
    description: The writer region before and after.
notes:
  - The wait ends when AWS reports no C(FailoverState) and the target as the writer, then the target cluster is
    waited for to be C(available). Progress lines name each phase (C(pending), C(switching-over), C(failing-over)).
  - Waits poll AWS every 10 seconds (the controller's environment variable C(TAP_WAIT_POLL_SECONDS) sets another
    interval) and show a progress line for each new phase and every 30 seconds.
  - Needs C(rds:DescribeGlobalClusters), C(rds:DescribeDBClusters), C(rds:SwitchoverGlobalCluster) or
    C(rds:FailoverGlobalCluster), C(cloudwatch:ListMetrics) and C(cloudwatch:GetMetricData).
author:
  - tap.multiregion maintainers (!UNKNOWN)
"""

EXAMPLES = r"""
- name: Switch the writer over to eu-west-1
  tap.multiregion.aurora_global_operation:
    global_cluster_identifier: aurora-global-prod
    operation: switchover
    target_region: eu-west-1

- name: The writer's region is lost - fail over to us-east-2
  tap.multiregion.aurora_global_operation:
    global_cluster_identifier: aurora-global-prod
    operation: failover
    target_region: us-east-2
  register: failover

- name: Show the data-loss window
  ansible.builtin.debug:
    msg: "replication lag just before: {{ failover.data_loss_window_ms }} ms"
"""

RETURN = r"""
changes:
  description: The operation made (in check mode, planned), as one sentence; empty when nothing moved.
  returned: always
  type: list
  elements: str
  sample:
    - >-
      global cluster aurora-global-prod: switch the writer over from us-east-1 (aurora-prod-us-east-1)
      to eu-west-1 (aurora-prod-eu-west-1)
moved:
  description: Whether the writer was (in check mode, would be) moved.
  returned: always
  type: bool
reason:
  description: Why nothing moved (O(only_if_writer_in)); empty otherwise.
  returned: always
  type: str
from_region:
  description: Region of the writer before the operation.
  returned: always
  type: str
to_region:
  description: O(target_region).
  returned: always
  type: str
global_writer_region:
  description: Region of the writer after the operation (before it, in check mode).
  returned: always
  type: str
members:
  description: The members after the operation, writer first, with their synchronization status.
  returned: always
  type: list
  elements: dict
replication_lag_ms:
  description:
    - Latest C(AuroraGlobalDBReplicationLag) of each secondary region, read before the operation (null without a
      datapoint).
  returned: always
  type: dict
  sample: {"eu-west-1": 120.0}
data_loss_window_ms:
  description: Failover only - the target's replication lag just before the failover (null without a datapoint).
  returned: always
  type: float
checks:
  description: The checks that passed, one sentence each.
  returned: always
  type: list
  elements: str
phases:
  description: The C(FailoverState) statuses seen while waiting, in order.
  returned: always
  type: list
  elements: str
seconds:
  description: Seconds from the call until the target was verified as the writer (0 when nothing was done).
  returned: always
  type: float
"""

import time


from ansible_collections.tap.multiregion.plugins.module_utils import cloudwatch_metrics
from ansible_collections.tap.multiregion.plugins.module_utils.aurora import global_members
from ansible_collections.tap.multiregion.plugins.module_utils.aurora import status_of
from ansible_collections.tap.multiregion.plugins.module_utils.aurora import writer_of
from ansible_collections.tap.multiregion.plugins.module_utils.base import Failure
from ansible_collections.tap.multiregion.plugins.module_utils.rds import RdsResource

LAG_METRIC = "AuroraGlobalDBReplicationLag"
CONNECTED = "connected"


def member_line(member):
    return "%s (%s)" % (member["region"], member["db_cluster_identifier"])


def sync_status(global_cluster):
    """{cluster ARN: SynchronizationStatus} of the members that report one."""
    return dict((m["DBClusterArn"], m["SynchronizationStatus"])
                for m in (global_cluster or {}).get("GlobalClusterMembers") or [] if m.get("SynchronizationStatus"))


class AuroraGlobalOperation(RdsResource):
    def __init__(self, module):
        super(AuroraGlobalOperation, self).__init__(module)
        p = self.params
        self.identifier = p["global_cluster_identifier"]
        self.label = "global cluster %s" % self.identifier
        self.target_region = p["target_region"]
        self.failover = p["operation"] == "failover"
        self.checks = []
        self.phases = []

    def validate(self):
        p = self.params
        if p["only_if_writer_in"] and p["only_if_writer_in"] == p["target_region"]:
            raise self.invalid("only_if_writer_in", p["only_if_writer_in"], "another region than target_region "
                               "(the writer moves away from it)")
        if p["max_replication_lag_ms"] < 0:
            raise self.invalid("max_replication_lag_ms", p["max_replication_lag_ms"], "0 or more milliseconds")
        if p["lag_window_minutes"] < 1:
            raise self.invalid("lag_window_minutes", p["lag_window_minutes"], "1 or more minutes")

    # ------------------------------------------------------------------ reads

    def describe(self):
        # Asked in the target's region: after a failover the old writer's region may be unreachable.
        return self.global_cluster_in(self.target_region)

    def global_cluster_in(self, region):
        found = self.read("describe global cluster %s" % self.identifier,
                          self.client(region=region).describe_global_clusters,
                          GlobalClusterIdentifier=self.identifier, missing="GlobalClusterNotFoundFault")
        for global_cluster in (found or {}).get("GlobalClusters") or []:
            if global_cluster["GlobalClusterIdentifier"] == self.identifier:
                return global_cluster
        return None

    def lag_of(self, member):
        series = cloudwatch_metrics.recent(self, member["region"], "AWS/RDS", LAG_METRIC,
                                           ("DBClusterIdentifier", member["db_cluster_identifier"]),
                                           minutes=self.params["lag_window_minutes"])
        values = [s["latest"] for s in series if s["latest"] is not None]
        return max(values) if values else None

    # ------------------------------------------------------------------ the operation

    def present(self):
        p = self.params
        current = self.describe()
        if current is None:
            raise Failure("%s does not exist (AWS refuses: GlobalClusterNotFoundFault); only an environment with an "
                          "Aurora global database can be switched or failed over" % self.label)
        members = global_members(current)
        writer = writer_of(current)
        target = next((m for m in members if m["region"] == self.target_region), None)
        facts = dict(moved=False, reason="", from_region=writer and writer["region"], to_region=self.target_region,
                     global_writer_region=writer and writer["region"], members=self.member_facts(current),
                     replication_lag_ms={}, data_loss_window_ms=None, checks=self.checks, phases=self.phases,
                     seconds=0.0)
        if target is None:
            raise Failure("target_region: %s has no member of %s (members: %s); AWS refuses it: DBClusterNotFoundFault"
                          % (self.target_region, self.label, ", ".join(member_line(m) for m in members) or "none"))
        if writer is None:
            raise Failure("%s has no writer member (members: %s); AWS refuses to %s it (InvalidGlobalClusterStateFault)"
                          % (self.label, ", ".join(member_line(m) for m in members) or "none", p["operation"]))
        where = p["only_if_writer_in"]
        if where and writer["region"] != where:
            facts["reason"] = "the writer of %s is in %s, not in %s: nothing to move" % (
                self.label, writer["region"], where)
            self.set_diff({"writer_region": facts["from_region"]}, {"writer_region": facts["from_region"]})
            return facts
        if target["is_writer"]:
            raise Failure("target_region: %s is already the writer of %s; AWS refuses a %s to the writer "
                          "(InvalidDBClusterStateFault)" % (member_line(target), self.label, p["operation"]))
        state = current.get("FailoverState")
        if state:
            raise Failure("%s: a %s is in progress (FailoverState %s, to %s); AWS refuses another until it ends "
                          "(InvalidGlobalClusterStateFault)" % (
                              self.label, "failover" if state.get("IsDataLossAllowed") else "switchover",
                              state.get("Status"), state.get("ToDbClusterArn")))
        if self.failover:
            self.check_failover(target, facts)
        else:
            current = self.check_switchover(current, members, writer, facts)
        sentence = ("%s: fail over the writer from %s to %s, allowing data loss (replication lag before: %s)"
                    % (self.label, member_line(writer), member_line(target),
                       "%g ms" % facts["data_loss_window_ms"] if facts["data_loss_window_ms"] is not None
                       else "unknown")) if self.failover else (
            "%s: switch the writer over from %s to %s" % (self.label, member_line(writer), member_line(target)))
        rds = self.client(region=self.target_region)
        started = time.time()
        if self.failover:
            answer = self.write(sentence, rds.failover_global_cluster, GlobalClusterIdentifier=self.identifier,
                                TargetDbClusterIdentifier=target["db_cluster_arn"], AllowDataLoss=True)
        else:
            answer = self.write(sentence, rds.switchover_global_cluster, GlobalClusterIdentifier=self.identifier,
                                TargetDbClusterIdentifier=target["db_cluster_arn"])
        facts["moved"] = True
        self.set_diff({"writer_region": facts["from_region"]}, {"writer_region": self.target_region})
        if self.check_mode:
            return facts
        after = self.wait_for_writer(target, (answer or {}).get("GlobalCluster") or {})
        self.wait_for_cluster(target["db_cluster_arn"], needed=True, region=self.target_region)
        facts.update(global_writer_region=self.target_region, members=self.member_facts(after),
                     seconds=round(time.time() - started, 1))
        return facts

    def member_facts(self, global_cluster):
        sync = sync_status(global_cluster)
        return [dict(m, synchronization_status=sync.get(m["db_cluster_arn"])) for m in global_members(global_cluster)]

    def check_failover(self, target, facts):
        cluster = self.db_cluster(target["db_cluster_arn"])
        status = status_of(cluster)
        if status != "available":
            raise Failure("%s is %s; AWS fails over only to an available cluster (InvalidDBClusterStateFault)"
                          % (member_line(target), status))
        self.checks.append("target %s is available" % member_line(target))
        lag = self.lag_of(target)
        facts["replication_lag_ms"] = {target["region"]: lag}
        facts["data_loss_window_ms"] = lag
        self.checks.append("replication lag of %s just before the failover (the data-loss window): %s" % (
            target["region"], "%g ms" % lag if lag is not None else "no datapoint in the last %d minutes"
            % self.params["lag_window_minutes"]))

    def check_switchover(self, current, members, writer, facts):
        p = self.params
        current = self.resynchronized(current, members)
        described = self.concurrently(*[(lambda m=m: (m, self.db_cluster(m["db_cluster_arn"]))) for m in members])
        for member, cluster in described:
            status = status_of(cluster)
            if status != "available":
                raise Failure("%s is %s; AWS switches over only when every member is available "
                              "(InvalidDBClusterStateFault)" % (member_line(member), status))
        self.checks.append("every member is available")
        versions = dict((m["region"], (c or {}).get("EngineVersion")) for m, c in described)
        if len(set(versions.values())) > 1:
            raise Failure("%s: the members run different engine versions (%s); AWS switches over only between "
                          "clusters of the same version (InvalidGlobalClusterStateFault)" % (
                              self.label, ", ".join("%s %s" % item for item in sorted(versions.items()))))
        self.checks.append("every member runs %s" % versions[writer["region"]])
        secondaries = [m for m in members if not m["is_writer"]]
        lags = dict(self.concurrently(*[(lambda m=m: (m["region"], self.lag_of(m))) for m in secondaries]))
        facts["replication_lag_ms"] = lags
        bound = p["max_replication_lag_ms"]
        above = ["%s %g ms" % (region, lag) for region, lag in sorted(lags.items()) if lag is not None and lag > bound]
        if above:
            raise Failure("%s: replication lag above max_replication_lag_ms (%d ms): %s; a switchover would hold the "
                          "writes while the secondaries catch up - try again when the lag is down"
                          % (self.label, bound, ", ".join(above)))
        unknown = sorted(region for region, lag in lags.items() if lag is None)
        if unknown:
            self.warn("%s: no AuroraGlobalDBReplicationLag datapoint in the last %d minutes for %s; the lag bound was "
                      "not checked there" % (self.label, p["lag_window_minutes"], ", ".join(unknown)))
        self.checks.append("replication lag at most %d ms (%s)" % (bound, ", ".join(
            "%s %s" % (region, "%g ms" % lag if lag is not None else "no datapoint")
            for region, lag in sorted(lags.items()))))
        return current

    def resynchronized(self, current, members):
        """The global cluster once every member is connected (waited for with wait_for_resync, else refused)."""
        names = dict((m["db_cluster_arn"], member_line(m)) for m in members)

        def behind(global_cluster):
            return sorted("%s %s" % (names.get(arn, arn), status) for arn, status in sync_status(global_cluster).items()
                          if status != CONNECTED)

        lagging = behind(current)
        if not lagging:
            self.checks.append("every member is in sync")
            return current
        if not self.params["wait_for_resync"]:
            raise Failure("%s: not every member is in sync (%s); a switchover needs every secondary connected. After "
                          "a failover the old writer resynchronizes when its region is back (a full copy): wait, or "
                          "set wait_for_resync=true" % (self.label, ", ".join(lagging)))
        if self.check_mode:
            self.checks.append("would wait until %s are in sync" % ", ".join(lagging))
            return current

        def connected():
            described = self.describe()
            return described if described is not None and not behind(described) else None

        current = self.wait_until("%s to be in sync (%s)" % (", ".join(lagging), self.label), connected, needed=True)
        self.checks.append("every member is in sync (waited for %s)" % ", ".join(lagging))
        return current

    def wait_for_writer(self, target, answer):
        """Wait until AWS reports no operation in progress and the target as the writer; the global cluster."""
        what = "%s of %s to %s" % (self.params["operation"], self.label, self.target_region)
        seen = {"state": (answer.get("FailoverState") or {}).get("Status")}
        if seen["state"]:
            self.phases.append(seen["state"])

        def done():
            current = self.describe()
            if current is None:
                raise Failure("%s disappeared during the %s" % (self.label, self.params["operation"]))
            phase = (current.get("FailoverState") or {}).get("Status")
            if phase and phase != (self.phases[-1] if self.phases else None):
                self.phases.append(phase)
                self.progress("%s: %s" % (what, phase))
            writer = writer_of(current)
            if phase is None and writer and writer["region"] == self.target_region:
                return current
            if phase is None and self.phases and writer is not None:
                raise Failure("%s ended (%s) without making %s the writer: the writer is %s" % (
                    what, " -> ".join(self.phases), member_line(target), member_line(writer)))
            return None

        return self.wait_until(what, done, needed=True)


def main():
    AuroraGlobalOperation.main(
        dict(
            global_cluster_identifier=dict(type="str", required=True),
            operation=dict(type="str", required=True, choices=["switchover", "failover"]),
            target_region=dict(type="str", required=True),
            only_if_writer_in=dict(type="str"),
            max_replication_lag_ms=dict(type="int", default=5000),
            lag_window_minutes=dict(type="int", default=5),
            wait_for_resync=dict(type="bool", default=False),
            wait_timeout=dict(type="int", default=3600),
        ),
    )


if __name__ == "__main__":
    main()
