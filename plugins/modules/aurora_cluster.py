#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: tap.multiregion contributors
# Apache License 2.0 (see LICENSE)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: aurora_cluster
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.tags
  - amazon.aws.boto3
  - tap.multiregion.attributes
  - tap.multiregion.waits
short_description: Ensure an encrypted Aurora MySQL cluster, its parameter group and its instances
version_added: 0.1.0
description:
  - In one invocation ensures a DB cluster parameter group (by default C(require_secure_transport=ON)), an Aurora
    MySQL DB cluster and O(instance_count) DB instances in it, comparing what exists and changing only what
    differs (C(ModifyDBCluster), C(ModifyDBInstance), C(ModifyDBClusterParameterGroup), tags). A run with
    nothing to change makes no write call and reports C(changed=false). The cluster, its instances, the parameter
    group and its parameters, the global cluster and the master secret are read at the same time.
  - AWS changes a cluster or an instance only while it is C(available). One that is not (C(creating),
    C(modifying), C(backing-up), C(configuring-enhanced-monitoring), ...) is waited for first (progress lines,
    O(wait_timeout)), then compared and changed; with O(wait=false) its changes are left, with a warning, to a
    run with O(wait=true).
  - New instances are placed explicitly (C(AvailabilityZone)) in the zones of the DB subnet group the cluster's
    instances use least, so that two instances land in two zones. Instances that all sit in one zone are
    reported (warning), in check mode too.
  - The master password is never a parameter. A standalone cluster lets RDS generate and rotate it in AWS
    Secrets Manager (C(ManageMasterUserPassword)), encrypted with O(kms_key_id).
  - AWS does not allow RDS-managed master passwords in an Aurora global database. With
    O(global_cluster_identifier) and O(role=primary) the module asks Secrets Manager for a random password
    (C(GetRandomPassword)) inside its own process, stores it in the secret O(master_user_secret_name) (encrypted
    with O(kms_key_id), replicated to O(master_user_secret_replica_regions)) and hands it to C(CreateDBCluster).
    The password never appears in a parameter, result, diff or log.
  - A O(role=secondary) cluster joins the existing global cluster O(global_cluster_identifier) (once it is
    available) without master credentials or database name (it gets them from the primary, an AWS rule). Create
    the global cluster from the primary with M(tap.multiregion.aurora_global_cluster) first.
  - O(role) only decides how a missing cluster is created. After a switchover of the global database any member
    may write; a member keeps its place (nothing moves the writer back or detaches a member) and the result says
    who writes (RV(is_writer), RV(global_writer_region)).
  - With O(state=absent) the instances are deleted, the cluster leaves its global database and is deleted (with a
    final snapshot when O(final_snapshot_identifier) is set), then its parameter group. What is already being
    deleted is not deleted again; a re-run waits for it and finishes the job. Deletion protection is only lifted
    with O(disable_deletion_protection=true); otherwise the module refuses.
options:
  cluster_identifier:
    description: Name of the DB cluster; the instances are named C(<cluster_identifier>-<n>).
    type: str
    required: true
    aliases: [db_cluster_identifier]
  state:
    description: Whether the cluster should exist.
    type: str
    choices: [present, absent]
    default: present
  engine:
    description: Aurora engine.
    type: str
    choices: [aurora-mysql]
    default: aurora-mysql
  engine_version:
    description:
      - Engine version. An older running version is upgraded in place (not for global database members, which
        are upgraded through the global cluster); a newer one is never downgraded (warning).
    type: str
    default: 8.0.mysql_aurora.3.04.0
  database_name:
    description: Name of the database created in the cluster (not for a secondary).
    type: str
    default: tapdb
  master_username:
    description: Master user name (not for a secondary). C(admin), C(root) and MySQL's reserved users are refused.
    type: str
    default: tapadmin
  port:
    description: Port the cluster listens on.
    type: int
    default: 3306
  kms_key_id:
    description:
      - ARN (or key id) of the region's customer managed KMS key. Encrypts the storage, the master user secret
        and Performance Insights. Aliases are refused because they cannot be compared with what AWS reports.
      - Required when O(state=present).
    type: str
  db_subnet_group_name:
    description: Existing DB subnet group (over the private subnets). Required when O(state=present).
    type: str
  vpc_security_group_ids:
    description: Security groups of the cluster. Required when O(state=present).
    type: list
    elements: str
  backup_retention_period:
    description: Days automated backups are kept (1-35).
    type: int
    default: 7
  preferred_backup_window:
    description: Daily backup window (UTC).
    type: str
    default: "03:00-04:00"
  preferred_maintenance_window:
    description: Weekly maintenance window, e.g. C(sun:04:30-sun:05:00). Left to AWS when not set.
    type: str
  enable_cloudwatch_logs_exports:
    description: Log types exported to CloudWatch Logs.
    type: list
    elements: str
    default: [audit, error, general, slowquery]
  iam_database_authentication:
    description: Enable IAM database authentication.
    type: bool
    default: true
  copy_tags_to_snapshot:
    description: Copy the cluster tags to its snapshots.
    type: bool
    default: true
  backtrack_window:
    description:
      - Target backtrack window in seconds (0 disables, at most 259200). AWS only enables backtracking when a
        cluster is created and does not support it in a global database, so it must be 0 together with
        O(global_cluster_identifier).
    type: int
    default: 86400
  deletion_protection:
    description: Deletion protection of the cluster.
    type: bool
    default: true
  parameter_group_name:
    description: Name of the DB cluster parameter group the module owns; defaults to O(cluster_identifier).
    type: str
  parameter_group_family:
    description: Family of the DB cluster parameter group.
    type: str
    default: aurora-mysql8.0
  parameters:
    description: Cluster parameters to set in the parameter group (name to value).
    type: dict
    default: {require_secure_transport: "ON"}
  parameter_apply_method:
    description: How parameter changes are applied.
    type: str
    choices: [immediate, pending-reboot]
    default: immediate
  instance_count:
    description: Number of DB instances in the cluster (the first created becomes the writer).
    type: int
    default: 2
  instance_class:
    description:
      - DB instance class of every instance. Required when O(state=present).
      - Aurora global databases take no burstable class (C(db.t*)); with O(global_cluster_identifier) such a class
        is refused before any AWS call.
    type: str
  purge_instances:
    description: Delete the module's own instances (C(<cluster_identifier>-<n>)) beyond O(instance_count).
    type: bool
    default: true
  monitoring_interval:
    description: Enhanced monitoring interval in seconds (0 disables).
    type: int
    choices: [0, 1, 5, 10, 15, 30, 60]
    default: 60
  monitoring_role_arn:
    description: IAM role RDS assumes to publish enhanced monitoring; required when O(monitoring_interval) > 0.
    type: str
  performance_insights:
    description:
      - Enable Performance Insights, encrypted with O(kms_key_id). AWS does not offer it on every instance
        class (not on db.t2/db.t3 for Aurora MySQL).
    type: bool
    default: true
  performance_insights_retention_period:
    description: Days Performance Insights data is kept (7 is the free tier).
    type: int
    default: 7
  global_cluster_identifier:
    description: The Aurora global database this cluster belongs to (see O(role)).
    type: str
  role:
    description:
      - How a missing cluster of the global database O(global_cluster_identifier) is created. C(primary) clusters
        are created standalone (the global cluster is then created from them); C(secondary) clusters are created
        in it. An existing member keeps whatever place it has (see RV(is_writer)).
    type: str
    choices: [primary, secondary]
    default: primary
  master_user_secret_name:
    description:
      - Name of the Secrets Manager secret that holds the master credentials of a global database (required
        with O(global_cluster_identifier)). The primary creates it; a secondary only reports the ARN of its
        regional replica.
    type: str
  master_user_secret_replica_regions:
    description: Regions the primary's secret is replicated to, each with the KMS key of that region.
    type: list
    elements: dict
    default: []
    suboptions:
      region:
        description: Replica region.
        type: str
        required: true
      kms_key_id:
        description: KMS key (ARN) of the replica region.
        type: str
  final_snapshot_identifier:
    description: With O(state=absent), take a final snapshot of this name before the cluster is deleted.
    type: str
  disable_deletion_protection:
    description: With O(state=absent), lift the cluster's deletion protection first. Without it the module refuses.
    type: bool
    default: false
  apply_immediately:
    description: Apply modifications now rather than in the next maintenance window.
    type: bool
    default: true
  wait:
    description:
      - Wait until the cluster and its instances are available (or deleted).
      - With V(false) creations (cluster, instances, joining a global database) and deletions are started and the
        module returns at once with what it knows; a later run with V(true) and the same options waits for
        everything to be available and changes nothing. What a step of the run needs is waited for anyway (a
        global cluster to be available before a secondary joins it, a member to leave before it is deleted).
    type: bool
    default: true
notes:
  - O(tags) apply to the cluster, its instances, its parameter group (at creation) and the global primary's secret.
  - The global primary's secret is kept on O(state=absent) so that a final snapshot can be restored with its
    credentials; delete it separately when it is no longer needed.
author:
  - tap.multiregion maintainers (!UNKNOWN)
"""

EXAMPLES = r"""
- name: Start the regional Aurora cluster with two instances (a later run with wait true waits for it)
  tap.multiregion.aurora_cluster:
    cluster_identifier: aurora-dev-us-east-1
    kms_key_id: "{{ baseline_kms_key_arn }}"
    db_subnet_group_name: aurora-dev-us-east-1
    vpc_security_group_ids: ["{{ db_sg_id }}"]
    backup_retention_period: 1
    deletion_protection: false
    instance_class: db.t4g.medium
    instance_count: 2
    monitoring_role_arn: "{{ monitoring_role_arn }}"
    performance_insights: false
    wait: false
    tags: "{{ tap_tags }}"

- name: Ensure the primary cluster of the prod global database
  tap.multiregion.aurora_cluster:
    cluster_identifier: aurora-prod-us-east-1
    global_cluster_identifier: aurora-global-prod
    role: primary
    backtrack_window: 0
    master_user_secret_name: tap/aurora-global-prod/master
    master_user_secret_replica_regions:
      - region: eu-west-1
        kms_key_id: arn:aws:kms:eu-west-1:123456789012:key/11111111-2222-3333-4444-555555555555
    kms_key_id: "{{ baseline_kms_key_arn }}"
    db_subnet_group_name: aurora-prod-us-east-1
    vpc_security_group_ids: ["{{ db_sg_id }}"]
    instance_class: db.r5.large
    monitoring_role_arn: "{{ monitoring_role_arn }}"
    tags: "{{ tap_tags }}"

- name: Delete a dev cluster with a final snapshot
  tap.multiregion.aurora_cluster:
    cluster_identifier: aurora-dev-us-east-1
    state: absent
    final_snapshot_identifier: aurora-dev-us-east-1-final
"""

RETURN = r"""
cluster:
  description: The DB cluster as DescribeDBClusters reports it (snake_case, tags as a dict); no password.
  returned: state=present and not a check-mode creation
  type: dict
  sample:
    db_cluster_identifier: aurora-dev-us-east-1
    engine_version: 8.0.mysql_aurora.3.04.0
    backup_retention_period: 1
changes:
  description: One sentence per change made (or, in check mode, that would be made), naming the resource and attribute.
  returned: always
  type: list
  elements: str
  sample:
    - create DB instance aurora-dev-us-east-1-2 (db.r5.large in us-east-1b)
    - "DB cluster aurora-dev-us-east-1: backup_retention_period 1 -> 7"
cluster_arn:
  description: ARN of the cluster.
  returned: state=present and not a check-mode creation
  type: str
endpoint:
  description: Writer endpoint of the cluster.
  returned: state=present and not a check-mode creation
  type: str
reader_endpoint:
  description: Reader endpoint of the cluster.
  returned: state=present and not a check-mode creation
  type: str
master_user_secret_arn:
  description:
    - ARN of the secret with the master credentials in this region (RDS-managed secret, the module's
      global-database secret, or its replica in a secondary's region). The secret value is never returned.
  returned: state=present
  type: str
is_writer:
  description:
    - Whether this cluster takes writes - a standalone cluster, or the writer of its global database now (after a
      switchover any member may be). A check-mode creation reports what O(role) would create.
  returned: state=present
  type: bool
global_writer_region:
  description: Region of the global database's writer member; null without a global database (or writer).
  returned: state=present
  type: str
  sample: us-east-1
instances:
  description: The cluster's instances (identifier, class, zone, status, monitoring, Performance Insights, writer flag).
  returned: state=present
  type: list
  elements: dict
parameter_group:
  description: Name, family and the module-managed parameters of the cluster parameter group.
  returned: state=present
  type: dict
"""

from ansible.module_utils.common.dict_transformations import camel_dict_to_snake_dict

from ansible_collections.amazon.aws.plugins.module_utils.tagging import ansible_dict_to_boto3_tag_list
from ansible_collections.amazon.aws.plugins.module_utils.tagging import boto3_tag_list_to_ansible_dict

from ansible_collections.tap.multiregion.plugins.module_utils import aurora as plan
from ansible_collections.tap.multiregion.plugins.module_utils import aurora_parameter_group as parameter_group
from ansible_collections.tap.multiregion.plugins.module_utils import aurora_secret
from ansible_collections.tap.multiregion.plugins.module_utils.aurora_instances import ClusterInstances
from ansible_collections.tap.multiregion.plugins.module_utils.base import Failure


class AuroraCluster(ClusterInstances):
    def __init__(self, module):
        super(AuroraCluster, self).__init__(module)
        p = self.params
        self.identifier = p["cluster_identifier"].lower()
        self.label = "DB cluster %s" % self.identifier
        self.global_id = p["global_cluster_identifier"]
        self.secondary = bool(self.global_id) and p["role"] == "secondary"
        self.group_name = p["parameter_group_name"] or self.identifier
        self.rds = self.client()

    def validate(self):
        p = self.params
        if p["state"] == "absent":
            return
        if p["master_username"].lower() in plan.FORBIDDEN_MASTER_USERNAMES:
            raise self.invalid("master_username", p["master_username"], "it is reserved or too easy to guess; "
                               "choose another name (default tapadmin)")
        if plan.is_alias(p["kms_key_id"]):
            raise self.invalid("kms_key_id", p["kms_key_id"], "give the key ARN or key id, not an alias")
        unknown = sorted(set(p["enable_cloudwatch_logs_exports"]) - set(plan.AURORA_MYSQL_LOG_TYPES))
        if unknown:
            raise self.invalid("enable_cloudwatch_logs_exports", unknown,
                               "Aurora MySQL exports %s" % ", ".join(plan.AURORA_MYSQL_LOG_TYPES))
        if not 0 <= p["backtrack_window"] <= 259200:
            raise self.invalid("backtrack_window", p["backtrack_window"], "0..259200 seconds")
        if self.global_id and p["backtrack_window"]:
            raise self.invalid("backtrack_window", p["backtrack_window"], "0 only: Aurora global databases do not "
                               "support backtracking (global database %s)" % self.global_id)
        if self.global_id and plan.is_burstable(p["instance_class"]):
            raise self.invalid("instance_class", p["instance_class"], "Aurora global databases take no burstable "
                               "(db.t*) class: use a memory-optimized class such as db.r5.large or db.r6g.large "
                               "(global database %s)" % self.global_id)
        if self.global_id and p["role"] == "primary" and not p["master_user_secret_name"]:
            raise self.invalid("master_user_secret_name", None, "required for the primary of a global database (RDS-"
                               "managed master passwords are not allowed there; the module keeps it in this secret)")
        if p["role"] == "secondary" and not self.global_id:
            raise self.invalid("role", "secondary", "only with global_cluster_identifier")
        if p["monitoring_interval"] and not p["monitoring_role_arn"]:
            raise self.invalid("monitoring_role_arn", None, "required when monitoring_interval is %s"
                               % p["monitoring_interval"])
        if not 1 <= p["backup_retention_period"] <= 35:
            raise self.invalid("backup_retention_period", p["backup_retention_period"], "1..35 days")
        if p["instance_count"] < 0:
            raise self.invalid("instance_count", p["instance_count"], "0 or more")

    # ------------------------------------------------------------------ present

    def present(self):
        p = self.params
        secret_name = p["master_user_secret_name"] if self.global_id else None
        cluster, instances, group, parameters, global_cluster, secret = self.concurrently(
            lambda: self.db_cluster(self.identifier), self.describe_instances,
            lambda: parameter_group.describe(self, self.rds, self.group_name),
            lambda: parameter_group.user_parameters(self, self.rds, self.group_name),
            lambda: self.global_cluster(self.global_id) if self.global_id else None,
            lambda: aurora_secret.describe(self, secret_name) if secret_name else None,
        )
        if plan.status_of(cluster) == "deleting":
            self.wait_until("%s to be deleted before it is created again" % self.label,
                            lambda: self.db_cluster(self.identifier) is None, needed=True)
            cluster, instances = None, {}
        writer = plan.writer_of(global_cluster)
        member = cluster is not None and plan.global_cluster_name(cluster.get("GlobalClusterIdentifier"))
        self.is_writer = not self.secondary if cluster is None else (
            not member or bool(writer and writer["db_cluster_arn"] == cluster["DBClusterArn"]))
        params_before, params_after = parameter_group.ensure(
            self, self.rds, self.group_name, group, parameters, p["parameter_group_family"], p["parameters"],
            p["parameter_apply_method"], "Cluster parameters of %s (tap.multiregion)" % self.identifier, p["tags"])

        password, reset, secret_arn = None, False, None
        if self.global_id and not self.secondary:
            reset = cluster is not None and (bool(cluster.get("MasterUserSecret")) or secret is None)
            if reset and not self.is_writer:
                self.warn("master_user_secret_name: %s is a reader of global cluster %s; set the master password "
                          "on the writer (%s)" % (self.label, self.global_id, writer and writer["region"]))
                reset = False
            secret_arn, password = aurora_secret.ensure(
                self, secret, secret_name, p["kms_key_id"], p["master_user_secret_replica_regions"], p["tags"],
                self.secret_payload, need_password=cluster is None or reset)
        elif secret_name:
            secret_arn = secret and secret["ARN"]
            if secret is None:
                self.warn("master_user_secret_name: no replica of %s in this region yet; add this region to the "
                          "primary's master_user_secret_replica_regions" % secret_name)
        if cluster is None:
            cluster, instances, before, after = self.create(password, global_cluster)
        else:
            cluster, instances, before, after = self.converge(cluster, instances, reset, password)
        if not self.global_id:
            secret_arn = ((cluster or {}).get("MasterUserSecret") or {}).get("SecretArn")
        before = dict(before, parameters=params_before) if before else {}
        self.set_diff(before, dict(after, parameters=params_after))
        return self.facts(cluster, instances, secret_arn, writer)

    def secret_payload(self, password):
        p = self.params
        return {"username": p["master_username"], "password": password, "engine": "mysql", "port": p["port"],
                "dbClusterIdentifier": self.identifier}

    def facts(self, cluster, instances, secret_arn, writer):
        writers = set(m["DBInstanceIdentifier"] for m in (cluster or {}).get("DBClusterMembers", [])
                      if m.get("IsClusterWriter"))
        result = dict(
            master_user_secret_arn=secret_arn, is_writer=self.is_writer,
            global_writer_region=writer["region"] if writer else None,
            instances=[dict(plan.instance_view(instances[name]), is_cluster_writer=name in writers,
                            availability_zone=instances[name].get("AvailabilityZone"),
                            status=plan.status_of(instances[name])) for name in sorted(instances)],
            parameter_group=dict(name=self.group_name, family=self.params["parameter_group_family"],
                                 parameters=dict((k, str(v)) for k, v in (self.params["parameters"] or {}).items())),
        )
        if cluster:
            snake = camel_dict_to_snake_dict(dict((k, v) for k, v in cluster.items() if k != "TagList"))
            snake["tags"] = boto3_tag_list_to_ansible_dict(cluster.get("TagList") or [])
            result.update(cluster=snake, cluster_arn=cluster["DBClusterArn"], endpoint=cluster.get("Endpoint"),
                          reader_endpoint=cluster.get("ReaderEndpoint"))
        return result

    def create(self, password, global_cluster):
        p = self.params
        request = dict(
            DBClusterIdentifier=self.identifier, Engine=p["engine"], EngineVersion=p["engine_version"],
            Port=p["port"], DBSubnetGroupName=p["db_subnet_group_name"],
            VpcSecurityGroupIds=p["vpc_security_group_ids"], DBClusterParameterGroupName=self.group_name,
            StorageEncrypted=True, KmsKeyId=p["kms_key_id"],
            BackupRetentionPeriod=p["backup_retention_period"], PreferredBackupWindow=p["preferred_backup_window"],
            EnableCloudwatchLogsExports=p["enable_cloudwatch_logs_exports"],
            EnableIAMDatabaseAuthentication=p["iam_database_authentication"],
            CopyTagsToSnapshot=p["copy_tags_to_snapshot"], DeletionProtection=p["deletion_protection"],
            Tags=ansible_dict_to_boto3_tag_list(p["tags"] or {}),
        )
        if p["preferred_maintenance_window"]:
            request["PreferredMaintenanceWindow"] = p["preferred_maintenance_window"]
        if p["backtrack_window"]:
            request["BacktrackWindow"] = p["backtrack_window"]
        if self.secondary:
            if global_cluster is None:
                message = ("global cluster %s does not exist; create it from the primary cluster "
                           "(tap.multiregion.aurora_global_cluster) before its secondaries" % self.global_id)
                if not self.check_mode:
                    raise Failure(message)
                self.warn(message)
            elif global_cluster.get("Status") != "available":
                self.wait_for_global_cluster(self.global_id, needed=True)
            request["GlobalClusterIdentifier"] = self.global_id
            how = "secondary of global cluster %s" % self.global_id
        else:
            request.update(MasterUsername=p["master_username"], DatabaseName=p["database_name"])
            if self.global_id:
                request["MasterUserPassword"] = password
            else:
                request.update(ManageMasterUserPassword=True, MasterUserSecretKmsKeyId=p["kms_key_id"])
            how = "%s %s" % (p["engine"], p["engine_version"])
        self.write("create %s (%s)" % (self.label, how), self.rds.create_db_cluster, **request)
        instances, after = self.create_instances({}, plan.instance_identifiers(self.identifier, p["instance_count"]))
        cluster, instances = self.wait_for_all(instances)
        view = plan.desired_cluster_view(p, bool(self.global_id), self.secondary)
        return cluster, instances, {}, dict(cluster=view, instances=after)

    def converge(self, cluster, instances, reset, password):
        p = self.params
        cluster, instances, ready = self.settle(cluster, instances)
        written = len(self.changes)
        changes, warnings = plan.cluster_modifications(cluster, p, bool(self.global_id), self.secondary)
        for warning in warnings:
            self.warn(warning)
        if self.global_id and not self.secondary and self.is_writer and cluster.get("MasterUserSecret"):
            changes["ManageMasterUserPassword"] = False  # not allowed in a global database: the module's secret
        extra = []
        if reset:  # the password is known outside check mode only
            if password:
                changes["MasterUserPassword"] = password
            extra.append("master password reset from secret %s" % p["master_user_secret_name"])
        member = plan.global_cluster_name(cluster.get("GlobalClusterIdentifier"))
        if self.secondary and member != self.global_id:
            self.warn("global_cluster_identifier: %s is not a member of global cluster %s; an existing cluster "
                      "cannot join a global database as a secondary (recreate it)" % (self.label, self.global_id))
        before = plan.cluster_view(cluster)
        after = plan.updated_cluster_view(before, changes)
        if changes or extra:
            self.change(ready, cluster, plan.change_sentence(self.label, plan.changed_attributes(before, after), extra),
                        self.rds.modify_db_cluster, DBClusterIdentifier=self.identifier,
                        ApplyImmediately=p["apply_immediately"], **changes)
        after["tags"] = self.sync_rds_tags(self.label, cluster)
        instances_before, instances_after, expected = self.ensure_instances(instances, ready)
        if len(self.changes) > written and not self.check_mode:
            cluster, instances = self.wait_for_all(expected)
        return cluster, instances, dict(cluster=before, instances=instances_before), \
            dict(cluster=after, instances=instances_after)

    # ------------------------------------------------------------------ absent

    def absent(self):
        cluster, instances, group = self.concurrently(
            lambda: self.db_cluster(self.identifier), self.describe_instances,
            lambda: parameter_group.describe(self, self.rds, self.group_name))
        if cluster is None:
            self.set_diff({"parameter_group": self.group_name} if group else {}, {})
            if group is not None:
                parameter_group.delete(self, self.rds, self.group_name)
            return {}
        self.set_diff(dict(cluster=plan.cluster_view(cluster),
                           instances=dict((k, plan.instance_view(v)) for k, v in instances.items())), {})
        if plan.status_of(cluster) != "deleting":
            self.delete_cluster(cluster, instances)
        gone = self.wait_until("%s to be deleted" % self.label, lambda: self.db_cluster(self.identifier) is None)
        if group is not None and (gone or self.check_mode):
            parameter_group.delete(self, self.rds, self.group_name)
        return {}

    def delete_cluster(self, cluster, instances):
        p = self.params
        if cluster.get("DeletionProtection") and not p["disable_deletion_protection"]:
            raise Failure("%s has deletion protection; refusing to delete it. Set disable_deletion_protection=true "
                          "to lift the protection and delete it." % self.label)
        global_id = plan.global_cluster_name(cluster.get("GlobalClusterIdentifier")) or self.global_id
        members = plan.global_members(self.global_cluster(global_id) if global_id else None)
        this = [m for m in members if m["db_cluster_arn"] == cluster["DBClusterArn"]]
        if this and this[0]["is_writer"] and len(members) > 1:
            raise Failure(
                "%s is the writer of global cluster %s, which still has other members (%s); AWS detaches the writer "
                "last: delete the global cluster first (tap.multiregion.aurora_global_cluster state=absent detaches "
                "the readers, then the writer)" % (self.label, global_id, ", ".join(
                    m["db_cluster_identifier"] for m in members if not m["is_writer"])))
        self.settle_for_deletion(cluster, instances)
        if cluster.get("DeletionProtection"):
            self.update(self.label, "deletion_protection", True, False, self.rds.modify_db_cluster,
                        DBClusterIdentifier=self.identifier, DeletionProtection=False, ApplyImmediately=True)
        for identifier, instance in sorted(instances.items()):
            if plan.status_of(instance) != "deleting":
                self.write("delete DB instance %s" % identifier, self.rds.delete_db_instance,
                           DBInstanceIdentifier=identifier, ignore="DBInstanceNotFound")
        if this:  # a detached member is promoted to a standalone cluster before it can be deleted
            self.detach(global_id, this[0])
            self.wait_detached(global_id, [this[0]], then=lambda: plan.status_of(
                self.db_cluster(self.identifier)) == "available")
        snapshot = p["final_snapshot_identifier"]
        final = dict(FinalDBSnapshotIdentifier=snapshot) if snapshot else dict(SkipFinalSnapshot=True)
        self.write("delete %s (%s)" % (self.label, "final snapshot %s" % snapshot if snapshot else "no final snapshot"),
                   self.rds.delete_db_cluster, ignore="DBClusterNotFoundFault", DBClusterIdentifier=self.identifier,
                   **final)


def main():
    argument_spec = dict(
        cluster_identifier=dict(type="str", required=True, aliases=["db_cluster_identifier"]),
        state=dict(type="str", choices=["present", "absent"], default="present"),
        engine=dict(type="str", choices=["aurora-mysql"], default="aurora-mysql"),
        engine_version=dict(type="str", default="8.0.mysql_aurora.3.04.0"),
        database_name=dict(type="str", default="tapdb"),
        master_username=dict(type="str", default="tapadmin"),
        port=dict(type="int", default=3306),
        kms_key_id=dict(type="str"),
        db_subnet_group_name=dict(type="str"),
        vpc_security_group_ids=dict(type="list", elements="str"),
        backup_retention_period=dict(type="int", default=7),
        preferred_backup_window=dict(type="str", default="03:00-04:00"),
        preferred_maintenance_window=dict(type="str"),
        enable_cloudwatch_logs_exports=dict(type="list", elements="str",
                                            default=["audit", "error", "general", "slowquery"]),
        iam_database_authentication=dict(type="bool", default=True),
        copy_tags_to_snapshot=dict(type="bool", default=True),
        backtrack_window=dict(type="int", default=86400),
        deletion_protection=dict(type="bool", default=True),
        parameter_group_name=dict(type="str"),
        parameter_group_family=dict(type="str", default="aurora-mysql8.0"),
        parameters=dict(type="dict", default={"require_secure_transport": "ON"}),
        parameter_apply_method=dict(type="str", choices=["immediate", "pending-reboot"], default="immediate"),
        instance_count=dict(type="int", default=2),
        instance_class=dict(type="str"),
        purge_instances=dict(type="bool", default=True),
        monitoring_interval=dict(type="int", choices=[0, 1, 5, 10, 15, 30, 60], default=60),
        monitoring_role_arn=dict(type="str"),
        performance_insights=dict(type="bool", default=True),
        performance_insights_retention_period=dict(type="int", default=7),
        global_cluster_identifier=dict(type="str"),
        role=dict(type="str", choices=["primary", "secondary"], default="primary"),
        master_user_secret_name=dict(type="str"),
        master_user_secret_replica_regions=dict(
            type="list", elements="dict", default=[], no_log=False,
            options=dict(region=dict(type="str", required=True), kms_key_id=dict(type="str")),
        ),
        final_snapshot_identifier=dict(type="str"),
        disable_deletion_protection=dict(type="bool", default=False),
        apply_immediately=dict(type="bool", default=True),
        wait=dict(type="bool", default=True),
        wait_timeout=dict(type="int", default=3600),
    )
    AuroraCluster.main(
        argument_spec,
        required_if=[("state", "present", ["kms_key_id", "db_subnet_group_name", "vpc_security_group_ids",
                                           "instance_class"])],
        tags=True,
    )


if __name__ == "__main__":
    main()
