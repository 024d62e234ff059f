"""The aurora role with a global database (prod settings) in two regions, through real playbook runs.

Applies the role, re-applies it (nothing may change), then tears it down. Needs the emulator
extensions `aurora`, `backup` and `iam_managed_policies` (registered in emulator/extensions.py).
"""

from __future__ import annotations

import json

import pytest
import yaml
from helpers import make_inventory

PLAYBOOK = "tests/integration/playbooks/aurora.yml"
ENV = "auroratest"
PRIMARY, SECONDARY = "ap-northeast-1", "ap-northeast-2"
REGIONS = {PRIMARY: "10.60.0.0/16", SECONDARY: "10.61.0.0/16"}
ACCOUNT = "123456789012"
SETTINGS = {  # the prod row of the environment table
    "tap_environment": ENV,
    "aurora_instance_class": "db.r5.large",
    "aurora_instance_count": 2,
    "aurora_backup_retention_days": 30,
    "aurora_deletion_protection": True,
    "aurora_final_snapshot": True,
    "aurora_global_database": True,
}


def region_network(aws, region: str, cidr: str) -> dict:
    """What the vpc and baseline roles would publish: VPC, private subnets, the region's key."""
    ec2 = aws("ec2", region)
    prefix = cidr.rsplit(".", 2)[0]
    vpc = ec2.create_vpc(CidrBlock=cidr)["Vpc"]["VpcId"]
    zones = [z["ZoneName"] for z in ec2.describe_availability_zones()["AvailabilityZones"]][:3]
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=f"{prefix}.{10 + i}.0/24", AvailabilityZone=z)["Subnet"]["SubnetId"]
        for i, z in enumerate(zones)
    ]
    key = aws("kms", region).create_key(Description=f"tap {ENV} {region}")["KeyMetadata"]["Arn"]
    return {"vpc_id": vpc, "vpc_private_subnet_ids": subnets, "baseline_kms_key_arn": key}


def check_region(aws, region: str, facts: dict, network: dict) -> None:
    name = f"aurora-{ENV}-{region}"
    rds = aws("rds", region)
    cluster = rds.describe_db_clusters(DBClusterIdentifier=name)["DBClusters"][0]
    assert facts["aurora_cluster_arn"] == cluster["DBClusterArn"]
    assert facts["aurora_cluster_endpoint"] == cluster["Endpoint"]
    assert cluster["GlobalClusterIdentifier"] == f"aurora-global-{ENV}"
    assert cluster["KmsKeyId"] == network["baseline_kms_key_arn"] and cluster["StorageEncrypted"]
    assert cluster["BackupRetentionPeriod"] == 30 and cluster["PreferredBackupWindow"] == "03:00-04:00"
    assert cluster["DeletionProtection"] is True
    assert cluster["BacktrackWindow"] == 0  # not supported in a global database
    assert cluster["DBSubnetGroup"] == name
    assert [g["VpcSecurityGroupId"] for g in cluster["VpcSecurityGroups"]] == [facts["aurora_db_security_group_id"]]
    subnets = rds.describe_db_subnet_groups(DBSubnetGroupName=name)["DBSubnetGroups"][0]["Subnets"]
    assert sorted(s["SubnetIdentifier"] for s in subnets) == sorted(network["vpc_private_subnet_ids"])

    instances = rds.describe_db_instances(Filters=[{"Name": "db-cluster-id", "Values": [name]}])["DBInstances"]
    assert len(instances) == 2
    monitoring_role = f"arn:aws:iam::{ACCOUNT}:role/tap-rds-monitoring-{ENV}-{region}"
    for instance in instances:
        assert instance["DBInstanceClass"] == "db.r5.large" and instance["PubliclyAccessible"] is False
        assert (instance["MonitoringInterval"], instance["MonitoringRoleArn"]) == (60, monitoring_role)
        assert instance["PerformanceInsightsEnabled"] is True
        assert instance["PerformanceInsightsKMSKeyId"] == network["baseline_kms_key_arn"]

    ec2 = aws("ec2", region)
    groups = {g["GroupId"]: g for g in ec2.describe_security_groups(
        GroupIds=[facts["aurora_app_security_group_id"], facts["aurora_db_security_group_id"]])["SecurityGroups"]}
    app, db = groups[facts["aurora_app_security_group_id"]], groups[facts["aurora_db_security_group_id"]]
    assert app["VpcId"] == db["VpcId"] == network["vpc_id"]
    assert app["IpPermissions"] == []
    assert len(db["IpPermissions"]) == 1
    rule = db["IpPermissions"][0]
    assert (rule["IpProtocol"], rule["FromPort"], rule["ToPort"]) == ("tcp", 3306, 3306)
    assert [p["GroupId"] for p in rule["UserIdGroupPairs"]] == [app["GroupId"]]
    assert rule["IpRanges"] == [] and rule["Ipv6Ranges"] == []  # never from a CIDR
    assert db["IpPermissionsEgress"] == []
    for group in (app, db):
        tags = {t["Key"]: t["Value"] for t in group["Tags"]}
        assert tags["Environment"] == ENV and tags["Region"] == region and tags["CostCenter"]

    trust = aws("iam").get_role(RoleName=f"tap-rds-monitoring-{ENV}-{region}")["Role"]["AssumeRolePolicyDocument"]
    statement = trust["Statement"][0]
    assert statement["Principal"] == {"Service": "monitoring.rds.amazonaws.com"}
    assert statement["Condition"]["StringEquals"] == {"aws:SourceAccount": ACCOUNT}

    secret = aws("secretsmanager", region).describe_secret(SecretId=f"tap/aurora-global-{ENV}/master")
    assert facts["aurora_secret_arn"] == secret["ARN"]

    backup = aws("backup", region)
    vault = backup.describe_backup_vault(BackupVaultName=f"tap-backup-{ENV}-{region}")
    assert vault["EncryptionKeyArn"] == network["baseline_kms_key_arn"]
    plan_id = next(p["BackupPlanId"] for p in backup.list_backup_plans()["BackupPlansList"]
                   if p["BackupPlanName"] == f"tap-backup-{ENV}-{region}")
    rules = backup.get_backup_plan(BackupPlanId=plan_id)["BackupPlan"]["Rules"]
    assert [(r["ScheduleExpression"], r["Lifecycle"]["DeleteAfterDays"]) for r in rules] == [("cron(0 5 ? * * *)", 30)]
    selection_id = backup.list_backup_selections(BackupPlanId=plan_id)["BackupSelectionsList"][0]["SelectionId"]
    selection = backup.get_backup_selection(BackupPlanId=plan_id, SelectionId=selection_id)["BackupSelection"]
    assert sorted(selection["Resources"]) == sorted(
        [cluster["DBClusterArn"], f"arn:aws:dynamodb:{region}:{ACCOUNT}:table/sessions-{ENV}"]
    )


@pytest.mark.slow
def test_aurora_role_global_database(run_playbook, aws, tmp_path):
    inventory = make_inventory(tmp_path / "inventory", ENV, REGIONS, primary=PRIMARY)
    networks = {region: region_network(aws, region, cidr) for region, cidr in REGIONS.items()}
    (inventory / "host_vars").mkdir()
    for region, network in networks.items():
        (inventory / "host_vars" / f"{region}.yml").write_text(yaml.safe_dump(network))
    facts_dir = tmp_path / "facts"
    facts_dir.mkdir()
    settings = json.dumps(dict(SETTINGS, aurora_facts_dir=str(facts_dir)))

    run = run_playbook(PLAYBOOK, str(inventory), "-e", settings)
    assert run.rc == 0, run.output[-6000:]
    facts = {region: json.loads((facts_dir / f"{region}.json").read_text()) for region in REGIONS}
    for region in REGIONS:
        check_region(aws, region, facts[region], networks[region])
    members = aws("rds", PRIMARY).describe_global_clusters(GlobalClusterIdentifier=f"aurora-global-{ENV}")
    writers = {m["DBClusterArn"]: m["IsWriter"] for m in members["GlobalClusters"][0]["GlobalClusterMembers"]}
    assert writers == {facts[PRIMARY]["aurora_cluster_arn"]: True, facts[SECONDARY]["aurora_cluster_arn"]: False}
    assert {r: (f["aurora_is_writer"], f["aurora_global_writer_region"]) for r, f in facts.items()} == {
        PRIMARY: (True, PRIMARY), SECONDARY: (False, PRIMARY)}

    again = run_playbook(PLAYBOOK, str(inventory), "-e", settings)
    assert again.rc == 0, again.output[-6000:]
    assert again.changed() == 0, again.output[-6000:]
    # Drift detection runs the roles in check mode: a converged deployment must report nothing.
    checked = run_playbook(PLAYBOOK, str(inventory), "-e", settings, "--check", "--diff")
    assert checked.rc == 0, checked.output[-6000:]
    assert checked.changed() == 0, checked.output[-6000:]

    # Teardown refuses protected clusters unless told to lift the protection.
    refused = run_playbook(PLAYBOOK, str(inventory), "-e", settings, "-e", "aurora_state=absent")
    assert refused.rc != 0 and "deletion protection" in refused.output
    assert aws("rds", PRIMARY).describe_db_clusters(DBClusterIdentifier=f"aurora-{ENV}-{PRIMARY}")["DBClusters"]

    down = run_playbook(PLAYBOOK, str(inventory), "-e", settings, "-e", "aurora_state=absent",
                        "-e", "aurora_disable_deletion_protection=true")
    assert down.rc == 0, down.output[-6000:]
    for region in REGIONS:
        rds = aws("rds", region)
        assert not [c for c in rds.describe_db_clusters()["DBClusters"] if ENV in c["DBClusterIdentifier"]]
        snapshots = [s["DBClusterSnapshotIdentifier"] for s in rds.describe_db_cluster_snapshots(
            SnapshotType="manual")["DBClusterSnapshots"] if ENV in s["DBClusterSnapshotIdentifier"]]
        # The primary keeps a final snapshot; a secondary's data is the primary's.
        assert len(snapshots) == (1 if region == PRIMARY else 0)
    assert not [g for g in aws("rds", PRIMARY).describe_global_clusters()["GlobalClusters"]
                if g["GlobalClusterIdentifier"] == f"aurora-global-{ENV}"]
