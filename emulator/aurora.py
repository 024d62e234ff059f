"""Aurora gaps of moto 5.2.5 that tap.multiregion's aurora modules run into.

Each patch makes moto answer like AWS does, so that the modules run their real-AWS code paths:

* Performance Insights: moto drops EnablePerformanceInsights / PerformanceInsightsKMSKeyId /
  PerformanceInsightsRetentionPeriod on CreateDBInstance and ModifyDBInstance; they are kept and reported.
* ModifyDBCluster ignores CloudwatchLogsExportConfiguration and EnableIAMDatabaseAuthentication; both apply.
* Global clusters (moto keeps them all in the us-east-1 backend):
  - CreateGlobalCluster from a source cluster makes that cluster the writer, reports the global cluster's
    identifier (not its ARN) as the member's GlobalClusterIdentifier, inherits StorageEncrypted and keeps Tags;
  - DescribeGlobalClusters honours GlobalClusterIdentifier (GlobalClusterNotFoundFault when unknown);
  - RemoveFromGlobalCluster works from any region with the member's ARN and detaches the member;
  - ModifyGlobalCluster (DeletionProtection) exists;
  - CreateDBCluster into an unknown global cluster fails (GlobalClusterNotFoundFault), and DeleteDBCluster
    refuses a cluster that is still a global member (InvalidDBClusterStateFault), as AWS does.
* ModifyDBSubnetGroup keeps the group: moto takes it out of the backend and never puts it back, so the
  modified group vanished (DBSubnetGroupNotFoundFault on the next describe).
* Secrets Manager replicas keep the KmsKeyId they were replicated with.
"""

from __future__ import annotations

import functools

PI_KEYS = ("enable_performance_insights", "performance_insights_kms_key_id", "performance_insights_retention_period")


def _kms_arn(account_id: str, region: str, key_id: str | None) -> str | None:
    if not key_id or key_id.startswith("arn:"):
        return key_id
    try:
        from moto.kms.models import kms_backends

        return kms_backends[account_id][region].describe_key(key_id).arn
    except Exception:  # noqa: BLE001 - unknown keys are reported as given
        return key_id


def _apply_performance_insights(instance, values: dict) -> None:
    if values.get("enable_performance_insights") is None:
        return
    if values["enable_performance_insights"]:
        instance.performance_insights_enabled = True
        key = values.get("performance_insights_kms_key_id") or getattr(
            instance, "performance_insights_kms_key_id", None
        )
        instance.performance_insights_kms_key_id = _kms_arn(instance.account_id, instance.region, key)
        instance.performance_insights_retention_period = (
            values.get("performance_insights_retention_period")
            or getattr(instance, "performance_insights_retention_period", None)
            or 7
        )
    else:
        instance.performance_insights_enabled = False
        instance.performance_insights_kms_key_id = None
        instance.performance_insights_retention_period = None


def _patch_performance_insights(models) -> None:
    original_init = models.DBInstance.__init__
    original_update = models.DBInstance.update

    @functools.wraps(original_init)
    def __init__(self, *args, **kwargs):
        original_init(self, *args, **kwargs)
        self.performance_insights_enabled = False
        _apply_performance_insights(self, kwargs)

    @functools.wraps(original_update)
    def update(self, *args, **kwargs):
        values = {key: kwargs.pop(key) for key in PI_KEYS if key in kwargs}
        original_update(self, *args, **kwargs)
        _apply_performance_insights(self, values)

    models.DBInstance.__init__ = __init__
    models.DBInstance.update = update


def _patch_modify_db_cluster(models) -> None:
    original = models.RDSBackend.modify_db_cluster

    @functools.wraps(original)
    def modify_db_cluster(self, kwargs):
        export = kwargs.pop("cloudwatch_logs_export_configuration", None)
        iam_auth = kwargs.pop("enable_iam_database_authentication", None)
        cluster_id = kwargs["db_cluster_identifier"]
        result = original(self, kwargs)
        cluster = self.clusters[kwargs.get("new_db_cluster_identifier") or cluster_id]
        if export:
            logs = [t for t in cluster.enabled_cloudwatch_logs_exports if t not in export.get("DisableLogTypes", [])]
            logs += [t for t in export.get("EnableLogTypes", []) if t not in logs]
            cluster.enabled_cloudwatch_logs_exports = logs
            result.enabled_cloudwatch_logs_exports = list(logs)
        if iam_auth is not None:
            cluster.iam_auth = bool(iam_auth)
            result.iam_auth = bool(iam_auth)
        return result

    models.RDSBackend.modify_db_cluster = modify_db_cluster


def _patch_modify_db_subnet_group(models, exceptions) -> None:
    original = models.RDSBackend.modify_db_subnet_group

    @functools.wraps(original)
    def modify_db_subnet_group(self, subnet_name, description, subnets):
        if subnet_name not in self.subnet_groups:
            raise exceptions.DBSubnetGroupNotFoundError(subnet_name)
        group = original(self, subnet_name, description, subnets)
        self.subnet_groups[subnet_name] = group
        return group

    models.RDSBackend.modify_db_subnet_group = modify_db_subnet_group


def _patch_global_clusters(models, responses, exceptions) -> None:
    from moto.core.responses import ActionResult

    def global_not_found(identifier: str):
        return exceptions.RDSClientError("GlobalClusterNotFoundFault", f"Global cluster {identifier} not found.")

    def global_backend(account_id: str):
        return models.rds_backends[account_id]["us-east-1"]

    def find_global(account_id: str, identifier: str):
        clusters = global_backend(account_id).global_clusters
        identifier = (identifier or "").rsplit(":", 1)[-1].lower()
        for key, global_cluster in clusters.items():
            if key.lower() == identifier or global_cluster.global_cluster_identifier == identifier:
                return global_cluster
        return None

    original_create_global = models.RDSBackend.create_global_cluster

    @functools.wraps(original_create_global)
    def create_global_cluster(self, global_cluster_identifier, source_db_cluster_identifier, **kwargs):
        if find_global(self.account_id, global_cluster_identifier) is not None:
            raise exceptions.RDSClientError(
                "GlobalClusterAlreadyExistsFault", f"Global cluster {global_cluster_identifier} already exists"
            )
        if not source_db_cluster_identifier:
            return original_create_global(self, global_cluster_identifier, None, **kwargs)
        if kwargs.get("engine") is not None:
            raise exceptions.InvalidParameterCombination(
                "When creating global cluster from existing db cluster, value for engineName should not be "
                "specified since it will be inherited from source cluster"
            )
        if not source_db_cluster_identifier.startswith("arn:"):
            raise exceptions.InvalidParameterValue("Malformed db cluster arn dbci")
        # The source may live in any region (moto only looked in us-east-1): find it where it lives.
        region = source_db_cluster_identifier.split(":")[3]
        source = models.rds_backends[self.account_id][region].describe_db_clusters(
            db_cluster_identifier=source_db_cluster_identifier
        )[0]
        if any(source in g.members for g in global_backend(self.account_id).global_clusters.values()):
            raise exceptions.InvalidParameterValue(
                f"Cluster {source.db_cluster_identifier} is already a member of a global cluster"
            )
        kwargs.update(engine=source.engine, engine_version=source.engine_version)
        if kwargs.get("storage_encrypted") is None:
            kwargs["storage_encrypted"] = bool(source.storage_encrypted)
        global_cluster = original_create_global(self, global_cluster_identifier, None, **kwargs)
        source.is_writer = True
        source.global_cluster_identifier = global_cluster.global_cluster_identifier
        global_cluster.members.append(source)
        return global_cluster

    models.RDSBackend.create_global_cluster = create_global_cluster

    original_create_cluster = models.RDSBackend.create_db_cluster

    @functools.wraps(original_create_cluster)
    def create_db_cluster(self, kwargs):
        identifier = kwargs.get("global_cluster_identifier")
        if identifier and find_global(self.account_id, identifier) is None:
            raise global_not_found(identifier)
        return original_create_cluster(self, kwargs)

    models.RDSBackend.create_db_cluster = create_db_cluster

    original_delete_cluster = models.RDSBackend.delete_db_cluster

    @functools.wraps(original_delete_cluster)
    def delete_db_cluster(self, cluster_identifier, snapshot_name=None):
        cluster = self.clusters.get(cluster_identifier)
        if cluster is not None:
            for global_cluster in global_backend(self.account_id).global_clusters.values():
                if cluster in global_cluster.members:
                    raise exceptions.InvalidDBClusterStateFault(
                        "This cluster is a part of a global cluster, please remove it from globalcluster first"
                    )
            cluster.global_cluster_identifier = None
        return original_delete_cluster(self, cluster_identifier, snapshot_name)

    models.RDSBackend.delete_db_cluster = delete_db_cluster

    original_create_response = responses.RDSResponse.create_global_cluster

    @functools.wraps(original_create_response)
    def create_global_cluster_response(self):
        result = original_create_response(self)
        global_cluster = find_global(self.current_account, self.params["GlobalClusterIdentifier"])
        if global_cluster is not None and self.params.get("Tags"):
            global_cluster.tags = list(self.params["Tags"])
        return result

    def describe_global_clusters(self):
        identifier = self.params.get("GlobalClusterIdentifier")
        clusters = self.global_backend.describe_global_clusters()
        if identifier:
            found = find_global(self.current_account, identifier)
            if found is None:
                raise global_not_found(identifier)
            clusters = [found]
        return ActionResult({"GlobalClusters": clusters})

    def remove_from_global_cluster(self):
        identifier = self.params["GlobalClusterIdentifier"]
        member_id = self.params["DbClusterIdentifier"]
        global_cluster = find_global(self.current_account, identifier)
        if global_cluster is None:
            raise global_not_found(identifier)
        for member in list(global_cluster.members):
            if member_id in (member.db_cluster_arn, member.db_cluster_identifier):
                global_cluster.members.remove(member)
                member.global_cluster_identifier = None
                member.is_writer = False
                break
        else:
            raise exceptions.DBClusterNotFoundError(member_id)
        return ActionResult({"GlobalCluster": global_cluster})

    def modify_global_cluster(self):
        identifier = self.params["GlobalClusterIdentifier"]
        global_cluster = find_global(self.current_account, identifier)
        if global_cluster is None:
            raise global_not_found(identifier)
        if self.params.get("DeletionProtection") is not None:
            global_cluster.deletion_protection = bool(self.params["DeletionProtection"])
        return ActionResult({"GlobalCluster": global_cluster})

    responses.RDSResponse.create_global_cluster = create_global_cluster_response
    responses.RDSResponse.describe_global_clusters = describe_global_clusters
    responses.RDSResponse.remove_from_global_cluster = remove_from_global_cluster
    responses.RDSResponse.modify_global_cluster = modify_global_cluster

    original_delete_global = models.RDSBackend.delete_global_cluster

    @functools.wraps(original_delete_global)
    def delete_global_cluster(self, global_cluster_identifier):
        global_cluster = find_global(self.account_id, global_cluster_identifier)
        if global_cluster is None:
            raise global_not_found(global_cluster_identifier)
        if global_cluster.deletion_protection:
            raise exceptions.InvalidParameterCombination(
                "Cannot delete protected global cluster, please disable deletion protection and try again."
            )
        return original_delete_global(self, global_cluster_identifier)

    models.RDSBackend.delete_global_cluster = delete_global_cluster


def _patch_secret_replica_keys() -> None:
    from moto.secretsmanager import models

    original_create_replicas = models.FakeSecret.create_replicas

    @functools.wraps(original_create_replicas)
    def create_replicas(self, replica_regions, force_overwrite):
        replicas = original_create_replicas(self, replica_regions, force_overwrite)
        for replica, config in zip(replicas, replica_regions or [], strict=False):
            if config.get("KmsKeyId"):
                replica.config["KmsKeyId"] = _kms_arn(self.account_id, replica.region, config["KmsKeyId"])
        return replicas

    original_to_dict = models.ReplicaSecret.to_dict

    @functools.wraps(original_to_dict)
    def to_dict(self):
        result = original_to_dict(self)
        if self.config.get("KmsKeyId") != models.SecretsManagerBackend.DEFAULT_KMS_KEY_ALIAS:
            result["KmsKeyId"] = self.config["KmsKeyId"]
        return result

    models.FakeSecret.create_replicas = create_replicas
    models.ReplicaSecret.to_dict = to_dict


def install() -> None:
    from moto.rds import exceptions, models, responses

    _patch_performance_insights(models)
    _patch_modify_db_cluster(models)
    _patch_modify_db_subnet_group(models, exceptions)
    _patch_global_clusters(models, responses, exceptions)
    _patch_secret_replica_keys()
