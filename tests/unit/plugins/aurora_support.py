"""Helpers of the aurora module tests (emulator networks, module arguments, call recording)."""

from __future__ import annotations

import contextlib
import copy
import threading

import botocore.client
import pytest
from botocore.exceptions import ClientError

MONITORING_ROLE = "arn:aws:iam::123456789012:role/tap-rds-monitoring-test"
READ_PREFIXES = ("Describe", "List", "Get")


def make_network(aws, region: str, name: str) -> dict:
    """VPC, three private subnets, a security group, a KMS key and a DB subnet group."""
    ec2, kms, rds = aws("ec2", region), aws("kms", region), aws("rds", region)
    vpc = ec2.create_vpc(CidrBlock="10.40.0.0/16")["Vpc"]["VpcId"]
    zones = [z["ZoneName"] for z in ec2.describe_availability_zones()["AvailabilityZones"]][:3]
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.40.{10 + i}.0/24", AvailabilityZone=zone)["Subnet"]["SubnetId"]
        for i, zone in enumerate(zones)
    ]
    sg = ec2.create_security_group(GroupName=f"db-{name}", Description="db", VpcId=vpc)["GroupId"]
    key = kms.create_key(Description=f"test key {name}")["KeyMetadata"]["Arn"]
    rds.create_db_subnet_group(DBSubnetGroupName=name, DBSubnetGroupDescription="private", SubnetIds=subnets)
    return {"vpc": vpc, "subnets": subnets, "sg": sg, "key": key, "subnet_group": name}


def cluster_args(name: str, net: dict, **overrides) -> dict:
    args = dict(
        cluster_identifier=name,
        kms_key_id=net["key"],
        db_subnet_group_name=net["subnet_group"],
        vpc_security_group_ids=[net["sg"]],
        backup_retention_period=1,
        deletion_protection=False,
        instance_class="db.r5.large",
        instance_count=2,
        monitoring_role_arn=MONITORING_ROLE,
        tags={"Environment": "test", "Region": "test", "CostCenter": "platform"},
    )
    args.update(overrides)
    return args


@pytest.fixture
def quick_polls():
    """Waits poll every 10 ms (TAP_WAIT_POLL_SECONDS, as the benchmark and time-scaled rehearsals set it)."""
    with pytest.MonkeyPatch.context() as patch:  # not undone by a test's monkeypatch.undo()
        patch.setenv("TAP_WAIT_POLL_SECONDS", "0.01")
        yield


@contextlib.contextmanager
def recorded_calls(monkeypatch):
    """Record (service, operation) of every AWS call made while the block runs."""
    calls: list[tuple[str, str]] = []
    original = botocore.client.BaseClient._make_api_call

    def spy(self, operation_name, api_params):
        calls.append((self.meta.service_model.service_name, operation_name))
        return original(self, operation_name, api_params)

    with monkeypatch.context() as patch:
        patch.setattr(botocore.client.BaseClient, "_make_api_call", spy)
        yield calls


def warning_texts(result) -> list[str]:
    """The warnings of a result as text (ansible-core 2.19 returns them as structured summaries)."""
    return [w["event"]["msg"] if isinstance(w, dict) else w for w in result.get("warnings", [])]


def writes(calls) -> list[tuple[str, str]]:
    return [call for call in calls if not call[1].startswith(READ_PREFIXES)]


class Transitions:
    """AWS's transitional states over the instant emulator, through a patched botocore call.

    Each resource named in clusters / instances / global_clusters reports the listed statuses on its
    successive describes, then its real one; a last status "gone" sticks and makes it disappear.
    ghosts are instance descriptions reported (while they have statuses left) although the emulator no
    longer has them. Changes AWS refuses in such a state are refused with AWS's own errors (the rules
    the emulator's aws profile models): ModifyDBCluster / ModifyDBInstance while not available,
    DeleteDBCluster / DeleteDBInstance while already deleting. Every call is kept in calls as
    (service, operation, region, params); refused calls in refused.
    """

    def __init__(self, clusters=None, instances=None, global_clusters=None, ghosts=None):
        self.clusters = {k: list(v) for k, v in (clusters or {}).items()}
        self.instances = {k: list(v) for k, v in (instances or {}).items()}
        self.global_clusters = {k: list(v) for k, v in (global_clusters or {}).items()}
        self.ghosts = dict(ghosts or {})
        self.calls: list[tuple[str, str, str, dict]] = []
        self.refused: list[tuple[str, str]] = []
        self._lock = threading.Lock()

    def install(self, monkeypatch):
        original = botocore.client.BaseClient._make_api_call
        transitions = self

        def call(client, operation, params):
            return transitions._call(original, client, operation, params)

        monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", call)
        return self

    def operations(self, *names) -> list[str]:
        return [c[1] for c in self.calls if not names or c[1] in names]

    def writes(self) -> list[tuple[str, str]]:
        return [(c[0], c[1]) for c in self.calls if not c[1].startswith(READ_PREFIXES)]

    def _peek(self, table, key):
        statuses = table.get(key)
        return statuses[0] if statuses else None

    def _next(self, table, key):
        with self._lock:
            statuses = table.get(key)
            if not statuses:
                return None
            return statuses[0] if statuses == ["gone"] else statuses.pop(0)

    def _refuse(self, operation, code, message):
        self.refused.append((operation, message))
        raise ClientError({"Error": {"Code": code, "Message": message}}, operation)

    def _call(self, original, client, operation, params):
        self.calls.append((client.meta.service_model.service_name, operation, client.meta.region_name, params))
        cluster = params.get("DBClusterIdentifier")
        instance = params.get("DBInstanceIdentifier")
        status = self._peek(self.clusters, cluster) if cluster else None
        if operation == "ModifyDBCluster" and status not in (None, "available"):
            self._refuse(operation, "InvalidDBClusterStateFault",
                         f"DB cluster is not available for modification with status {status}")
        if operation == "DeleteDBCluster" and status in ("deleting", "gone"):
            self._refuse(operation, "InvalidDBClusterStateFault",
                         "The requested operation can't be performed while the cluster is in this state.")
        status = self._peek(self.instances, instance) if instance else None
        if operation == "ModifyDBInstance" and status not in (None, "available"):
            self._refuse(operation, "InvalidDBInstanceState", "Database instance is not in available state.")
        if operation == "DeleteDBInstance" and (status in ("deleting", "gone") or instance in self.ghosts):
            self._refuse(operation, "InvalidDBInstanceState", "Instance is already being deleted")
        if operation == "DescribeDBClusters" and self._peek(self.clusters, cluster) == "gone":
            raise ClientError({"Error": {"Code": "DBClusterNotFoundFault", "Message": f"DBCluster {cluster} not "
                                         "found."}}, operation)
        answer = original(client, operation, params)
        if operation == "DescribeDBClusters":
            for entry in answer.get("DBClusters", []):
                entry["Status"] = self._next(self.clusters, entry["DBClusterIdentifier"]) or entry["Status"]
        elif operation == "DescribeDBInstances":
            listed = answer.get("DBInstances", [])
            known = {i["DBInstanceIdentifier"] for i in listed}
            for name, ghost in self.ghosts.items():
                if name not in known and self.instances.get(name):
                    listed.append(copy.deepcopy(ghost))
            kept = []
            for entry in listed:
                status = self._next(self.instances, entry["DBInstanceIdentifier"]) or entry["DBInstanceStatus"]
                if status != "gone":
                    kept.append(dict(entry, DBInstanceStatus=status))
            answer["DBInstances"] = kept
        elif operation == "DescribeGlobalClusters":
            for entry in answer.get("GlobalClusters", []):
                entry["Status"] = self._next(self.global_clusters, entry["GlobalClusterIdentifier"]) or entry["Status"]
        return answer


def flip_writer(monkeypatch, writer_arn: str) -> list[tuple[str, str, dict]]:
    """A switchover as DescribeGlobalClusters reports it: writer_arn writes, every other member reads.

    The emulator does not implement SwitchoverGlobalCluster yet; this rewrites its answers. Returns the
    calls made (service, operation, region, params) for assertions.
    """
    original = botocore.client.BaseClient._make_api_call
    calls: list[tuple[str, str, str, dict]] = []

    def call(client, operation, params):
        calls.append((client.meta.service_model.service_name, operation, client.meta.region_name, params))
        answer = original(client, operation, params)
        if operation == "DescribeGlobalClusters":
            for global_cluster in answer.get("GlobalClusters", []):
                for member in global_cluster.get("GlobalClusterMembers", []):
                    member["IsWriter"] = member["DBClusterArn"] == writer_arn
        return answer

    monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", call)
    return calls
