"""The Aurora global database: aurora_cluster (primary/secondary) + aurora_global_cluster against the emulator.

Needs the emulator extension `aurora` (emulator/aurora.py): moto 5.2.5 keeps global clusters in
us-east-1 only, ignores the identifier filter and cannot detach members from another region.
"""

from __future__ import annotations

import json

import pytest
from aurora_support import Transitions
from aurora_support import cluster_args
from aurora_support import flip_writer
from aurora_support import make_network
from aurora_support import quick_polls  # noqa: F401  # pylint: disable=unused-import  # a fixture
from aurora_support import recorded_calls
from aurora_support import warning_texts
from aurora_support import writes
from botocore.exceptions import ClientError
from emulator import control

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
    primary_name = global_db["primary"]["cluster_identifier"]
    secondary_name = global_db["secondary"]["cluster_identifier"]
    assert results["global"]["changes"] == [
        f"create global cluster {gid} (from DB cluster {primary_name} in {PRIMARY})"]
    assert results["global"]["global_writer_region"] == PRIMARY
    assert [c for c in results["primary"]["changes"] if "secret" in c] == [
        f"create secret {global_db['secret']} (master credentials, key {global_db['primary_net']['key']} "
        f"replicated to {SECONDARY})"]
    assert results["secondary"]["changes"][2:] == [
        f"create DB cluster {secondary_name} (secondary of global cluster {gid})",
        f"create DB instance {secondary_name}-1 (db.r5.large in {SECONDARY}a)",
    ]
    # Who writes: the primary was standalone when it was created; the secondary joined a primary in PRIMARY.
    assert (results["primary"]["is_writer"], results["primary"]["global_writer_region"]) == (True, None)
    assert (results["secondary"]["is_writer"], results["secondary"]["global_writer_region"]) == (False, PRIMARY)

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
    assert (primary["is_writer"], secondary["is_writer"]) == (True, False)
    assert {primary["global_writer_region"], secondary["global_writer_region"],
            global_cluster["global_writer_region"]} == {PRIMARY}


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
    secondary_name = global_db["secondary"]["cluster_identifier"]
    gone = run_module(aurora_cluster.main, dict(cluster_identifier=secondary_name, global_cluster_identifier=gid,
                                                state="absent"), region=SECONDARY)
    assert gone["changed"] is True
    assert gone["changes"] == [
        f"delete DB instance {secondary_name}-1",
        f"global cluster {gid}: detach DB cluster {secondary_name} ({SECONDARY})",
        f"delete DB cluster {secondary_name} (no final snapshot)",
        f"delete DB cluster parameter group {secondary_name}",
    ]
    members = run_module(aurora_global_cluster.main, global_db["global_args"], region=PRIMARY)["members"]
    assert [m["region"] for m in members] == [PRIMARY]

    absent = dict(global_cluster_identifier=gid, state="absent")
    result = run_module(aurora_global_cluster.main, absent, region=PRIMARY, diff=True)
    assert result["changed"] is True and result["diff"]["after"] == {}
    primary_name = global_db["primary"]["cluster_identifier"]
    assert result["changes"] == [f"global cluster {gid}: detach DB cluster {primary_name} ({PRIMARY})",
                                 f"delete global cluster {gid}"]
    with pytest.raises(ClientError):
        aws("rds", PRIMARY).describe_global_clusters(GlobalClusterIdentifier=gid)
    # The former primary keeps running as a standalone cluster.
    primary = aws("rds", PRIMARY).describe_db_clusters(
        DBClusterIdentifier=global_db["primary"]["cluster_identifier"])["DBClusters"][0]
    assert not primary.get("GlobalClusterIdentifier")
    assert run_module(aurora_global_cluster.main, absent, region=PRIMARY)["changed"] is False


def test_drift_of_the_global_cluster_is_reported_in_check_mode_without_a_write(
        aws, run_module, global_db, emulator_url):
    gid = global_db["gid"]
    aws("rds", PRIMARY).modify_global_cluster(GlobalClusterIdentifier=gid, DeletionProtection=True)
    mark = control.last_call_seq(emulator_url)
    plan = run_module(aurora_global_cluster.main, global_db["global_args"], region=PRIMARY, check_mode=True,
                      diff=True)
    assert plan["changes"] == [f"global cluster {gid}: deletion_protection true -> false"]
    assert (plan["diff"]["before"]["deletion_protection"], plan["diff"]["after"]["deletion_protection"]) == (
        True, False)
    assert control.write_calls(emulator_url, mark) == []
    aws("rds", PRIMARY).modify_global_cluster(GlobalClusterIdentifier=gid, DeletionProtection=False)


def test_after_a_switchover_the_current_writer_is_the_primary(run_module, global_db, monkeypatch):
    """The inventory's primary reads and its secondary writes: nothing changes, nobody moves the writer back."""
    results = global_db["results"]
    calls = flip_writer(monkeypatch, results["secondary"]["cluster_arn"])
    runs = {
        "primary": (aurora_cluster.main, global_db["primary"], PRIMARY),
        "global": (aurora_global_cluster.main, global_db["global_args"], PRIMARY),
        "secondary": (aurora_cluster.main, global_db["secondary"], SECONDARY),
    }
    plans = {k: run_module(main, args, region=region, check_mode=True, diff=True)
             for k, (main, args, region) in runs.items()}
    again = {k: run_module(main, args, region=region, diff=True) for k, (main, args, region) in runs.items()}
    monkeypatch.undo()
    for result in list(plans.values()) + list(again.values()):
        assert not result.get("failed"), result
        assert result["changed"] is False and result["changes"] == [], result["changes"]
        assert warning_texts(result) == []
        assert result["global_writer_region"] == SECONDARY
        assert result["diff"]["before"] == result["diff"]["after"]
    assert [c[1] for c in calls if not c[1].startswith(("Describe", "List", "Get"))] == []
    assert (again["primary"]["is_writer"], again["secondary"]["is_writer"]) == (False, True)
    assert [(m["region"], m["is_writer"]) for m in again["global"]["members"]] == [(SECONDARY, True), (PRIMARY, False)]


def test_teardown_after_a_switchover_detaches_the_readers_first(run_module, global_db, monkeypatch):
    gid, results = global_db["gid"], global_db["results"]
    primary_name = global_db["primary"]["cluster_identifier"]
    secondary_name = global_db["secondary"]["cluster_identifier"]
    calls = flip_writer(monkeypatch, results["secondary"]["cluster_arn"])
    refused = run_module(aurora_cluster.main, dict(cluster_identifier=secondary_name, global_cluster_identifier=gid,
                                                   state="absent"), region=SECONDARY)
    assert refused["failed"] is True and f"is the writer of global cluster {gid}" in refused["msg"]
    assert [c[1] for c in calls if not c[1].startswith(("Describe", "List", "Get"))] == []

    removed = run_module(aurora_global_cluster.main, dict(global_cluster_identifier=gid, state="absent"),
                         region=PRIMARY)
    monkeypatch.undo()
    assert removed["changes"] == [
        f"global cluster {gid}: detach DB cluster {primary_name} ({PRIMARY})",
        f"global cluster {gid}: detach DB cluster {secondary_name} ({SECONDARY})",
        f"delete global cluster {gid}",
    ]
    # Each member is detached in its own region (AWS's rule), the reader first.
    assert [(c[2], c[3]["DbClusterIdentifier"]) for c in calls if c[1] == "RemoveFromGlobalCluster"] == [
        (PRIMARY, results["primary"]["cluster_arn"]), (SECONDARY, results["secondary"]["cluster_arn"])]


@pytest.mark.usefixtures("quick_polls")
def test_a_secondary_joins_once_the_global_cluster_is_available_and_wait_false_returns_at_once(
        aws, run_module, monkeypatch):
    gid = "aurora-global-late"
    primary_net = make_network(aws, PRIMARY, "aurora-p-late")
    secondary_net = make_network(aws, SECONDARY, "aurora-s-late")
    common = dict(global_cluster_identifier=gid, master_user_secret_name=f"tap/{gid}", backtrack_window=0,
                  instance_count=1)
    primary = run_module(aurora_cluster.main, cluster_args("aurora-p-late", primary_net, **common), region=PRIMARY)
    run_module(aurora_global_cluster.main, dict(global_cluster_identifier=gid,
                                                source_db_cluster_identifier=primary["cluster_arn"]), region=PRIMARY)
    secondary = cluster_args("aurora-s-late", secondary_net, role="secondary", wait=False, **common)

    joining = Transitions(global_clusters={gid: ["creating"] * 3},
                          clusters={"aurora-s-late": ["creating"] * 50}).install(monkeypatch)
    started = run_module(aurora_cluster.main, secondary, region=SECONDARY)
    monkeypatch.undo()
    assert not started.get("failed"), started
    operations = joining.operations()
    create = operations.index("CreateDBCluster")
    assert operations[:create].count("DescribeGlobalClusters") >= 4  # waited for it even with wait: false
    assert operations.count("DescribeDBClusters") == 2  # but not for the joining cluster
    assert started["cluster"]["status"] == "creating" and started["is_writer"] is False

    waiting = Transitions(clusters={"aurora-s-late": ["creating"] * 3},
                          instances={"aurora-s-late-1": ["creating"] * 3}).install(monkeypatch)
    done = run_module(aurora_cluster.main, dict(secondary, wait=True), region=SECONDARY)
    monkeypatch.undo()
    assert done["changed"] is False and waiting.writes() == []
    assert done["cluster"]["status"] == "available" and done["global_writer_region"] == PRIMARY


def test_a_lost_master_secret_is_created_again_and_the_writer_gets_its_password(aws, run_module, global_db):
    secret, primary_name = global_db["secret"], global_db["primary"]["cluster_identifier"]
    secrets = aws("secretsmanager", PRIMARY)
    secrets.remove_regions_from_replication(SecretId=secret, RemoveReplicaRegions=[SECONDARY])
    secrets.delete_secret(SecretId=secret, ForceDeleteWithoutRecovery=True)
    key = global_db["primary_net"]["key"]
    expected = [
        f"create secret {secret} (master credentials, key {key} replicated to {SECONDARY})",
        f"DB cluster {primary_name}: master password reset from secret {secret}",
    ]
    plan = run_module(aurora_cluster.main, global_db["primary"], region=PRIMARY, check_mode=True)
    assert plan["changes"] == expected
    result = run_module(aurora_cluster.main, global_db["primary"], region=PRIMARY)
    assert result["changes"] == expected
    password = json.loads(secrets.get_secret_value(SecretId=secret)["SecretString"])["password"]
    assert password not in json.dumps(result)
    assert run_module(aurora_cluster.main, global_db["primary"], region=PRIMARY)["changed"] is False


def test_the_port_follows_into_the_master_secret_and_its_replica(aws, run_module, global_db):
    """A new port (an environment setting) reaches the cluster and the secret clients read it from."""
    secret, primary_name = global_db["secret"], global_db["primary"]["cluster_identifier"]
    secrets = aws("secretsmanager", PRIMARY)
    before = json.loads(secrets.get_secret_value(SecretId=secret)["SecretString"])
    assert before["port"] == 3306
    moved = dict(global_db["primary"], port=3307)
    plan = run_module(aurora_cluster.main, moved, region=PRIMARY, check_mode=True)
    assert plan["changes"] == [f"secret {secret}: port 3306 -> 3307", f"DB cluster {primary_name}: port 3306 -> 3307"]
    assert json.loads(secrets.get_secret_value(SecretId=secret)["SecretString"])["port"] == 3306
    result = run_module(aurora_cluster.main, moved, region=PRIMARY)
    assert result["changes"] == plan["changes"]
    for region in (PRIMARY, SECONDARY):  # the replica serves the new version too
        after = json.loads(aws("secretsmanager", region).get_secret_value(SecretId=secret)["SecretString"])
        assert after == dict(before, port=3307)  # the password is kept
    assert before["password"] not in json.dumps(result)
    # A change behind the module's back is drift: planned, then repaired.
    secrets.put_secret_value(SecretId=secret, SecretString=json.dumps(dict(before, port=3306)))
    drift = run_module(aurora_cluster.main, moved, region=PRIMARY, check_mode=True)
    assert drift["changes"] == [f"secret {secret}: port 3306 -> 3307"]
    assert run_module(aurora_cluster.main, moved, region=PRIMARY)["changed"] is True
    assert run_module(aurora_cluster.main, moved, region=PRIMARY)["changed"] is False
