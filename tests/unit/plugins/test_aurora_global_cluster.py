"""The Aurora global database: aurora_cluster (primary/secondary) + aurora_global_cluster against the emulator.

Needs the emulator extension `aurora` (emulator/aurora.py): moto 5.2.5 keeps global clusters in
us-east-1 only, ignores the identifier filter and cannot detach members from another region.
"""

from __future__ import annotations

import json

import pytest
from aurora_support import cluster_args
from aurora_support import make_network
from aurora_support import recorded_calls
from aurora_support import writes
from botocore.exceptions import ClientError

from ansible_collections.tap.multiregion.plugins.modules import aurora_cluster
from ansible_collections.tap.multiregion.plugins.modules import aurora_global_cluster

PRIMARY, SECONDARY = "sa-east-1", "ap-southeast-2"


@pytest.fixture
def global_db(aws, run_module, request):
    """Primary cluster (with its replicated secret) + global cluster + secondary, all via the modules."""
    suffix = request.node.name.replace("_", "-")[5:25].strip("-")
    gid = f"aurora-global-{suffix}"
    secret = f"tap/{gid}/master"
    primary_net = make_network(aws, PRIMARY, f"aurora-p-{suffix}")
    secondary_net = make_network(aws, SECONDARY, f"aurora-s-{suffix}")
    common = dict(global_cluster_identifier=gid, master_user_secret_name=secret, backtrack_window=0, instance_count=1)
    primary = cluster_args(
        f"aurora-p-{suffix}", primary_net, role="primary",
        master_user_secret_replica_regions=[{"region": SECONDARY, "kms_key_id": secondary_net["key"]}], **common,
    )
    secondary = cluster_args(f"aurora-s-{suffix}", secondary_net, role="secondary", **common)
    results = {"primary": run_module(aurora_cluster.main, primary, region=PRIMARY, diff=True)}
    assert results["primary"]["changed"] is True, results["primary"]
    global_args = dict(global_cluster_identifier=gid, source_db_cluster_identifier=results["primary"]["cluster_arn"],
                       deletion_protection=False, tags={"Environment": "test"})
    results["global"] = run_module(aurora_global_cluster.main, global_args, region=PRIMARY, diff=True)
    assert results["global"]["changed"] is True, results["global"]
    results["secondary"] = run_module(aurora_cluster.main, secondary, region=SECONDARY, diff=True)
    assert results["secondary"]["changed"] is True, results["secondary"]
    return dict(gid=gid, secret=secret, primary=primary, secondary=secondary, global_args=global_args,
                primary_net=primary_net, secondary_net=secondary_net, results=results)


def test_global_database_primary_and_secondary(aws, global_db):
    gid, results = global_db["gid"], global_db["results"]
    primary_arn, secondary_arn = results["primary"]["cluster_arn"], results["secondary"]["cluster_arn"]

    found = aws("rds", PRIMARY).describe_global_clusters(GlobalClusterIdentifier=gid)["GlobalClusters"]
    members = {m["DBClusterArn"]: m["IsWriter"] for m in found[0]["GlobalClusterMembers"]}
    assert members == {primary_arn: True, secondary_arn: False}
    assert results["global"]["members"][0]["db_cluster_arn"] == primary_arn

    # The primary is created with credentials from the module's secret, not an RDS-managed one.
    primary = aws("rds", PRIMARY).describe_db_clusters(DBClusterIdentifier=global_db["primary"]["cluster_identifier"])
    assert "MasterUserSecret" not in primary["DBClusters"][0]
    assert primary["DBClusters"][0]["MasterUsername"] == "tapadmin"
    # The secondary joined without master credentials or database name (AWS rule).
    secondary = aws("rds", SECONDARY).describe_db_clusters(
        DBClusterIdentifier=global_db["secondary"]["cluster_identifier"])["DBClusters"][0]
    assert secondary["GlobalClusterIdentifier"] == gid
    assert not secondary.get("MasterUsername") and not secondary.get("DatabaseName")
    assert secondary["KmsKeyId"] == global_db["secondary_net"]["key"]
    assert secondary["BacktrackWindow"] == 0


def test_master_secret_is_encrypted_replicated_and_never_returned(aws, global_db):
    results, secret_name = global_db["results"], global_db["secret"]
    primary_secrets = aws("secretsmanager", PRIMARY)
    described = primary_secrets.describe_secret(SecretId=secret_name)
    assert described["KmsKeyId"] == global_db["primary_net"]["key"]
    assert [(r["Region"], r["KmsKeyId"]) for r in described["ReplicationStatus"]] == [
        (SECONDARY, global_db["secondary_net"]["key"])
    ]
    replica = aws("secretsmanager", SECONDARY).describe_secret(SecretId=secret_name)
    assert results["primary"]["master_user_secret_arn"] == described["ARN"]
    assert results["secondary"]["master_user_secret_arn"] == replica["ARN"]

    payload = json.loads(primary_secrets.get_secret_value(SecretId=secret_name)["SecretString"])
    assert payload["username"] == "tapadmin" and len(payload["password"]) == 32
    for result in results.values():
        assert payload["password"] not in json.dumps(result)


def test_global_database_rerun_changes_nothing(run_module, global_db, monkeypatch):
    with recorded_calls(monkeypatch) as calls:
        primary = run_module(aurora_cluster.main, global_db["primary"], region=PRIMARY)
        global_cluster = run_module(aurora_global_cluster.main, global_db["global_args"], region=PRIMARY)
        secondary = run_module(aurora_cluster.main, global_db["secondary"], region=SECONDARY)
    assert (primary["changed"], global_cluster["changed"], secondary["changed"]) == (False, False, False)
    assert writes(calls) == []
    assert [m["is_writer"] for m in global_cluster["members"]] == [True, False]
    assert "warnings" not in primary and "warnings" not in secondary


def test_global_cluster_check_mode_and_modification(aws, run_module):
    name = "aurora-global-check"
    net = make_network(aws, PRIMARY, "aurora-p-check")
    primary = run_module(
        aurora_cluster.main,
        cluster_args(
            "aurora-p-check",
            net,
            global_cluster_identifier=name,
            master_user_secret_name=f"tap/{name}",
            backtrack_window=0,
            instance_count=1,
        ),
        region=PRIMARY,
    )
    args = dict(global_cluster_identifier=name, source_db_cluster_identifier=primary["cluster_arn"],
                deletion_protection=False)
    preview = run_module(aurora_global_cluster.main, args, region=PRIMARY, check_mode=True, diff=True)
    assert preview["changed"] is True and preview["diff"]["before"] == {}
    with pytest.raises(ClientError):
        aws("rds", PRIMARY).describe_global_clusters(GlobalClusterIdentifier=name)

    assert run_module(aurora_global_cluster.main, args, region=PRIMARY)["changed"] is True
    protected = run_module(aurora_global_cluster.main, dict(args, deletion_protection=True), region=PRIMARY, diff=True)
    assert protected["changed"] is True
    assert protected["diff"]["after"]["deletion_protection"] is True
    assert protected["global_cluster"]["deletion_protection"] is True

    refused = run_module(aurora_global_cluster.main, dict(global_cluster_identifier=name, state="absent"),
                         region=PRIMARY)
    assert refused["failed"] is True and "deletion protection" in refused["msg"]


def test_secondary_needs_an_existing_global_cluster(aws, run_module):
    net = make_network(aws, SECONDARY, "aurora-s-orphan")
    args = cluster_args("aurora-s-orphan", net, role="secondary", global_cluster_identifier="aurora-global-missing",
                        backtrack_window=0)
    result = run_module(aurora_cluster.main, args, region=SECONDARY)
    assert result["failed"] is True and "aurora-global-missing does not exist" in result["msg"]
    with pytest.raises(ClientError):
        aws("rds", SECONDARY).describe_db_clusters(DBClusterIdentifier="aurora-s-orphan")


def test_absent_detaches_members_then_deletes(aws, run_module, global_db):
    gid = global_db["gid"]
    # A secondary leaves the global database when it is deleted.
    gone = run_module(aurora_cluster.main, dict(cluster_identifier=global_db["secondary"]["cluster_identifier"],
                                                global_cluster_identifier=gid, state="absent"), region=SECONDARY)
    assert gone["changed"] is True
    members = run_module(aurora_global_cluster.main, global_db["global_args"], region=PRIMARY)["members"]
    assert [m["region"] for m in members] == [PRIMARY]

    absent = dict(global_cluster_identifier=gid, state="absent")
    result = run_module(aurora_global_cluster.main, absent, region=PRIMARY, diff=True)
    assert result["changed"] is True and result["diff"]["after"] == {}
    with pytest.raises(ClientError):
        aws("rds", PRIMARY).describe_global_clusters(GlobalClusterIdentifier=gid)
    # The former primary keeps running as a standalone cluster.
    primary = aws("rds", PRIMARY).describe_db_clusters(
        DBClusterIdentifier=global_db["primary"]["cluster_identifier"])["DBClusters"][0]
    assert not primary.get("GlobalClusterIdentifier")
    assert run_module(aurora_global_cluster.main, absent, region=PRIMARY)["changed"] is False
