# -*- coding: utf-8 -*-
# Copyright: tap.multiregion contributors
# Apache License 2.0 (see LICENSE)
"""Pure comparison logic of the aurora_cluster and aurora_global_cluster modules.

Nothing here calls AWS: the modules describe once, these functions say what differs, which
ModifyDBCluster / ModifyDBInstance parameters converge it, in which availability zones new
instances go, and who writes in a global database.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.amazon.aws.plugins.module_utils.arn import parse_aws_arn

from ansible_collections.tap.multiregion.plugins.module_utils.base import show

# Log types Aurora MySQL can export to CloudWatch Logs.
AURORA_MYSQL_LOG_TYPES = ("audit", "error", "general", "slowquery", "iam-db-auth-error", "instance")
# Master user names Aurora MySQL reserves or that we refuse as too guessable.
FORBIDDEN_MASTER_USERNAMES = ("admin", "root", "rdsadmin", "mysql.sys", "mysql.session", "mysql.infoschema")
# Characters a master password for Aurora MySQL must not contain (AWS rule), plus shell/URL troublemakers.
PASSWORD_EXCLUDED_CHARACTERS = "/@\"' \\`%"
# Statuses of DB clusters and instances (AWS's status lists) that waiting does not end: the module fails
# naming the status instead of waiting for "available" until its timeout.
STUCK_STATES = frozenset([
    "stopped", "failed", "cloning-failed", "migration-failed", "insufficient-capacity", "restore-error",
    "storage-full", "inaccessible-encryption-credentials", "inaccessible-encryption-credentials-recoverable",
    "incompatible-network", "incompatible-option-group", "incompatible-parameters", "incompatible-restore",
])


def status_of(resource):
    """Status of a described DB cluster (Status) or DB instance (DBInstanceStatus)."""
    resource = resource or {}
    return resource.get("Status") or resource.get("DBInstanceStatus")


def is_burstable(instance_class):
    """db.t2/db.t3/db.t4g...: the burstable classes AWS does not take in a global database."""
    return bool(re.match(r"^db\.t\d", instance_class or ""))


def version_key(version):
    """Sortable key of an engine version: '8.0.mysql_aurora.3.04.0' -> (8, 0, 3, 4, 0)."""
    return tuple(int(part) for part in re.findall(r"\d+", version or ""))


def same_kms_key(wanted, current):
    """True when current (an ARN as AWS reports it) designates the key wanted (an ARN or a key id)."""
    if not wanted or not current:
        return (wanted or None) == (current or None)
    if wanted.startswith("arn:"):
        return wanted == current
    return current.rsplit("/", 1)[-1] == wanted


def is_alias(kms_key_id):
    return bool(kms_key_id) and (kms_key_id.startswith("alias/") or ":alias/" in kms_key_id)


def global_cluster_name(value):
    """GlobalClusterIdentifier as the identifier, whether AWS reports the name or the global-cluster ARN."""
    if not value:
        return None
    if value.startswith("arn:"):
        return (parse_aws_arn(value) or {}).get("resource_id") or value
    return value


def tags_dict(tag_list):
    return {tag["Key"]: tag["Value"] for tag in tag_list or []}


def cluster_view(cluster):
    """The properties of a described DB cluster that this project manages (for diff and comparison)."""
    if not cluster:
        return {}
    secret = cluster.get("MasterUserSecret") or {}
    return {
        "engine": cluster.get("Engine"),
        "engine_version": cluster.get("EngineVersion"),
        "database_name": cluster.get("DatabaseName"),
        "master_username": cluster.get("MasterUsername"),
        "port": cluster.get("Port"),
        "db_subnet_group": cluster.get("DBSubnetGroup"),
        "vpc_security_group_ids": sorted(g["VpcSecurityGroupId"] for g in cluster.get("VpcSecurityGroups") or []),
        "db_cluster_parameter_group": cluster.get("DBClusterParameterGroup"),
        "storage_encrypted": bool(cluster.get("StorageEncrypted")),
        "kms_key_id": cluster.get("KmsKeyId"),
        "backup_retention_period": cluster.get("BackupRetentionPeriod"),
        "preferred_backup_window": cluster.get("PreferredBackupWindow"),
        "preferred_maintenance_window": cluster.get("PreferredMaintenanceWindow"),
        "enabled_cloudwatch_logs_exports": sorted(cluster.get("EnabledCloudwatchLogsExports") or []),
        "iam_database_authentication_enabled": bool(cluster.get("IAMDatabaseAuthenticationEnabled")),
        "copy_tags_to_snapshot": bool(cluster.get("CopyTagsToSnapshot")),
        "backtrack_window": cluster.get("BacktrackWindow") or 0,
        "deletion_protection": bool(cluster.get("DeletionProtection")),
        "manage_master_user_password": bool(secret),
        "master_user_secret_kms_key_id": secret.get("KmsKeyId"),
        "global_cluster_identifier": global_cluster_name(cluster.get("GlobalClusterIdentifier")),
        "tags": tags_dict(cluster.get("TagList")),
    }


def desired_cluster_view(params, global_member, secondary):
    """The view cluster_view() would report once the module's parameters are applied."""
    view = {
        "engine": params["engine"],
        "engine_version": params["engine_version"],
        "database_name": None if secondary else params["database_name"],
        "master_username": None if secondary else params["master_username"],
        "port": params["port"],
        "db_subnet_group": params["db_subnet_group_name"],
        "vpc_security_group_ids": sorted(params["vpc_security_group_ids"]),
        "db_cluster_parameter_group": params["parameter_group_name"],
        "storage_encrypted": True,
        "kms_key_id": params["kms_key_id"],
        "backup_retention_period": params["backup_retention_period"],
        "preferred_backup_window": params["preferred_backup_window"],
        "preferred_maintenance_window": params["preferred_maintenance_window"],
        "enabled_cloudwatch_logs_exports": sorted(params["enable_cloudwatch_logs_exports"]),
        "iam_database_authentication_enabled": params["iam_database_authentication"],
        "copy_tags_to_snapshot": params["copy_tags_to_snapshot"],
        "backtrack_window": params["backtrack_window"],
        "deletion_protection": params["deletion_protection"],
        "manage_master_user_password": not global_member,
        "master_user_secret_kms_key_id": None if global_member else params["kms_key_id"],
        "global_cluster_identifier": params["global_cluster_identifier"],
        "tags": dict(params["tags"] or {}),
    }
    return view


def cluster_modifications(current, params, global_member, secondary):
    """ModifyDBCluster parameters that converge the described cluster, and warnings for what cannot change.

    current is the raw DescribeDBClusters entry; params the module parameters.
    """
    have = cluster_view(current)
    changes = {}
    warnings = []

    simple = (
        ("backup_retention_period", "BackupRetentionPeriod", params["backup_retention_period"]),
        ("preferred_backup_window", "PreferredBackupWindow", params["preferred_backup_window"]),
        ("port", "Port", params["port"]),
        ("db_cluster_parameter_group", "DBClusterParameterGroupName", params["parameter_group_name"]),
        ("iam_database_authentication_enabled", "EnableIAMDatabaseAuthentication",
         params["iam_database_authentication"]),
        ("deletion_protection", "DeletionProtection", params["deletion_protection"]),
        ("copy_tags_to_snapshot", "CopyTagsToSnapshot", params["copy_tags_to_snapshot"]),
    )
    for key, api_name, wanted in simple:
        if wanted is not None and have[key] != wanted:
            changes[api_name] = wanted

    window = params.get("preferred_maintenance_window")
    if window and (have["preferred_maintenance_window"] or "").lower() != window.lower():
        changes["PreferredMaintenanceWindow"] = window

    if have["vpc_security_group_ids"] != sorted(params["vpc_security_group_ids"]):
        changes["VpcSecurityGroupIds"] = list(params["vpc_security_group_ids"])

    wanted_logs = set(params["enable_cloudwatch_logs_exports"])
    have_logs = set(have["enabled_cloudwatch_logs_exports"])
    if wanted_logs != have_logs:
        export = {}
        if wanted_logs - have_logs:
            export["EnableLogTypes"] = sorted(wanted_logs - have_logs)
        if have_logs - wanted_logs:
            export["DisableLogTypes"] = sorted(have_logs - wanted_logs)
        changes["CloudwatchLogsExportConfiguration"] = export

    wanted_backtrack = params["backtrack_window"]
    if have["backtrack_window"] != wanted_backtrack:
        if have["backtrack_window"] == 0:
            warnings.append(
                "backtrack_window: backtracking can only be enabled when a cluster is created (or restored); "
                "%s keeps backtrack disabled" % current["DBClusterIdentifier"]
            )
        else:
            changes["BacktrackWindow"] = wanted_backtrack

    # RDS manages the master password (in Secrets Manager, with the region's key) unless the cluster
    # is in a global database, where AWS does not allow it.
    secret_key_ok = same_kms_key(params["kms_key_id"], have["master_user_secret_kms_key_id"])
    if not global_member and (not have["manage_master_user_password"] or not secret_key_ok):
        changes["ManageMasterUserPassword"] = True
        changes["MasterUserSecretKmsKeyId"] = params["kms_key_id"]

    wanted_version = params["engine_version"]
    if wanted_version and have["engine_version"] != wanted_version:
        if version_key(have["engine_version"]) > version_key(wanted_version):
            warnings.append(
                "engine_version: %s runs %s, newer than the requested %s; engines are never downgraded"
                % (current["DBClusterIdentifier"], have["engine_version"], wanted_version)
            )
        elif global_member:
            warnings.append(
                "engine_version: %s is in a global database; upgrade it through the global cluster "
                "(ModifyGlobalCluster), not per cluster" % current["DBClusterIdentifier"]
            )
        else:
            changes["EngineVersion"] = wanted_version
            if version_key(have["engine_version"])[:2] != version_key(wanted_version)[:2]:
                changes["AllowMajorVersionUpgrade"] = True

    fixed = [("db_subnet_group", params["db_subnet_group_name"])]
    if not secondary:
        fixed += [("master_username", params["master_username"]), ("database_name", params["database_name"])]
    for key, wanted in fixed:
        if wanted is not None and have[key] is not None and have[key] != wanted:
            warnings.append(
                "%s: %s has %s=%s, the module asks for %s; this cannot be changed in place (recreate the cluster)"
                % (key, current["DBClusterIdentifier"], key, have[key], wanted)
            )
    if not have["storage_encrypted"] or not same_kms_key(params["kms_key_id"], have["kms_key_id"]):
        warnings.append(
            "kms_key_id: %s storage is %s; storage encryption cannot be changed in place (restore a snapshot "
            "with the new key)"
            % (current["DBClusterIdentifier"], "encrypted with %s" % have["kms_key_id"] if have["storage_encrypted"]
               else "not encrypted")
        )
    return changes, warnings


def changed_attributes(before, after):
    """[(key, before, after)] for the keys of after whose value differs from before's, in after's order."""
    return [(key, before.get(key), value) for key, value in after.items() if before.get(key) != value]


def change_sentence(label, differences, extra=()):
    """'<label>: a 1 -> 2, b x -> y' for one call that changes several attributes (values shortened)."""
    parts = ["%s %s -> %s" % (key, show(old), show(new)) for key, old, new in differences]
    return "%s: %s" % (label, ", ".join(parts + list(extra)))


def instance_view(instance):
    if not instance:
        return {}
    return {
        "db_instance_identifier": instance.get("DBInstanceIdentifier"),
        "db_instance_class": instance.get("DBInstanceClass"),
        "publicly_accessible": bool(instance.get("PubliclyAccessible")),
        "monitoring_interval": instance.get("MonitoringInterval") or 0,
        "monitoring_role_arn": instance.get("MonitoringRoleArn"),
        "performance_insights_enabled": bool(instance.get("PerformanceInsightsEnabled")),
        "performance_insights_kms_key_id": instance.get("PerformanceInsightsKMSKeyId"),
        "performance_insights_retention_period": instance.get("PerformanceInsightsRetentionPeriod"),
        "tags": tags_dict(instance.get("TagList")),
    }


def desired_instance_view(identifier, params):
    pi = params["performance_insights"]
    return {
        "db_instance_identifier": identifier,
        "db_instance_class": params["instance_class"],
        "publicly_accessible": False,
        "monitoring_interval": params["monitoring_interval"],
        "monitoring_role_arn": params["monitoring_role_arn"] if params["monitoring_interval"] else None,
        "performance_insights_enabled": pi,
        "performance_insights_kms_key_id": params["kms_key_id"] if pi else None,
        "performance_insights_retention_period": params["performance_insights_retention_period"] if pi else None,
        "tags": dict(params["tags"] or {}),
    }


def instance_modifications(current, params):
    """ModifyDBInstance parameters that converge one cluster member, and warnings."""
    have = instance_view(current)
    changes = {}
    warnings = []
    if have["db_instance_class"] != params["instance_class"]:
        changes["DBInstanceClass"] = params["instance_class"]
    if have["publicly_accessible"]:
        changes["PubliclyAccessible"] = False
    interval = params["monitoring_interval"]
    role_arn = params["monitoring_role_arn"] if interval else None
    if have["monitoring_interval"] != interval or (interval and have["monitoring_role_arn"] != role_arn):
        changes["MonitoringInterval"] = interval
        if interval:
            changes["MonitoringRoleArn"] = role_arn
    if params["performance_insights"]:
        retention = params["performance_insights_retention_period"]
        if not have["performance_insights_enabled"]:
            changes["EnablePerformanceInsights"] = True
            changes["PerformanceInsightsKMSKeyId"] = params["kms_key_id"]
            changes["PerformanceInsightsRetentionPeriod"] = retention
        else:
            if have["performance_insights_retention_period"] != retention:
                changes["EnablePerformanceInsights"] = True
                changes["PerformanceInsightsRetentionPeriod"] = retention
            if not same_kms_key(params["kms_key_id"], have["performance_insights_kms_key_id"]):
                warnings.append(
                    "performance_insights: %s encrypts Performance Insights with %s; AWS does not allow changing "
                    "that key once set" % (have["db_instance_identifier"], have["performance_insights_kms_key_id"])
                )
    elif have["performance_insights_enabled"]:
        changes["EnablePerformanceInsights"] = False
    return changes, warnings


# ModifyDBInstance parameter -> instance_view key.
_INSTANCE_CHANGE_KEYS = {
    "DBInstanceClass": "db_instance_class",
    "PubliclyAccessible": "publicly_accessible",
    "MonitoringInterval": "monitoring_interval",
    "MonitoringRoleArn": "monitoring_role_arn",
    "EnablePerformanceInsights": "performance_insights_enabled",
    "PerformanceInsightsKMSKeyId": "performance_insights_kms_key_id",
    "PerformanceInsightsRetentionPeriod": "performance_insights_retention_period",
}


def updated_instance_view(view, changes):
    """instance_view() after the ModifyDBInstance parameters `changes` are applied (for diff and sentence)."""
    return _applied(view, changes, _INSTANCE_CHANGE_KEYS)


def _applied(view, changes, keys):
    """view with the values of the API parameters in changes that keys maps to view keys."""
    after = dict(view)
    after.update((keys[api_name], value) for api_name, value in changes.items() if api_name in keys)
    return after


def place_instances(new_identifiers, instance_zones, subnet_zones):
    """{identifier: zone} for new instances: each in the subnet group's zone its cluster uses least.

    instance_zones: zones of the cluster's instances that stay; subnet_zones: zones of the DB subnet group.
    Ties go to the first zone in name order, so a cluster's two instances land in two zones. None when
    the subnet group reports no zone (AWS then chooses).
    """
    zones = sorted(set(z for z in subnet_zones or [] if z))
    used = dict((zone, 0) for zone in zones)
    for zone in instance_zones or []:
        if zone in used:
            used[zone] += 1
    placement = {}
    for identifier in new_identifiers:
        if not zones:
            placement[identifier] = None
            continue
        zone = min(zones, key=lambda z: (used[z], z))
        placement[identifier] = zone
        used[zone] += 1
    return placement


def one_zone_warning(cluster_identifier, zones, subnet_group, subnet_zones):
    """A warning when two or more instances all sit in one availability zone (None otherwise)."""
    zones = [z for z in zones if z]
    if len(zones) < 2 or len(set(zones)) > 1:
        return None
    where = "availability zones: the %d instances of DB cluster %s are all in %s" % (
        len(zones), cluster_identifier, zones[0])
    if len(set(subnet_zones or [])) < 2:
        return "%s; DB subnet group %s has subnets in that zone only (add subnets of other zones to spread them)" % (
            where, subnet_group)
    return "%s; AWS does not move an instance to another zone (delete one and run again to create it in another " \
        "zone)" % where


def parameter_changes(current, wanted):
    """Parameters (name -> value) whose current value differs from the wanted one.

    current maps names to values as DescribeDBClusterParameters reports them (None when unset).
    Values compare as case-insensitive strings: ON == on, 1 == "1".
    """
    changed = {}
    for name, value in (wanted or {}).items():
        have = current.get(name)
        if have is None or str(have).lower() != str(value).lower():
            changed[name] = str(value)
    return changed


def secret_replica_changes(replication_status, wanted):
    """(regions to add as [{Region, KmsKeyId}], regions to remove) for a secret's replicas."""
    have = {status["Region"] for status in replication_status or []}
    wanted_by_region = {replica["region"]: replica.get("kms_key_id") for replica in wanted or []}
    add = []
    for region in sorted(set(wanted_by_region) - have):
        entry = {"Region": region}
        if wanted_by_region[region]:
            entry["KmsKeyId"] = wanted_by_region[region]
        add.append(entry)
    remove = sorted(have - set(wanted_by_region))
    return add, remove


def instance_identifiers(cluster_identifier, count):
    """Names of the cluster's instances: <cluster>-1 .. <cluster>-<count>."""
    return ["%s-%d" % (cluster_identifier, index) for index in range(1, count + 1)]


def surplus_instances(cluster_identifier, count, member_identifiers):
    """Members named <cluster>-<n> with n > count (ours, beyond the wanted count), highest first."""
    pattern = re.compile(r"^%s-(\d+)$" % re.escape(cluster_identifier))
    surplus = []
    for name in member_identifiers:
        match = pattern.match(name)
        if match and int(match.group(1)) > count:
            surplus.append((int(match.group(1)), name))
    return [item[1] for item in sorted(surplus, reverse=True)]


def global_members(global_cluster):
    """GlobalClusterMembers as [{db_cluster_arn, region, is_writer}], writer first."""
    members = []
    for member in (global_cluster or {}).get("GlobalClusterMembers") or []:
        arn = member["DBClusterArn"]
        parsed = parse_aws_arn(arn) or {}
        members.append({
            "db_cluster_arn": arn,
            "db_cluster_identifier": parsed.get("resource_id"),
            "region": parsed.get("region") or None,
            "is_writer": bool(member.get("IsWriter")),
        })
    return sorted(members, key=lambda m: (not m["is_writer"], m["db_cluster_arn"]))


def writer_of(global_cluster):
    """The writer member of a described global cluster (global_members() entry), or None."""
    return next((m for m in global_members(global_cluster) if m["is_writer"]), None)


# ModifyDBCluster parameter -> cluster_view key (parameters that carry secrets are deliberately absent).
_CLUSTER_CHANGE_KEYS = {
    "BackupRetentionPeriod": "backup_retention_period",
    "PreferredBackupWindow": "preferred_backup_window",
    "PreferredMaintenanceWindow": "preferred_maintenance_window",
    "Port": "port",
    "DBClusterParameterGroupName": "db_cluster_parameter_group",
    "EnableIAMDatabaseAuthentication": "iam_database_authentication_enabled",
    "DeletionProtection": "deletion_protection",
    "CopyTagsToSnapshot": "copy_tags_to_snapshot",
    "BacktrackWindow": "backtrack_window",
    "EngineVersion": "engine_version",
    "ManageMasterUserPassword": "manage_master_user_password",
    "MasterUserSecretKmsKeyId": "master_user_secret_kms_key_id",
}


def updated_cluster_view(view, changes):
    """cluster_view() after the ModifyDBCluster parameters `changes` are applied (for the diff)."""
    after = _applied(view, changes, _CLUSTER_CHANGE_KEYS)
    if "VpcSecurityGroupIds" in changes:
        after["vpc_security_group_ids"] = sorted(changes["VpcSecurityGroupIds"])
    export = changes.get("CloudwatchLogsExportConfiguration")
    if export:
        logs = set(view.get("enabled_cloudwatch_logs_exports") or [])
        logs |= set(export.get("EnableLogTypes", []))
        logs -= set(export.get("DisableLogTypes", []))
        after["enabled_cloudwatch_logs_exports"] = sorted(logs)
    if changes.get("ManageMasterUserPassword") is False:
        after["master_user_secret_kms_key_id"] = None
    return after
