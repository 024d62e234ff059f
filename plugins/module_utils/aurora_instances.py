# -*- coding: utf-8 -*-
# Copyright: tap.multiregion contributors
# Apache License 2.0 (see LICENSE)
"""A DB cluster and its instances as aurora_cluster handles them: reads, waits for available, instances.

ClusterInstances sits between RdsResource and the aurora_cluster module: it reads the cluster and its
instances at the same time, waits for them to be ``available`` before they are compared or deleted (AWS
changes nothing else), changes a resource that was not waited for (wait: false) only with a warning
instead, and creates each new instance in the DB subnet group's zone its cluster uses least.
The subclass sets identifier, label and rds (its RDS client).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.amazon.aws.plugins.module_utils.tagging import ansible_dict_to_boto3_tag_list
from ansible_collections.amazon.aws.plugins.module_utils.tagging import boto3_tag_list_to_ansible_dict

from ansible_collections.tap.multiregion.plugins.module_utils import aurora as plan
from ansible_collections.tap.multiregion.plugins.module_utils.base import IAM_ROLE_PROPAGATION
from ansible_collections.tap.multiregion.plugins.module_utils.rds import AnyOf
from ansible_collections.tap.multiregion.plugins.module_utils.rds import RdsResource
from ansible_collections.tap.multiregion.plugins.module_utils.rds import cluster_busy


class ClusterInstances(RdsResource):
    identifier = None
    label = None
    rds = None

    def describe_instances(self):
        found = self.paginate("describe the instances of %s" % self.label, self.rds, "describe_db_instances",
                              Filters=[{"Name": "db-cluster-id", "Values": [self.identifier]}])
        return dict((i["DBInstanceIdentifier"], i) for i in found.get("DBInstances", [])
                    if i.get("DBClusterIdentifier") == self.identifier)

    def subnet_zones(self):
        name = self.params["db_subnet_group_name"]
        found = self.read("describe DB subnet group %s" % name, self.rds.describe_db_subnet_groups,
                          DBSubnetGroupName=name, missing="DBSubnetGroupNotFoundFault")
        groups = (found or {}).get("DBSubnetGroups") or [{}]
        return [s["SubnetAvailabilityZone"]["Name"] for s in groups[0].get("Subnets", [])]

    def describe_all(self):
        cluster, instances = self.concurrently(lambda: self.db_cluster(self.identifier), self.describe_instances)
        return cluster, instances

    def settle(self, cluster, instances):
        """(cluster, instances, ready): described again once all are available; ready False when not waited."""
        live = live_instances(instances)
        for label, resource in [(self.label, cluster)] + [("DB instance %s" % k, v) for k, v in sorted(live.items())]:
            self.check_not_stuck(label, resource)
        if all(plan.status_of(resource) == "available" for resource in [cluster] + list(live.values())):
            return cluster, instances, True
        if self.check_mode or not self.params["wait"]:
            return cluster, instances, False
        cluster, instances = self.wait_for_all(live, " before it is compared")
        return cluster, instances, True

    def wait_for_all(self, expected, purpose=""):
        """Wait (wait: true) until the cluster and the expected instances are available; (cluster, instances).

        Without waiting (check mode: nothing to describe; wait: false) the cluster and instances as they are.
        """
        def available():
            cluster, current = self.describe_all()
            if cluster is None or not set(expected) <= set(current):
                return None
            live = live_instances(current)
            for identifier, instance in live.items():
                self.check_not_stuck("DB instance %s" % identifier, instance)
            if all(plan.status_of(r) == "available" for r in [cluster] + list(live.values())):
                return cluster, current
            return None

        done = self.wait_until("%s and its instances to be available%s" % (self.label, purpose), available)
        if done:
            return done
        return (None, {}) if self.check_mode else self.describe_all()

    def change(self, ready, resource, sentence, call, **kwargs):
        """write() unless the resource is not available and was not waited for (wait: false): then a warning."""
        if ready or self.check_mode or plan.status_of(resource) == "available":
            return self.write(sentence, call, propagation=IAM_ROLE_PROPAGATION, **kwargs)
        self.warn("%s is %s; AWS changes it only once available, so this is left to a run with wait: true"
                  % (sentence, plan.status_of(resource)))
        return None

    def sync_rds_tags(self, label, resource):
        arn = resource.get("DBClusterArn") or resource.get("DBInstanceArn")
        return self.sync_tags(
            label, boto3_tag_list_to_ansible_dict(resource.get("TagList") or []), self.params["tags"],
            tag=lambda to_set: self.rds.add_tags_to_resource(aws_retry=True, ResourceName=arn,
                                                             Tags=ansible_dict_to_boto3_tag_list(to_set)),
            untag=lambda keys: self.rds.remove_tags_from_resource(aws_retry=True, ResourceName=arn, TagKeys=keys),
        )

    # ------------------------------------------------------------------ instances

    def ensure_instances(self, instances, ready):
        p = self.params
        before = dict((k, plan.instance_view(v)) for k, v in sorted(instances.items()))
        after = {}
        surplus = plan.surplus_instances(self.identifier, p["instance_count"], instances) \
            if p["purge_instances"] else []
        kept = {}
        for identifier, instance in sorted(instances.items()):
            label = "DB instance %s" % identifier
            if plan.status_of(instance) == "deleting":
                if identifier not in surplus:
                    self.warn("%s is being deleted; a run after it is gone creates it again" % label)
                continue
            if identifier in surplus:
                self.write("delete %s (beyond instance_count %d)" % (label, p["instance_count"]),
                           self.rds.delete_db_instance, DBInstanceIdentifier=identifier, ignore="DBInstanceNotFound")
                continue
            changes, warnings = plan.instance_modifications(instance, p)
            for warning in warnings:
                self.warn(warning)
            view = plan.updated_instance_view(before[identifier], changes)
            if changes:
                self.change(ready, instance, plan.change_sentence(label, plan.changed_attributes(before[identifier],
                                                                                                 view)),
                            self.rds.modify_db_instance, DBInstanceIdentifier=identifier,
                            ApplyImmediately=p["apply_immediately"], **changes)
            view["tags"] = self.sync_rds_tags(label, instance)
            after[identifier] = view
            kept[identifier] = instance
        missing = [i for i in plan.instance_identifiers(self.identifier, p["instance_count"]) if i not in instances]
        created, created_views = self.create_instances(kept, missing)
        after.update(created_views)
        return before, after, dict(kept, **created)

    def create_instances(self, kept, identifiers):
        """Create the instances, each in the subnet group's zone the cluster uses least; ({id: described}, views)."""
        p = self.params
        zones = [i.get("AvailabilityZone") for i in kept.values()]
        # The subnet group is read only to place new instances or to word a one-zone warning.
        subnet_zones = self.subnet_zones() if identifiers or (len(zones) > 1 and len(set(zones)) == 1) else []
        placement = plan.place_instances(identifiers, zones, subnet_zones)
        warning = plan.one_zone_warning(self.identifier, zones + list(placement.values()),
                                        p["db_subnet_group_name"], subnet_zones)
        if warning:
            self.warn(warning)
        created, views = {}, {}
        for identifier in identifiers:
            request = dict(DBInstanceIdentifier=identifier, DBClusterIdentifier=self.identifier, Engine=p["engine"],
                           DBInstanceClass=p["instance_class"], PubliclyAccessible=False,
                           MonitoringInterval=p["monitoring_interval"],
                           Tags=ansible_dict_to_boto3_tag_list(p["tags"] or {}))
            if placement[identifier]:
                request["AvailabilityZone"] = placement[identifier]
            if p["monitoring_interval"]:
                request["MonitoringRoleArn"] = p["monitoring_role_arn"]
            if p["performance_insights"]:
                request.update(EnablePerformanceInsights=True, PerformanceInsightsKMSKeyId=p["kms_key_id"],
                               PerformanceInsightsRetentionPeriod=p["performance_insights_retention_period"])
            where = " in %s" % placement[identifier] if placement[identifier] else ""
            answer = self.write("create DB instance %s (%s%s)" % (identifier, p["instance_class"], where),
                                self.rds.create_db_instance, propagation=AnyOf(
                                    IAM_ROLE_PROPAGATION, cluster_busy(p["wait_timeout"])), **request)
            created[identifier] = (answer or {}).get("DBInstance") or {"DBInstanceIdentifier": identifier}
            views[identifier] = plan.desired_instance_view(identifier, p)
        return created, views

    def settle_for_deletion(self, cluster, instances):
        """Wait (even with wait: false) until what is deleted is available: AWS deletes nothing in transition."""
        if self.check_mode:
            return
        live = live_instances(instances)
        if any(plan.status_of(r) != "available" for r in [cluster] + list(live.values())):
            self.check_not_stuck(self.label, cluster)
            self.wait_until("%s and its instances to be available before they are deleted" % self.label,
                            lambda: self.settled(live), needed=True)

    def settled(self, live):
        cluster, instances = self.describe_all()
        return cluster is not None and plan.status_of(cluster) == "available" and all(
            plan.status_of(instances.get(k)) in (None, "available", "deleting") for k in live)


def live_instances(instances):
    """The instances that are not being deleted."""
    return dict((k, v) for k, v in instances.items() if plan.status_of(v) != "deleting")
