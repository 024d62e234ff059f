# -*- coding: utf-8 -*-
# Copyright: tap.multiregion contributors
# Apache License 2.0 (see LICENSE)
"""What the aurora_cluster and aurora_global_cluster modules share: RDS reads and AWS's RDS timing rules.

AWS refuses to modify a DB cluster or instance that is not ``available`` (InvalidDBClusterStateFault,
InvalidDBInstanceState), takes minutes to create, modify, detach and delete them, and answers
InvalidDBClusterStateFault to a CreateDBInstance while its cluster is busy. The modules describe,
wait for ``available`` through the base's wait_until (progress lines, wait_timeout), then change.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import time

from ansible_collections.amazon.aws.plugins.module_utils.arn import parse_aws_arn

from ansible_collections.tap.multiregion.plugins.module_utils.aurora import STUCK_STATES
from ansible_collections.tap.multiregion.plugins.module_utils.aurora import global_members
from ansible_collections.tap.multiregion.plugins.module_utils.aurora import status_of
from ansible_collections.tap.multiregion.plugins.module_utils.base import AwsResource
from ansible_collections.tap.multiregion.plugins.module_utils.base import Failure
from ansible_collections.tap.multiregion.plugins.module_utils.base import Propagation
from ansible_collections.tap.multiregion.plugins.module_utils.base import DEFAULT_POLL_SECONDS


class AnyOf(Propagation):
    """Several propagation rules for one write: retried while a rule matches, each for its own time.

    Made for one write, right before it: a rule's time counts from then.
    """

    def __init__(self, *rules):
        super(AnyOf, self).__init__((), seconds=max(r.seconds for r in rules), delay=min(r.delay for r in rules))
        self.rules = rules
        self.started = time.time()

    def matches(self, error):
        elapsed = time.time() - self.started
        return any(rule.matches(error) and elapsed < rule.seconds for rule in self.rules)


def cluster_busy(seconds):
    """CreateDBInstance refused while its cluster is being created or changed: retried for seconds."""
    # A delay on AWS's clock, like every Propagation's: write() shrinks it with TAP_WAIT_POLL_SECONDS.
    return Propagation(["InvalidDBClusterStateFault"], seconds=seconds, delay=DEFAULT_POLL_SECONDS)


class RdsResource(AwsResource):
    """AwsResource for RDS: DB cluster and global cluster reads, waits for their status."""

    SERVICE = "rds"

    def db_cluster(self, identifier, region=None):
        """The described DB cluster (name or ARN; an ARN's region is used), or None."""
        if identifier.startswith("arn:"):
            region = parse_aws_arn(identifier)["region"]
        rds = self.client(region=region)
        found = self.read("describe DB cluster %s" % identifier, rds.describe_db_clusters,
                          DBClusterIdentifier=identifier, missing="DBClusterNotFoundFault")
        clusters = (found or {}).get("DBClusters") or []
        return clusters[0] if clusters else None

    def global_cluster(self, identifier):
        """The described global cluster, or None."""
        found = self.read("describe global cluster %s" % identifier, self.client().describe_global_clusters,
                          GlobalClusterIdentifier=identifier, missing="GlobalClusterNotFoundFault")
        for global_cluster in (found or {}).get("GlobalClusters") or []:
            if global_cluster["GlobalClusterIdentifier"] == identifier:
                return global_cluster
        return None

    def check_not_stuck(self, label, resource):
        """Fail at once for a status that waiting does not end (stopped, failed, ...)."""
        status = status_of(resource)
        if status in STUCK_STATES:
            raise Failure("%s is %s; it must be available to be changed (AWS waits for nobody here)" % (label, status))

    def wait_for_cluster(self, identifier, needed=False, region=None):
        """Wait until the DB cluster is available; returns it (None when not waited for)."""
        def available():
            cluster = self.db_cluster(identifier, region=region)
            if cluster is None:
                raise Failure("DB cluster %s disappeared while waiting for it to be available" % identifier)
            self.check_not_stuck("DB cluster %s" % identifier, cluster)
            return cluster if status_of(cluster) == "available" else None

        return self.wait_until("DB cluster %s to be available" % identifier, available, needed=needed)

    def wait_for_global_cluster(self, identifier, needed=False):
        """Wait until the global cluster is available; returns it (None when not waited for)."""
        def available():
            current = self.global_cluster(identifier)
            if current is None:
                raise Failure("global cluster %s disappeared while waiting for it to be available" % identifier)
            return current if current.get("Status") == "available" else None

        return self.wait_until("global cluster %s to be available" % identifier, available, needed=needed)

    def detach(self, global_id, member):
        """RemoveFromGlobalCluster of one member (a global_members() entry), asked in the member's region."""
        rds = self.client(region=member["region"])
        self.write("global cluster %s: detach DB cluster %s (%s)" % (global_id, member["db_cluster_identifier"],
                                                                     member["region"]),
                   rds.remove_from_global_cluster, GlobalClusterIdentifier=global_id,
                   DbClusterIdentifier=member["db_cluster_arn"], ignore="DBClusterNotFoundFault")

    def wait_detached(self, global_id, members, then=None):
        """Wait (even with wait: false) until the members are gone from the global cluster (and then() is true)."""
        arns = set(m["db_cluster_arn"] for m in members)

        def detached():
            current = self.global_cluster(global_id)
            if current is not None and arns & set(m["db_cluster_arn"] for m in global_members(current)):
                return False
            return then() if then else True

        names = ", ".join(m["db_cluster_identifier"] for m in members)
        return self.wait_until("%s to leave global cluster %s" % (names, global_id), detached, needed=True)
