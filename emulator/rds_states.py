"""Transitional states of Aurora clusters and instances under the aws profile.

Gap: moto 5.2.5 creates, modifies and deletes DB clusters and instances at once (a cluster reports
``creating`` exactly once, then ``available``; a deleted instance or cluster is gone from the next
describe). AWS takes minutes, and code that does not wait for ``available`` fails there. Under the
aws profile (``profile.current().aws``) every transition below takes ``profile.duration(name)`` AWS
seconds, computed lazily from the AWS time recorded on the moto object (``emulator.rds_timeline``):

* CreateDBCluster: ``creating`` -> ``available`` (``rds.cluster.create``); a secondary cluster created
  into a global database (``GlobalClusterIdentifier``) takes ``rds.global.join`` instead.
* CreateDBInstance: ``creating`` -> ``configuring-enhanced-monitoring`` (only with MonitoringInterval > 0,
  the last ``rds.instance.monitoring`` seconds) -> ``available``, ``rds.instance.create`` in all.
* ModifyDBCluster: ``modifying`` -> ``available`` (``rds.cluster.modify``) when the request changes
  something AWS applies with a state change: EngineVersion, Port, VpcSecurityGroupIds, BacktrackWindow,
  EnableIAMDatabaseAuthentication, CloudwatchLogsExportConfiguration, MasterUserPassword,
  ManageMasterUserPassword, RotateMasterUserPassword, NewDBClusterIdentifier, DBClusterInstanceClass,
  StorageType, Iops, AllocatedStorage, ServerlessV2ScalingConfiguration, NetworkType. Changes AWS applies
  as metadata keep ``available``: DeletionProtection, BackupRetentionPeriod, PreferredBackupWindow,
  PreferredMaintenanceWindow, CopyTagsToSnapshot, DBClusterParameterGroupName. (AWS names some of these
  states more precisely - upgrading, renaming, resetting-master-credentials -; all are ``modifying`` here.)
* ModifyDBInstance: ``modifying`` -> ``available`` (``rds.instance.modify``) for DBInstanceClass,
  MonitoringInterval, MonitoringRoleArn, EnablePerformanceInsights, PerformanceInsightsKMSKeyId,
  PerformanceInsightsRetentionPeriod, CACertificateIdentifier, DBParameterGroupName, PubliclyAccessible,
  NewDBInstanceIdentifier; PromotionTier, AutoMinorVersionUpgrade, PreferredMaintenanceWindow,
  CopyTagsToSnapshot keep ``available``. ApplyImmediately is not modelled (moto applies every change at once).
* DeleteDBInstance: ``deleting`` (``rds.instance.delete``), still listed in its cluster's DBClusterMembers,
  then gone.
* DeleteDBCluster: accepted while the cluster's remaining instances are all ``deleting`` (AWS waits for
  them); ``deleting`` until the last instance is gone and ``rds.cluster.delete`` more, then gone.
* RemoveFromGlobalCluster: the detached cluster is ``promoting`` (``rds.global.detach``), then ``available``.

The rules that refuse requests in the wrong state live in ``emulator.rds_rules``.
"""

from __future__ import annotations

import functools

from botocore import xform_name

from emulator import profile
from emulator.rds_timeline import (
    LOCK,
    aws,
    cluster_instances,
    deleting,
    find_cluster,
    forget,
    now,
    reap,
    start,
    timeline_of,
)

CLUSTER_STATE_CHANGES = (
    "EngineVersion",
    "Port",
    "VpcSecurityGroupIds",
    "BacktrackWindow",
    "EnableIAMDatabaseAuthentication",
    "CloudwatchLogsExportConfiguration",
    "MasterUserPassword",
    "ManageMasterUserPassword",
    "RotateMasterUserPassword",
    "NewDBClusterIdentifier",
    "DBClusterInstanceClass",
    "StorageType",
    "Iops",
    "AllocatedStorage",
    "ServerlessV2ScalingConfiguration",
    "NetworkType",
)
INSTANCE_STATE_CHANGES = (
    "DBInstanceClass",
    "MonitoringInterval",
    "MonitoringRoleArn",
    "EnablePerformanceInsights",
    "PerformanceInsightsKMSKeyId",
    "PerformanceInsightsRetentionPeriod",
    "CACertificateIdentifier",
    "DBParameterGroupName",
    "PubliclyAccessible",
    "NewDBInstanceIdentifier",
)
# Request parameters compared with the moto attribute they change (absent: always a change).
CURRENT_VALUE = {
    "EnableIAMDatabaseAuthentication": "iam_auth",
    "ManageMasterUserPassword": "manage_master_user_password",
    "EnablePerformanceInsights": "performance_insights_enabled",
    "DBParameterGroupName": "db_parameter_group_name",
    "NewDBClusterIdentifier": "db_cluster_identifier",
    "NewDBInstanceIdentifier": "db_instance_identifier",
}
ALWAYS_A_CHANGE = ("MasterUserPassword", "RotateMasterUserPassword")


def _changes(resource, request, names) -> list[str]:
    changed = []
    for name in names:
        key = xform_name(name)
        value = request.get(key)
        if value is None or (value is False and name == "RotateMasterUserPassword"):
            continue
        if name == "CloudwatchLogsExportConfiguration":
            current = set(getattr(resource, "enabled_cloudwatch_logs_exports", []) or [])
            if set(value.get("EnableLogTypes", [])) - current or set(value.get("DisableLogTypes", [])) & current:
                changed.append(name)
            continue
        if name in ALWAYS_A_CHANGE:
            changed.append(name)
            continue
        current = getattr(resource, CURRENT_VALUE.get(name, key), None)
        if isinstance(value, list) and isinstance(current, list):
            if sorted(map(str, value)) != sorted(map(str, current)):
                changed.append(name)
        elif str(value).lower() != str(current).lower():
            changed.append(name)
    return changed


def _patch_status_properties(models) -> None:
    """State of a resource with a timeline: its phase now; at the end the final state is kept."""

    def settled(resource, store_final):
        timeline = timeline_of(resource)
        if timeline is None:
            return None
        t = now()
        if timeline.final is None:
            return "deleting"
        if timeline.over(t):
            with LOCK:
                forget(resource)
                store_final(timeline.final)
            return timeline.final
        return timeline.state(t)

    cluster_status = models.DBCluster.status

    def get_cluster_status(self):
        state = settled(self, lambda final: cluster_status.fset(self, final))
        return state if state is not None else cluster_status.fget(self)

    def set_cluster_status(self, value):
        forget(self)
        cluster_status.fset(self, value)

    models.DBCluster.status = property(get_cluster_status, set_cluster_status)

    # moto's DBInstance keeps status in its __dict__; a property keeps it there (restores copy __dict__).
    def get_instance_status(self):
        state = settled(self, lambda final: self.__dict__.__setitem__("status", final))
        return state if state is not None else self.__dict__.get("status", "available")

    def set_instance_status(self, value):
        forget(self)
        self.__dict__["status"] = value

    models.DBInstance.status = property(get_instance_status, set_instance_status)


def _reaping(models) -> None:
    """Every backend call that can see clusters or instances first drops those whose deletion ended."""
    for name in (
        "describe_db_clusters",
        "describe_db_instances",
        "create_db_cluster",
        "create_db_instance",
        "modify_db_cluster",
        "modify_db_instance",
        "delete_db_cluster",
        "delete_db_instance",
        "failover_db_cluster",
        "list_tags_for_resource",
    ):
        original = getattr(models.RDSBackend, name)

        def reaping(self, *args, _original=original, **kwargs):
            reap(self)
            return _original(self, *args, **kwargs)

        setattr(models.RDSBackend, name, functools.wraps(original)(reaping))


def _patch_creation(models) -> None:
    create_cluster = models.RDSBackend.create_db_cluster

    @functools.wraps(create_cluster)
    def create_db_cluster(self, kwargs):
        joining = bool(kwargs.get("global_cluster_identifier"))
        cluster = create_cluster(self, kwargs)
        if aws():
            name = "rds.global.join" if joining else "rds.cluster.create"
            start(cluster, [("creating", profile.duration(name))], "available")
        return cluster

    create_instance = models.RDSBackend.create_db_instance

    @functools.wraps(create_instance)
    def create_db_instance(self, db_kwargs):
        instance = create_instance(self, db_kwargs)
        if aws():
            total = profile.duration("rds.instance.create")
            monitoring = min(profile.duration("rds.instance.monitoring"), total) if instance.monitoring_interval else 0
            phases = [("creating", total - monitoring)]
            if monitoring:
                phases.append(("configuring-enhanced-monitoring", monitoring))
            start(instance, phases, "available")
        return instance

    models.RDSBackend.create_db_cluster = create_db_cluster
    models.RDSBackend.create_db_instance = create_db_instance


def _patch_modification(models) -> None:
    modify_cluster = models.RDSBackend.modify_db_cluster

    @functools.wraps(modify_cluster)
    def modify_db_cluster(self, kwargs):
        identifier = kwargs["db_cluster_identifier"]
        cluster = self.clusters.get(identifier)
        changed = _changes(cluster, kwargs, CLUSTER_STATE_CHANGES) if cluster is not None and aws() else []
        result = modify_cluster(self, kwargs)
        if changed:
            cluster = self.clusters[kwargs.get("new_db_cluster_identifier") or identifier]
            start(cluster, [("modifying", profile.duration("rds.cluster.modify"))], "available")
            # moto answers a copy taken before it applied the change; AWS answers the cluster as it is now.
            return cluster
        return result

    modify_instance = models.RDSBackend.modify_db_instance

    @functools.wraps(modify_instance)
    def modify_db_instance(self, db_instance_identifier, db_kwargs):
        changed = []
        if aws():
            current = self.describe_db_instances(db_instance_identifier)[0]
            changed = _changes(current, db_kwargs, INSTANCE_STATE_CHANGES)
        instance = modify_instance(self, db_instance_identifier, db_kwargs)
        if changed:
            start(instance, [("modifying", profile.duration("rds.instance.modify"))], "available")
        return instance

    models.RDSBackend.modify_db_cluster = modify_db_cluster
    models.RDSBackend.modify_db_instance = modify_db_instance


def _patch_deletion(models) -> None:
    delete_instance = models.RDSBackend.delete_db_instance

    @functools.wraps(delete_instance)
    def delete_db_instance(self, db_instance_identifier, *args, **kwargs):
        instance = delete_instance(self, db_instance_identifier, *args, **kwargs)
        if aws():
            # AWS keeps the instance, deleting, until it is gone.
            self.databases[instance.db_instance_identifier] = instance
            start(instance, [("deleting", profile.duration("rds.instance.delete"))], None)
        return instance

    delete_cluster = models.RDSBackend.delete_db_cluster

    @functools.wraps(delete_cluster)
    def delete_db_cluster(self, cluster_identifier, *args, **kwargs):
        cluster = self.clusters.get(cluster_identifier)
        if cluster is None or not aws():
            return delete_cluster(self, cluster_identifier, *args, **kwargs)
        # Instances already deleting do not hold the cluster back (moto refuses any instance at all).
        members = cluster_instances(self, cluster)
        going = {
            key: instance for key, instance in self.databases.items() if instance in members and deleting(instance)
        }
        for key in going:
            self.databases.pop(key)
        try:
            cluster = delete_cluster(self, cluster_identifier, *args, **kwargs)
        finally:
            self.databases.update(going)
        last_instance_gone = max([now()] + [timeline_of(i).end for i in going.values()])
        self.clusters[cluster.db_cluster_identifier] = cluster
        start(cluster, [("deleting", profile.duration("rds.cluster.delete"))], None, begin=last_instance_gone)
        return cluster

    models.RDSBackend.delete_db_instance = delete_db_instance
    models.RDSBackend.delete_db_cluster = delete_db_cluster


def _patch_detach(responses) -> None:
    """RemoveFromGlobalCluster (emulator.aurora answers it): the detached cluster is promoted."""
    remove = responses.RDSResponse.remove_from_global_cluster

    @functools.wraps(remove)
    def remove_from_global_cluster(self):
        result = remove(self)
        if aws():
            cluster = find_cluster(self.current_account, self.region, self.params["DbClusterIdentifier"])
            if cluster is not None:
                start(cluster, [("promoting", profile.duration("rds.global.detach"))], "available")
        return result

    responses.RDSResponse.remove_from_global_cluster = remove_from_global_cluster


def install() -> None:
    from moto.rds import models, responses

    _patch_status_properties(models)
    _patch_creation(models)
    _patch_modification(models)
    _patch_deletion(models)
    _reaping(models)
    _patch_detach(responses)
