#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: tap.multiregion contributors
# Apache License 2.0 (see LICENSE)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: aurora_cluster
short_description: Ensure an encrypted Aurora MySQL cluster, its parameter group and its instances
version_added: 0.1.0
description:
  - In one invocation ensures a DB cluster parameter group (by default C(require_secure_transport=ON)), an Aurora
    MySQL DB cluster and I(instance_count) DB instances in it, comparing what exists and changing only what
    differs (C(ModifyDBCluster), C(ModifyDBInstance), C(ModifyDBClusterParameterGroup), tags). A run with
    nothing to change makes no write call and reports C(changed=false).
  - The master password is never a parameter. A standalone cluster lets RDS generate and rotate it in AWS
    Secrets Manager (C(ManageMasterUserPassword)), encrypted with I(kms_key_id).
  - AWS does not allow RDS-managed master passwords in an Aurora global database. With
    I(global_cluster_identifier) and I(role=primary) the module asks Secrets Manager for a random password
    (C(GetRandomPassword)) inside its own process, stores it in the secret I(master_user_secret_name) (encrypted
    with I(kms_key_id), replicated to I(master_user_secret_replica_regions)) and hands it to
    C(CreateDBCluster). The password never appears in a parameter, result, diff or log.
  - A I(role=secondary) cluster joins the existing global cluster I(global_cluster_identifier) and is created
    without master credentials or database name (it gets them from the primary, an AWS rule). Create the
    global cluster from the primary with M(tap.multiregion.aurora_global_cluster) first.
  - With I(state=absent) the instances are deleted, the cluster is removed from its global database, then
    deleted (with a final snapshot when I(final_snapshot_identifier) is set). Deletion protection is only lifted
    when I(disable_deletion_protection=true); otherwise the module refuses.
author:
  - tap.multiregion maintainers (!UNKNOWN)
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
      - Required when I(state=present).
    type: str
  db_subnet_group_name:
    description: Existing DB subnet group (over the private subnets). Required when I(state=present).
    type: str
  vpc_security_group_ids:
    description: Security groups of the cluster. Required when I(state=present).
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
        I(global_cluster_identifier).
    type: int
    default: 86400
  deletion_protection:
    description: Deletion protection of the cluster.
    type: bool
    default: true
  parameter_group_name:
    description: Name of the DB cluster parameter group the module owns; defaults to I(cluster_identifier).
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
    description: DB instance class of every instance. Required when I(state=present).
    type: str
  purge_instances:
    description: Delete the module's own instances (C(<cluster_identifier>-<n>)) beyond I(instance_count).
    type: bool
    default: true
  monitoring_interval:
    description: Enhanced monitoring interval in seconds (0 disables).
    type: int
    choices: [0, 1, 5, 10, 15, 30, 60]
    default: 60
  monitoring_role_arn:
    description: IAM role RDS assumes to publish enhanced monitoring; required when I(monitoring_interval) > 0.
    type: str
  performance_insights:
    description:
      - Enable Performance Insights, encrypted with I(kms_key_id). AWS does not offer it on every instance
        class (not on db.t2/db.t3 for Aurora MySQL).
    type: bool
    default: true
  performance_insights_retention_period:
    description: Days Performance Insights data is kept (7 is the free tier).
    type: int
    default: 7
  global_cluster_identifier:
    description: The Aurora global database this cluster belongs to (see I(role)).
    type: str
  role:
    description:
      - Role of the cluster in the global database I(global_cluster_identifier). C(primary) clusters are created
        standalone (the global cluster is then created from them); C(secondary) clusters are created in it.
    type: str
    choices: [primary, secondary]
    default: primary
  master_user_secret_name:
    description:
      - Name of the Secrets Manager secret that holds the master credentials of a global database (required
        with I(global_cluster_identifier)). The primary creates it; a secondary only reports the ARN of its
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
    description: With I(state=absent), take a final snapshot of this name before the cluster is deleted.
    type: str
  disable_deletion_protection:
    description: With I(state=absent), lift the cluster's deletion protection first. Without it the module refuses.
    type: bool
    default: false
  apply_immediately:
    description: Apply modifications now rather than in the next maintenance window.
    type: bool
    default: true
  wait:
    description: Wait until the cluster and its instances are available (or deleted).
    type: bool
    default: true
  wait_timeout:
    description: Seconds to wait.
    type: int
    default: 3600
  tags:
    description: Tags of the cluster, its instances, its parameter group and (global primary) its secret.
    type: dict
    aliases: [resource_tags]
  purge_tags:
    description: Remove tags that are not in I(tags).
    type: bool
    default: true
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
  - tap.multiregion.attributes
notes:
  - Parameter group tags are set when the module creates the group.
  - The global primary's secret is kept on I(state=absent) so that a final snapshot can be restored with its
    credentials; delete it separately when it is no longer needed.
"""

EXAMPLES = r"""
- name: Ensure the regional Aurora cluster with two instances
  tap.multiregion.aurora_cluster:
    cluster_identifier: aurora-dev-us-east-1
    kms_key_id: "{{ baseline_kms_key_arn }}"
    db_subnet_group_name: aurora-dev-us-east-1
    vpc_security_group_ids: ["{{ db_sg_id }}"]
    backup_retention_period: 1
    deletion_protection: false
    instance_class: db.t3.medium
    instance_count: 2
    monitoring_role_arn: "{{ monitoring_role_arn }}"
    performance_insights: false
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
    master_user_secret:
      secret_arn: arn:aws:secretsmanager:us-east-1:123456789012:secret:rds!cluster-0a1b-AbCdEf
      kms_key_id: arn:aws:kms:us-east-1:123456789012:key/0a1b
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
instances:
  description: The cluster's instances (identifier, class, monitoring, Performance Insights, writer flag).
  returned: state=present
  type: list
  elements: dict
parameter_group:
  description: Name, family and the module-managed parameters of the cluster parameter group.
  returned: state=present
  type: dict
warnings:
  description: Differences the module cannot change in place.
  returned: when there are some
  type: list
  elements: str
"""

import json

try:
    from botocore.exceptions import BotoCoreError
    from botocore.exceptions import ClientError
except ImportError:
    pass  # handled by AnsibleAWSModule

from ansible.module_utils.common.dict_transformations import camel_dict_to_snake_dict
# Not module.warn: amazon.aws 10's AnsibleAWSModule also copies its warnings into the result,
# which ansible-core 2.19 answers with a deprecation warning.
from ansible.module_utils.common.warnings import warn

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry
from ansible_collections.amazon.aws.plugins.module_utils.tagging import ansible_dict_to_boto3_tag_list
from ansible_collections.amazon.aws.plugins.module_utils.tagging import compare_aws_tags

from ansible_collections.tap.multiregion.plugins.module_utils.aurora import AURORA_MYSQL_LOG_TYPES
from ansible_collections.tap.multiregion.plugins.module_utils.aurora import FORBIDDEN_MASTER_USERNAMES
from ansible_collections.tap.multiregion.plugins.module_utils.aurora import PASSWORD_EXCLUDED_CHARACTERS
from ansible_collections.tap.multiregion.plugins.module_utils.aurora import cluster_modifications
from ansible_collections.tap.multiregion.plugins.module_utils.aurora import cluster_view
from ansible_collections.tap.multiregion.plugins.module_utils.aurora import desired_cluster_view
from ansible_collections.tap.multiregion.plugins.module_utils.aurora import desired_instance_view
from ansible_collections.tap.multiregion.plugins.module_utils.aurora import global_cluster_name
from ansible_collections.tap.multiregion.plugins.module_utils.aurora import instance_identifiers
from ansible_collections.tap.multiregion.plugins.module_utils.aurora import instance_modifications
from ansible_collections.tap.multiregion.plugins.module_utils.aurora import instance_view
from ansible_collections.tap.multiregion.plugins.module_utils.aurora import is_alias
from ansible_collections.tap.multiregion.plugins.module_utils.aurora import parameter_changes
from ansible_collections.tap.multiregion.plugins.module_utils.aurora import same_kms_key
from ansible_collections.tap.multiregion.plugins.module_utils.aurora import secret_replica_changes
from ansible_collections.tap.multiregion.plugins.module_utils.aurora import surplus_instances
from ansible_collections.tap.multiregion.plugins.module_utils.aurora import tags_dict
from ansible_collections.tap.multiregion.plugins.module_utils.aurora import updated_cluster_view
from ansible_collections.tap.multiregion.plugins.module_utils import rds as rds_calls

POLL_SECONDS = 10


@AWSRetry.jittered_backoff()
def _paginate(client, operation, **params):
    return client.get_paginator(operation).paginate(**params).build_full_result()


class AuroraCluster:
    def __init__(self, module):
        self.module = module
        self.params = module.params
        self.identifier = self.params["cluster_identifier"].lower()
        self.rds = module.client("rds", retry_decorator=AWSRetry.jittered_backoff())
        self._secrets = None
        self.changed = False
        self.warnings = []
        self.global_member = bool(self.params["global_cluster_identifier"])
        self.secondary = self.global_member and self.params["role"] == "secondary"

    @property
    def secrets(self):
        if self._secrets is None:
            self._secrets = self.module.client("secretsmanager", retry_decorator=AWSRetry.jittered_backoff())
        return self._secrets

    # ---- describe -----------------------------------------------------------------------------------------
    def describe_cluster(self):
        try:
            clusters = self.rds.describe_db_clusters(aws_retry=True, DBClusterIdentifier=self.identifier)["DBClusters"]
        except is_boto3_error_code("DBClusterNotFoundFault"):
            return None
        except (BotoCoreError, ClientError) as e:  # pylint: disable=duplicate-except
            self.module.fail_json_aws(e, msg="Failed to describe DB cluster %s" % self.identifier)
        return clusters[0] if clusters else None

    def describe_instances(self):
        try:
            result = _paginate(
                self.rds, "describe_db_instances", Filters=[{"Name": "db-cluster-id", "Values": [self.identifier]}]
            )
        except (BotoCoreError, ClientError) as e:
            self.module.fail_json_aws(e, msg="Failed to describe the instances of DB cluster %s" % self.identifier)
        instances = [i for i in result.get("DBInstances", []) if i.get("DBClusterIdentifier") == self.identifier]
        return {i["DBInstanceIdentifier"]: i for i in instances}

    def describe_global_cluster(self, identifier):
        return rds_calls.describe_global_cluster(self.module, self.rds, identifier)

    def describe_secret(self, name):
        try:
            return self.secrets.describe_secret(aws_retry=True, SecretId=name)
        except is_boto3_error_code("ResourceNotFoundException"):
            return None
        except (BotoCoreError, ClientError) as e:  # pylint: disable=duplicate-except
            self.module.fail_json_aws(e, msg="Failed to describe secret %s" % name)

    # ---- waiting ------------------------------------------------------------------------------------------
    def wait_until(self, what, done):
        rds_calls.wait_until(self.module, what, done, POLL_SECONDS)

    def cluster_available(self):
        cluster = self.describe_cluster()
        return cluster is not None and cluster.get("Status") == "available"

    def instances_available(self):
        return all(i.get("DBInstanceStatus") == "available" for i in self.describe_instances().values())

    # ---- parameter group ----------------------------------------------------------------------------------
    def ensure_parameter_group(self):
        name = self.params["parameter_group_name"]
        family = self.params["parameter_group_family"]
        wanted = self.params["parameters"] or {}
        try:
            groups = self.rds.describe_db_cluster_parameter_groups(
                aws_retry=True, DBClusterParameterGroupName=name
            )["DBClusterParameterGroups"]
        except is_boto3_error_code("DBParameterGroupNotFound"):
            groups = []
        except (BotoCoreError, ClientError) as e:  # pylint: disable=duplicate-except
            self.module.fail_json_aws(e, msg="Failed to describe DB cluster parameter group %s" % name)

        current = {}
        if not groups:
            self.changed = True
            if not self.module.check_mode:
                try:
                    self.rds.create_db_cluster_parameter_group(
                        aws_retry=True,
                        DBClusterParameterGroupName=name,
                        DBParameterGroupFamily=family,
                        Description="Cluster parameters of %s (tap.multiregion)" % self.identifier,
                        Tags=ansible_dict_to_boto3_tag_list(self.params["tags"] or {}),
                    )
                except (BotoCoreError, ClientError) as e:
                    self.module.fail_json_aws(e, msg="Failed to create DB cluster parameter group %s" % name)
        else:
            if groups[0].get("DBParameterGroupFamily") != family:
                self.warnings.append(
                    "parameter_group_family: %s has family %s, not %s; a family cannot be changed (use another "
                    "parameter_group_name)" % (name, groups[0].get("DBParameterGroupFamily"), family)
                )
            try:
                described = _paginate(
                    self.rds, "describe_db_cluster_parameters", DBClusterParameterGroupName=name, Source="user"
                )
            except (BotoCoreError, ClientError) as e:
                self.module.fail_json_aws(e, msg="Failed to describe the parameters of %s" % name)
            current = {p["ParameterName"]: p.get("ParameterValue") for p in described.get("Parameters", [])}

        to_set = parameter_changes(current, wanted)
        if to_set:
            self.changed = True
            if not self.module.check_mode:
                method = self.params["parameter_apply_method"]
                items = sorted(to_set.items())
                try:
                    for start in range(0, len(items), 20):  # the API takes at most 20 parameters per call
                        self.rds.modify_db_cluster_parameter_group(
                            aws_retry=True,
                            DBClusterParameterGroupName=name,
                            Parameters=[
                                {"ParameterName": k, "ParameterValue": v, "ApplyMethod": method}
                                for k, v in items[start:start + 20]
                            ],
                        )
                except (BotoCoreError, ClientError) as e:
                    self.module.fail_json_aws(e, msg="Failed to set the parameters of %s" % name)
        before = {k: current.get(k) for k in wanted}
        after = {k: str(v) for k, v in wanted.items()}
        return before, after

    # ---- master credentials of a global database ----------------------------------------------------------
    def _secret_payload(self, password):
        return json.dumps({
            "username": self.params["master_username"],
            "password": password,
            "engine": "mysql",
            "port": self.params["port"],
            "dbClusterIdentifier": self.identifier,
        })

    def _random_password(self):
        try:
            password = self.secrets.get_random_password(
                aws_retry=True, PasswordLength=32, ExcludeCharacters=PASSWORD_EXCLUDED_CHARACTERS
            )["RandomPassword"]
        except (BotoCoreError, ClientError) as e:
            self.module.fail_json_aws(e, msg="Failed to generate a master password with Secrets Manager")
        # Belt and braces: mask it in anything the module might ever print.
        self.module.no_log_values.add(password)
        return password

    def ensure_global_secret(self, cluster):
        """Ensure the primary's secret; return (secret ARN, password to apply or None, password must be reset)."""
        name = self.params["master_user_secret_name"]
        kms_key_id = self.params["kms_key_id"]
        tags = self.params["tags"]
        secret = self.describe_secret(name)
        if secret and secret.get("DeletedDate"):
            self.module.fail_json(
                msg="master_user_secret_name: secret %s is scheduled for deletion; restore it (RestoreSecret) or "
                "choose another name" % name
            )
        # The cluster needs a password we know: at creation, or when it still has an RDS-managed one
        # (not allowed in a global database), or when our secret is missing (the password is lost).
        needs_password = cluster is None or bool(cluster.get("MasterUserSecret")) or secret is None
        password = None
        if secret is None:
            self.changed = True
            if self.module.check_mode:
                return None, None, cluster is not None
            password = self._random_password()
            add, _remove = secret_replica_changes([], self.params["master_user_secret_replica_regions"])
            request = dict(
                Name=name,
                Description="Master credentials of Aurora cluster %s (global database %s)"
                % (self.identifier, self.params["global_cluster_identifier"]),
                KmsKeyId=kms_key_id,
                SecretString=self._secret_payload(password),
                Tags=ansible_dict_to_boto3_tag_list(tags or {}),
            )
            if add:
                request["AddReplicaRegions"] = add
            try:
                arn = self.secrets.create_secret(aws_retry=True, **request)["ARN"]
            except (BotoCoreError, ClientError) as e:
                self.module.fail_json_aws(e, msg="Failed to create secret %s" % name)
            return arn, password, cluster is not None

        arn = secret["ARN"]
        if not same_kms_key(kms_key_id, secret.get("KmsKeyId")):
            self.changed = True
            if not self.module.check_mode:
                try:
                    self.secrets.update_secret(aws_retry=True, SecretId=arn, KmsKeyId=kms_key_id)
                except (BotoCoreError, ClientError) as e:
                    self.module.fail_json_aws(e, msg="Failed to re-encrypt secret %s" % name)
        add, remove = secret_replica_changes(
            secret.get("ReplicationStatus"), self.params["master_user_secret_replica_regions"]
        )
        if add or remove:
            self.changed = True
            if not self.module.check_mode:
                try:
                    if add:
                        self.secrets.replicate_secret_to_regions(aws_retry=True, SecretId=arn, AddReplicaRegions=add)
                    if remove:
                        self.secrets.remove_regions_from_replication(
                            aws_retry=True, SecretId=arn, RemoveReplicaRegions=remove
                        )
                except (BotoCoreError, ClientError) as e:
                    self.module.fail_json_aws(e, msg="Failed to update the replica regions of secret %s" % name)
        if tags is not None:
            to_set, to_unset = compare_aws_tags(tags_dict(secret.get("Tags")), tags, self.params["purge_tags"])
            if to_set or to_unset:
                self.changed = True
                if not self.module.check_mode:
                    try:
                        if to_unset:
                            self.secrets.untag_resource(aws_retry=True, SecretId=arn, TagKeys=to_unset)
                        if to_set:
                            self.secrets.tag_resource(
                                aws_retry=True, SecretId=arn, Tags=ansible_dict_to_boto3_tag_list(to_set)
                            )
                    except (BotoCoreError, ClientError) as e:
                        self.module.fail_json_aws(e, msg="Failed to tag secret %s" % name)
        if needs_password and not self.module.check_mode:
            try:
                value = self.secrets.get_secret_value(aws_retry=True, SecretId=arn)["SecretString"]
                password = json.loads(value)["password"]
            except (BotoCoreError, ClientError) as e:
                self.module.fail_json_aws(e, msg="Failed to read the master password from secret %s" % name)
            except (ValueError, KeyError, TypeError):
                self.module.fail_json(msg="Secret %s does not hold a JSON object with a password" % name)
            self.module.no_log_values.add(password)
        return arn, password, False

    def secondary_secret_arn(self):
        name = self.params["master_user_secret_name"]
        if not name:
            return None
        secret = self.describe_secret(name)
        if secret is None:
            self.warnings.append(
                "master_user_secret_name: no replica of %s in this region yet; add this region to the primary's "
                "master_user_secret_replica_regions" % name
            )
            return None
        return secret["ARN"]

    # ---- cluster ------------------------------------------------------------------------------------------
    def create_cluster(self, password):
        p = self.params
        request = dict(
            DBClusterIdentifier=self.identifier,
            Engine=p["engine"],
            EngineVersion=p["engine_version"],
            Port=p["port"],
            DBSubnetGroupName=p["db_subnet_group_name"],
            VpcSecurityGroupIds=p["vpc_security_group_ids"],
            DBClusterParameterGroupName=p["parameter_group_name"],
            StorageEncrypted=True,
            KmsKeyId=p["kms_key_id"],
            BackupRetentionPeriod=p["backup_retention_period"],
            PreferredBackupWindow=p["preferred_backup_window"],
            EnableCloudwatchLogsExports=p["enable_cloudwatch_logs_exports"],
            EnableIAMDatabaseAuthentication=p["iam_database_authentication"],
            CopyTagsToSnapshot=p["copy_tags_to_snapshot"],
            DeletionProtection=p["deletion_protection"],
            Tags=ansible_dict_to_boto3_tag_list(p["tags"] or {}),
        )
        if p["preferred_maintenance_window"]:
            request["PreferredMaintenanceWindow"] = p["preferred_maintenance_window"]
        if p["backtrack_window"]:
            request["BacktrackWindow"] = p["backtrack_window"]
        if self.secondary:
            request["GlobalClusterIdentifier"] = p["global_cluster_identifier"]
        else:
            request["MasterUsername"] = p["master_username"]
            request["DatabaseName"] = p["database_name"]
            if self.global_member:
                request["MasterUserPassword"] = password
            else:
                request["ManageMasterUserPassword"] = True
                request["MasterUserSecretKmsKeyId"] = p["kms_key_id"]
        try:
            self.rds.create_db_cluster(aws_retry=True, **request)
        except (BotoCoreError, ClientError) as e:
            self.module.fail_json_aws(e, msg="Failed to create DB cluster %s" % self.identifier)

    def ensure_tags(self, arn, current_tags, what):
        tags = self.params["tags"]
        if tags is None:
            return current_tags
        to_set, to_unset = compare_aws_tags(current_tags, tags, self.params["purge_tags"])
        if not (to_set or to_unset):
            return current_tags
        self.changed = True
        if not self.module.check_mode:
            try:
                if to_unset:
                    self.rds.remove_tags_from_resource(aws_retry=True, ResourceName=arn, TagKeys=to_unset)
                if to_set:
                    self.rds.add_tags_to_resource(
                        aws_retry=True, ResourceName=arn, Tags=ansible_dict_to_boto3_tag_list(to_set)
                    )
            except (BotoCoreError, ClientError) as e:
                self.module.fail_json_aws(e, msg="Failed to update the tags of %s" % what)
        result = {k: v for k, v in current_tags.items() if k not in to_unset}
        result.update(to_set)
        return result

    def modify_cluster(self, cluster, password, reset_password):
        changes, warnings = cluster_modifications(cluster, self.params, self.global_member, self.secondary)
        self.warnings.extend(warnings)
        if self.global_member and not self.secondary and cluster.get("MasterUserSecret"):
            # RDS-managed passwords are not allowed in a global database: switch to the module's secret.
            changes["ManageMasterUserPassword"] = False
            reset_password = True
        if reset_password:
            changes["MasterUserPassword"] = password
        if self.global_member and self.params["global_cluster_identifier"] != global_cluster_name(
            cluster.get("GlobalClusterIdentifier")
        ) and self.secondary:
            self.warnings.append(
                "global_cluster_identifier: %s is not a member of global cluster %s; an existing cluster cannot "
                "join a global database as a secondary (recreate it)"
                % (self.identifier, self.params["global_cluster_identifier"])
            )
        view = updated_cluster_view(cluster_view(cluster), changes)
        if changes:
            self.changed = True
            if not self.module.check_mode:
                if cluster.get("Status") != "available":
                    self.wait_until("DB cluster %s to be available" % self.identifier, self.cluster_available)
                try:
                    self.rds.modify_db_cluster(
                        aws_retry=True,
                        DBClusterIdentifier=self.identifier,
                        ApplyImmediately=self.params["apply_immediately"],
                        **changes,
                    )
                except (BotoCoreError, ClientError) as e:
                    self.module.fail_json_aws(e, msg="Failed to modify DB cluster %s" % self.identifier)
        view["tags"] = self.ensure_tags(cluster["DBClusterArn"], tags_dict(cluster.get("TagList")),
                                        "DB cluster %s" % self.identifier)
        return view

    # ---- instances ----------------------------------------------------------------------------------------
    def ensure_instances(self, instances):
        p = self.params
        before, after = {}, {}
        for identifier, instance in sorted(instances.items()):
            before[identifier] = instance_view(instance)
        created = []
        for identifier in instance_identifiers(self.identifier, p["instance_count"]):
            if identifier in instances:
                continue
            created.append(identifier)
            after[identifier] = desired_instance_view(identifier, p)
            self.changed = True
            if self.module.check_mode:
                continue
            request = dict(
                DBInstanceIdentifier=identifier,
                DBClusterIdentifier=self.identifier,
                Engine=p["engine"],
                DBInstanceClass=p["instance_class"],
                PubliclyAccessible=False,
                MonitoringInterval=p["monitoring_interval"],
                Tags=ansible_dict_to_boto3_tag_list(p["tags"] or {}),
            )
            if p["monitoring_interval"]:
                request["MonitoringRoleArn"] = p["monitoring_role_arn"]
            if p["performance_insights"]:
                request.update(
                    EnablePerformanceInsights=True,
                    PerformanceInsightsKMSKeyId=p["kms_key_id"],
                    PerformanceInsightsRetentionPeriod=p["performance_insights_retention_period"],
                )
            try:
                self.rds.create_db_instance(aws_retry=True, **request)
            except (BotoCoreError, ClientError) as e:
                self.module.fail_json_aws(e, msg="Failed to create DB instance %s" % identifier)

        surplus = surplus_instances(self.identifier, p["instance_count"], instances) if p["purge_instances"] else []
        for identifier, instance in sorted(instances.items()):
            if identifier in surplus:
                self.changed = True
                if not self.module.check_mode:
                    try:
                        self.rds.delete_db_instance(aws_retry=True, DBInstanceIdentifier=identifier)
                    except is_boto3_error_code("DBInstanceNotFound"):
                        pass
                    except (BotoCoreError, ClientError) as e:  # pylint: disable=duplicate-except
                        self.module.fail_json_aws(e, msg="Failed to delete surplus DB instance %s" % identifier)
                continue
            changes, warnings = instance_modifications(instance, p)
            self.warnings.extend(warnings)
            view = dict(before[identifier])
            if changes:
                view.update(_instance_changes_to_view(changes))
                self.changed = True
                if not self.module.check_mode:
                    try:
                        self.rds.modify_db_instance(
                            aws_retry=True,
                            DBInstanceIdentifier=identifier,
                            ApplyImmediately=p["apply_immediately"],
                            **changes,
                        )
                    except (BotoCoreError, ClientError) as e:
                        self.module.fail_json_aws(e, msg="Failed to modify DB instance %s" % identifier)
            view["tags"] = self.ensure_tags(instance["DBInstanceArn"], tags_dict(instance.get("TagList")),
                                            "DB instance %s" % identifier)
            after[identifier] = view
        return before, after, created

    # ---- present / absent ---------------------------------------------------------------------------------
    def present(self):
        cluster = self.describe_cluster()
        params_before, params_after = self.ensure_parameter_group()

        password, reset_password, secret_arn = None, False, None
        if self.global_member and not self.secondary:
            secret_arn, password, reset_password = self.ensure_global_secret(cluster)

        if cluster is None:
            if self.secondary:
                global_cluster = self.describe_global_cluster(self.params["global_cluster_identifier"])
                if global_cluster is None:
                    message = (
                        "global cluster %s does not exist; create it from the primary cluster "
                        "(tap.multiregion.aurora_global_cluster) before its secondaries"
                        % self.params["global_cluster_identifier"]
                    )
                    if not self.module.check_mode:
                        self.module.fail_json(msg=message)
                    self.warnings.append(message)
            self.changed = True
            cluster_before = {}
            cluster_after = desired_cluster_view(self.params, self.global_member, self.secondary)
            if not self.module.check_mode:
                self.create_cluster(password)
                self.wait_until("DB cluster %s to be available" % self.identifier, self.cluster_available)
            instances = {}
        else:
            cluster_before = cluster_view(cluster)
            cluster_after = self.modify_cluster(cluster, password, reset_password)
            instances = self.describe_instances()

        instances_before, instances_after, created = self.ensure_instances(instances)
        if created and not self.module.check_mode:
            self.wait_until("the instances of DB cluster %s to be available" % self.identifier,
                            self.instances_available)

        result = dict(changed=self.changed)
        # Describe again only after real changes; a check-mode creation has nothing to show.
        final = cluster if self.module.check_mode or not self.changed else self.describe_cluster()
        if final:
            snake = camel_dict_to_snake_dict({k: v for k, v in final.items() if k != "TagList"})
            snake["tags"] = tags_dict(final.get("TagList"))
            result.update(
                cluster=snake,
                cluster_arn=final["DBClusterArn"],
                endpoint=final.get("Endpoint"),
                reader_endpoint=final.get("ReaderEndpoint"),
            )
        if self.secondary:
            secret_arn = self.secondary_secret_arn()
        elif not self.global_member:
            secret_arn = ((final or {}).get("MasterUserSecret") or {}).get("SecretArn")
        result["master_user_secret_arn"] = secret_arn
        members = self.describe_instances() if self.changed and not self.module.check_mode else instances
        writers = {
            m["DBInstanceIdentifier"] for m in (final or {}).get("DBClusterMembers", []) if m.get("IsClusterWriter")
        }
        result["instances"] = [
            dict(instance_view(members[name]), is_cluster_writer=name in writers) for name in sorted(members)
        ]
        result["parameter_group"] = dict(
            name=self.params["parameter_group_name"],
            family=self.params["parameter_group_family"],
            parameters={k: str(v) for k, v in (self.params["parameters"] or {}).items()},
        )
        if self.module._diff:
            result["diff"] = dict(
                before=dict(cluster=cluster_before, instances=instances_before, parameters=params_before)
                if cluster is not None else {},
                after=dict(cluster=cluster_after, instances=instances_after, parameters=params_after),
            )
        return result

    def absent(self):
        cluster = self.describe_cluster()
        if cluster is None:
            return dict(changed=False)
        instances = self.describe_instances()
        before = dict(cluster=cluster_view(cluster), instances={k: instance_view(v) for k, v in instances.items()})
        result = dict(changed=True)
        if self.module._diff:
            result["diff"] = dict(before=before, after={})

        if cluster.get("DeletionProtection"):
            if not self.params["disable_deletion_protection"]:
                self.module.fail_json(
                    msg="DB cluster %s has deletion protection; refusing to delete it. Set "
                    "disable_deletion_protection=true to lift the protection and delete it." % self.identifier
                )
            if not self.module.check_mode:
                try:
                    self.rds.modify_db_cluster(
                        aws_retry=True, DBClusterIdentifier=self.identifier, DeletionProtection=False,
                        ApplyImmediately=True,
                    )
                except (BotoCoreError, ClientError) as e:
                    self.module.fail_json_aws(e, msg="Failed to lift the deletion protection of %s" % self.identifier)
        if self.module.check_mode:
            return result

        for identifier in sorted(instances):
            if instances[identifier].get("DBInstanceStatus") == "deleting":
                continue
            try:
                self.rds.delete_db_instance(aws_retry=True, DBInstanceIdentifier=identifier)
            except is_boto3_error_code("DBInstanceNotFound"):
                pass
            except (BotoCoreError, ClientError) as e:  # pylint: disable=duplicate-except
                self.module.fail_json_aws(e, msg="Failed to delete DB instance %s" % identifier)

        global_id = (
            global_cluster_name(cluster.get("GlobalClusterIdentifier")) or self.params["global_cluster_identifier"]
        )
        if global_id:
            self.leave_global_cluster(global_id, cluster["DBClusterArn"])

        request = dict(DBClusterIdentifier=self.identifier)
        if self.params["final_snapshot_identifier"]:
            request["FinalDBSnapshotIdentifier"] = self.params["final_snapshot_identifier"]
        else:
            request["SkipFinalSnapshot"] = True
        delete = AWSRetry.jittered_backoff(catch_extra_error_codes=["InvalidDBClusterStateFault"])(
            self.rds.delete_db_cluster
        )
        try:
            delete(**request)
        except is_boto3_error_code("DBClusterNotFoundFault"):
            pass
        except (BotoCoreError, ClientError) as e:  # pylint: disable=duplicate-except
            self.module.fail_json_aws(e, msg="Failed to delete DB cluster %s" % self.identifier)
        self.wait_until("DB cluster %s to be deleted" % self.identifier, lambda: self.describe_cluster() is None)
        if self.params["wait"]:
            self.delete_parameter_group()
        return result

    def leave_global_cluster(self, global_id, arn):
        global_cluster = self.describe_global_cluster(global_id)
        if global_cluster is None:
            return
        if not any(m["DBClusterArn"] == arn for m in global_cluster.get("GlobalClusterMembers", [])):
            return
        try:
            self.rds.remove_from_global_cluster(
                aws_retry=True, GlobalClusterIdentifier=global_id, DbClusterIdentifier=arn
            )
        except (BotoCoreError, ClientError) as e:
            self.module.fail_json_aws(
                e, msg="Failed to remove %s from global cluster %s" % (self.identifier, global_id)
            )

        def detached():
            current = self.describe_global_cluster(global_id)
            return current is None or all(m["DBClusterArn"] != arn for m in current.get("GlobalClusterMembers", []))

        self.wait_until("%s to leave global cluster %s" % (self.identifier, global_id), detached)

    def delete_parameter_group(self):
        name = self.params["parameter_group_name"]
        try:
            self.rds.delete_db_cluster_parameter_group(aws_retry=True, DBClusterParameterGroupName=name)
        except is_boto3_error_code(["DBParameterGroupNotFound", "DBClusterParameterGroupNotFound"]):
            pass
        except is_boto3_error_code("InvalidDBParameterGroupState"):  # pylint: disable=duplicate-except
            self.warnings.append("parameter group %s is still in use by another cluster; kept" % name)
        except (BotoCoreError, ClientError) as e:  # pylint: disable=duplicate-except
            self.module.fail_json_aws(e, msg="Failed to delete DB cluster parameter group %s" % name)


def _instance_changes_to_view(changes):
    mapping = {
        "DBInstanceClass": "db_instance_class",
        "PubliclyAccessible": "publicly_accessible",
        "MonitoringInterval": "monitoring_interval",
        "MonitoringRoleArn": "monitoring_role_arn",
        "EnablePerformanceInsights": "performance_insights_enabled",
        "PerformanceInsightsKMSKeyId": "performance_insights_kms_key_id",
        "PerformanceInsightsRetentionPeriod": "performance_insights_retention_period",
    }
    return {mapping[k]: v for k, v in changes.items() if k in mapping}


def validate(module):
    p = module.params
    if p["state"] == "absent":
        return
    if p["master_username"].lower() in FORBIDDEN_MASTER_USERNAMES:
        module.fail_json(
            msg="master_username: %r is reserved or too easy to guess; choose another name (default tapadmin)"
            % p["master_username"]
        )
    if is_alias(p["kms_key_id"]):
        module.fail_json(msg="kms_key_id: give the key ARN or key id, not an alias (%s)" % p["kms_key_id"])
    unknown = sorted(set(p["enable_cloudwatch_logs_exports"]) - set(AURORA_MYSQL_LOG_TYPES))
    if unknown:
        module.fail_json(
            msg="enable_cloudwatch_logs_exports: unknown log type(s) %s; Aurora MySQL exports %s"
            % (", ".join(unknown), ", ".join(AURORA_MYSQL_LOG_TYPES))
        )
    if not 0 <= p["backtrack_window"] <= 259200:
        module.fail_json(msg="backtrack_window: %s is outside 0..259200 seconds" % p["backtrack_window"])
    if p["global_cluster_identifier"] and p["backtrack_window"]:
        module.fail_json(
            msg="backtrack_window: Aurora global databases do not support backtracking; set backtrack_window: 0 "
            "for clusters in global database %s" % p["global_cluster_identifier"]
        )
    if p["global_cluster_identifier"] and p["role"] == "primary" and not p["master_user_secret_name"]:
        module.fail_json(
            msg="master_user_secret_name: required for the primary of a global database (RDS-managed master "
            "passwords are not allowed there; the module keeps the password in this secret)"
        )
    if p["role"] == "secondary" and not p["global_cluster_identifier"]:
        module.fail_json(msg="role=secondary needs global_cluster_identifier")
    if p["monitoring_interval"] and not p["monitoring_role_arn"]:
        module.fail_json(msg="monitoring_role_arn: required when monitoring_interval is %s" % p["monitoring_interval"])
    if not 1 <= p["backup_retention_period"] <= 35:
        module.fail_json(msg="backup_retention_period: %s is outside 1..35 days" % p["backup_retention_period"])
    if p["instance_count"] < 0:
        module.fail_json(msg="instance_count: must not be negative")


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
        enable_cloudwatch_logs_exports=dict(
            type="list", elements="str", default=["audit", "error", "general", "slowquery"]
        ),
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
        tags=dict(type="dict", aliases=["resource_tags"]),
        purge_tags=dict(type="bool", default=True),
    )
    module = AnsibleAWSModule(
        argument_spec=argument_spec,
        required_if=[("state", "present", ["kms_key_id", "db_subnet_group_name", "vpc_security_group_ids",
                                           "instance_class"])],
        supports_check_mode=True,
    )
    if not module.params["parameter_group_name"]:
        module.params["parameter_group_name"] = module.params["cluster_identifier"].lower()
    validate(module)

    aurora = AuroraCluster(module)
    result = aurora.present() if module.params["state"] == "present" else aurora.absent()
    if aurora.warnings:
        for warning in aurora.warnings:
            warn(warning)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
