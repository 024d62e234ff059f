"""AWS's RDS rules that moto does not enforce, under the aws profile, answered with AWS's errors.

Gap: moto 5.2.5 modifies and deletes resources in any state, sells every instance class for every
engine version, and lets burstable classes into global databases. AWS refuses all of these. Under
the aws profile (``profile.current().aws``):

* ModifyDBCluster on a cluster that is not ``available``: InvalidDBClusterStateFault
  "DB cluster is not available for modification with status <status>" (AWS's message as reported by
  aws-controllers-k8s/community#1107).
* ModifyDBInstance on an instance that is not ``available``: InvalidDBInstanceState
  "Database instance is not in available state." (CloudTrail record in hashicorp/terraform-provider-aws#31594).
* DeleteDBCluster on a cluster already ``deleting``: InvalidDBClusterStateFault with the fault's documented
  description (AWS's exact text for this case was not found). A cluster that still has instances not
  ``deleting`` is refused by moto itself with AWS's "Cluster cannot be deleted, it still contains DB
  instances in non-deleting state." (emulator.rds_states lets deleting instances through).
* DeleteDBInstance on an instance already ``deleting``: InvalidDBInstanceState "Instance is already being
  deleted" (hashicorp/terraform-provider-aws#11434); the last instance of a global database's primary
  cluster while secondaries remain: InvalidDBClusterStateFault "Cannot delete the last instance of the
  master cluster. Delete the replica cluster before deleting the last master cluster instance."
  (hashicorp/terraform-provider-aws#26234).
* CreateDBInstance, and ModifyDBInstance changing DBInstanceClass, with a class not orderable for the
  engine version (``emulator.rds_catalog``; versions it does not know are let through):
  InvalidParameterCombination "RDS does not support creating a DB instance with the following
  combination: DBInstanceClass=..., Engine=..., EngineVersion=..., LicenseModel=.... For supported
  combinations of instance class and database engine version, see the documentation."
  (code-dot-org/code-dot-org#59735). e.g. db.t3.small exists for Aurora MySQL 2 only.
* A burstable class (db.t*) in a global database: CreateDBInstance or ModifyDBInstance for a member
  cluster answers InvalidParameterCombination "The requested instance class is not supported by global
  databases: <class>" (hashicorp/terraform-provider-aws#27736). CreateGlobalCluster from a source cluster
  with such an instance answers the same error (assumed: AWS's text for that call was not found).
"""

from __future__ import annotations

import functools

from emulator import rds_catalog
from emulator.rds_timeline import aws, cluster_instances, deleting, find_cluster, global_cluster_of, reap

CLUSTER_STATE_FAULT = "The requested operation can't be performed while the cluster is in this state."
INSTANCE_NOT_AVAILABLE = "Database instance is not in available state."
INSTANCE_ALREADY_DELETING = "Instance is already being deleted"
LAST_PRIMARY_INSTANCE = (
    "Cannot delete the last instance of the master cluster. "
    "Delete the replica cluster before deleting the last master cluster instance."
)


def not_orderable_message(instance_class: str, engine: str, engine_version: str, license_model: str) -> str:
    return (
        "RDS does not support creating a DB instance with the following combination: "
        f"DBInstanceClass={instance_class}, Engine={engine}, EngineVersion={engine_version}, "
        f"LicenseModel={license_model}. For supported combinations of instance class and database engine "
        "version, see the documentation."
    )


def not_global_message(instance_class: str) -> str:
    return f"The requested instance class is not supported by global databases: {instance_class}"


def _check_class(exceptions, instance_class, engine, engine_version, license_model, cluster) -> None:
    if not instance_class:
        return
    if rds_catalog.orderable(engine, engine_version, instance_class) is False:
        raise exceptions.InvalidParameterCombination(
            not_orderable_message(instance_class, engine, engine_version, license_model or rds_catalog.LICENSE_MODEL)
        )
    if cluster is not None and rds_catalog.is_burstable(instance_class) and global_cluster_of(cluster) is not None:
        raise exceptions.InvalidParameterCombination(not_global_message(instance_class))


def _patch_instances(models, exceptions) -> None:
    create = models.RDSBackend.create_db_instance

    @functools.wraps(create)
    def create_db_instance(self, db_kwargs):
        if aws():
            reap(self)
            cluster = self.clusters.get(db_kwargs.get("db_cluster_identifier") or "")
            version = cluster.engine_version if cluster is not None else db_kwargs.get("engine_version")
            _check_class(
                exceptions,
                db_kwargs.get("db_instance_class"),
                db_kwargs.get("engine"),
                version,
                db_kwargs.get("license_model"),
                cluster,
            )
        return create(self, db_kwargs)

    modify = models.RDSBackend.modify_db_instance

    @functools.wraps(modify)
    def modify_db_instance(self, db_instance_identifier, db_kwargs):
        if aws():
            reap(self)
            instance = self.describe_db_instances(db_instance_identifier)[0]
            if instance.status != "available":
                raise exceptions.RDSClientError("InvalidDBInstanceState", INSTANCE_NOT_AVAILABLE)
            wanted = db_kwargs.get("db_instance_class")
            if wanted and wanted != instance.db_instance_class:
                cluster = self.clusters.get(instance.db_cluster_identifier or "")
                version = cluster.engine_version if cluster is not None else instance.engine_version
                _check_class(exceptions, wanted, instance.engine, version, instance.license_model, cluster)
        return modify(self, db_instance_identifier, db_kwargs)

    delete = models.RDSBackend.delete_db_instance

    @functools.wraps(delete)
    def delete_db_instance(self, db_instance_identifier, *args, **kwargs):
        if aws():
            reap(self)
            instance = self.databases.get(db_instance_identifier)
            if instance is not None and deleting(instance):
                raise exceptions.RDSClientError("InvalidDBInstanceState", INSTANCE_ALREADY_DELETING)
            cluster = self.clusters.get(getattr(instance, "db_cluster_identifier", None) or "")
            if cluster is not None and _last_primary_instance(self, cluster, instance):
                raise exceptions.InvalidDBClusterStateFault(LAST_PRIMARY_INSTANCE)
        return delete(self, db_instance_identifier, *args, **kwargs)

    models.RDSBackend.create_db_instance = create_db_instance
    models.RDSBackend.modify_db_instance = modify_db_instance
    models.RDSBackend.delete_db_instance = delete_db_instance


def _last_primary_instance(backend, cluster, instance) -> bool:
    global_cluster = global_cluster_of(cluster)
    if global_cluster is None or not cluster.is_writer or len(global_cluster.members) < 2:
        return False
    remaining = [i for i in cluster_instances(backend, cluster) if i is not instance and not deleting(i)]
    return not remaining


def _patch_clusters(models, exceptions) -> None:
    modify = models.RDSBackend.modify_db_cluster

    @functools.wraps(modify)
    def modify_db_cluster(self, kwargs):
        if aws():
            reap(self)
            cluster = self.clusters.get(kwargs["db_cluster_identifier"])
            if cluster is None:
                raise exceptions.DBClusterNotFoundError(kwargs["db_cluster_identifier"])
            status = cluster.status
            if status != "available":
                raise exceptions.InvalidDBClusterStateFault(
                    f"DB cluster is not available for modification with status {status}"
                )
        return modify(self, kwargs)

    delete = models.RDSBackend.delete_db_cluster

    @functools.wraps(delete)
    def delete_db_cluster(self, cluster_identifier, *args, **kwargs):
        if aws():
            reap(self)
            cluster = self.clusters.get(cluster_identifier)
            if cluster is not None and deleting(cluster):
                raise exceptions.InvalidDBClusterStateFault(CLUSTER_STATE_FAULT)
        return delete(self, cluster_identifier, *args, **kwargs)

    models.RDSBackend.modify_db_cluster = modify_db_cluster
    models.RDSBackend.delete_db_cluster = delete_db_cluster


def _patch_global_creation(models, exceptions) -> None:
    create = models.RDSBackend.create_global_cluster

    @functools.wraps(create)
    def create_global_cluster(self, global_cluster_identifier, source_db_cluster_identifier, **kwargs):
        if aws() and source_db_cluster_identifier:
            region = self.region_name
            source = find_cluster(self.account_id, region, source_db_cluster_identifier)
            if source is not None:
                backend = models.rds_backends[source.account_id][source.region]
                for instance in cluster_instances(backend, source):
                    if rds_catalog.is_burstable(instance.db_instance_class) and not deleting(instance):
                        raise exceptions.InvalidParameterCombination(not_global_message(instance.db_instance_class))
        return create(self, global_cluster_identifier, source_db_cluster_identifier, **kwargs)

    models.RDSBackend.create_global_cluster = create_global_cluster


def install() -> None:
    from moto.rds import exceptions, models

    _patch_instances(models, exceptions)
    _patch_clusters(models, exceptions)
    _patch_global_creation(models, exceptions)
