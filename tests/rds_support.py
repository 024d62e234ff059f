"""Helpers for the emulator's RDS tests: unique names, Aurora clusters, watching states change."""

from __future__ import annotations

import time
import uuid

ENGINE = "aurora-mysql"
VERSION_3 = "8.0.mysql_aurora.3.04.0"
VERSION_2 = "5.7.mysql_aurora.2.11.2"
# A phase a test must see by polling: a real second at the tests' time scale (600 AWS seconds per second).
SEEN = 600
# Fast transitions for the aws profile (AWS seconds; the test emulator runs 600 of them per real second).
FAST = {
    "rds.cluster.create": 6,
    "rds.cluster.modify": 6,
    "rds.cluster.delete": 6,
    "rds.instance.create": 6,
    "rds.instance.monitoring": 3,
    "rds.instance.modify": 6,
    "rds.instance.delete": 6,
    "rds.global.join": 6,
    "rds.global.detach": 6,
    "rds.global.switchover": 6,
    "rds.global.failover": 6,
    # Monitoring roles made by a test are usable at once (IAM propagation is tested on its own).
    "iam.role.propagation": 0,
}


def name(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def observe(read, done, timeout: float = 20.0, pause: float = 0.01) -> list:
    """The distinct values read() returns, in order, until done(value); a guard timeout, not a measure."""
    seen: list = []
    deadline = time.monotonic() + timeout
    while True:
        value = read()
        if not seen or seen[-1] != value:
            seen.append(value)
        if done(value):
            return seen
        if time.monotonic() > deadline:
            raise AssertionError(f"still not done after {timeout}s; seen {seen}")
        time.sleep(pause)


def cluster_status(rds, identifier: str) -> str | None:
    clusters = rds.describe_db_clusters(Filters=[{"Name": "db-cluster-id", "Values": [identifier]}])["DBClusters"]
    return clusters[0]["Status"] if clusters else None


def instance_status(rds, identifier: str) -> str | None:
    instances = rds.describe_db_instances(Filters=[{"Name": "db-instance-id", "Values": [identifier]}])["DBInstances"]
    return instances[0]["DBInstanceStatus"] if instances else None


def wait_available(rds, cluster: str, instances: tuple[str, ...] = ()) -> None:
    observe(lambda: cluster_status(rds, cluster), lambda s: s == "available")
    for instance in instances:
        observe(lambda i=instance: instance_status(rds, i), lambda s: s == "available")


def create_cluster(rds, identifier: str, version: str = VERSION_3, global_cluster: str | None = None) -> dict:
    request = dict(DBClusterIdentifier=identifier, Engine=ENGINE, EngineVersion=version)
    if global_cluster:
        request["GlobalClusterIdentifier"] = global_cluster
    else:
        request.update(MasterUsername="tapadmin", MasterUserPassword="not-a-secret-1")
    return rds.create_db_cluster(**request)["DBCluster"]


def create_instance(rds, identifier: str, cluster: str, instance_class: str = "db.r6g.large", **extra) -> dict:
    return rds.create_db_instance(
        DBInstanceIdentifier=identifier,
        DBClusterIdentifier=cluster,
        Engine=ENGINE,
        DBInstanceClass=instance_class,
        **extra,
    )["DBInstance"]


def error_code(excinfo) -> str:
    return excinfo.value.response["Error"]["Code"]
