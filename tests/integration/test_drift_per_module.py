"""Drift in one resource of every AWS module, made behind the tool's back, is named by drift and plan.

One stack (an environment of its own in two regions no other test uses, with an Aurora global database
so that aurora_global_cluster runs too) is deployed once; then one attribute of one resource per module
is changed with boto3, `playbooks/drift.yml --check --diff` and `site.yml --check --diff` run once each,
and every module's case checks that both name that resource and attribute. Finally site.yml repairs
everything and the next run changes nothing.
"""

from __future__ import annotations

import json
import re
from concurrent.futures import ThreadPoolExecutor

import pytest
from integration.helpers import ACCOUNT, REPO_ROOT, data_bucket, make_inventory

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("drift_per_module")]

# An environment of its own (the environment table's dev row, with a global database as in prod): global
# names (the Aurora global cluster, IAM roles) cannot meet another test's.
ENV = "drift"
PRIMARY, SECONDARY = "il-central-1", "ap-east-1"
REGIONS = {PRIMARY: "10.90.0.0/16", SECONDARY: "10.91.0.0/16"}
SETTINGS = {
    "tap_environments": ["dev", "staging", "prod", ENV],
    "aurora_global_database": True,
    "aurora_instance_class": "db.r5.large",  # global databases take no burstable class
}
BY_HAND = "changed by hand"


def cpu_alarm_at_95(aws, region):
    cloudwatch = aws("cloudwatch", region)
    name = f"tap-{ENV}-{region}-aurora-cpu-high"
    alarm = cloudwatch.describe_alarms(AlarmNames=[name])["MetricAlarms"][0]
    keep = ("AlarmName", "AlarmDescription", "ActionsEnabled", "AlarmActions", "OKActions", "MetricName", "Namespace",
            "Statistic", "Dimensions", "Period", "EvaluationPeriods", "ComparisonOperator", "TreatMissingData")
    cloudwatch.put_metric_alarm(**{k: alarm[k] for k in keep if k in alarm}, Threshold=95.0)


def backup_rule_of_3_days(aws, region):
    backup = aws("backup", region)
    name = f"tap-backup-{ENV}-{region}"
    plans = backup.list_backup_plans()["BackupPlansList"]
    plan_id = next(p["BackupPlanId"] for p in plans if p["BackupPlanName"] == name)
    rule = backup.get_backup_plan(BackupPlanId=plan_id)["BackupPlan"]["Rules"][0]
    keep = ("RuleName", "TargetBackupVaultName", "ScheduleExpression", "StartWindowMinutes", "CompletionWindowMinutes")
    backup.update_backup_plan(BackupPlanId=plan_id, BackupPlan={
        "BackupPlanName": name,
        "Rules": [dict({k: rule[k] for k in keep if k in rule}, Lifecycle={"DeleteAfterDays": 3})],
    })


def api_burst_of_7(aws, region):
    apis = aws("apigatewayv2", region)
    api_id = next(a["ApiId"] for a in apis.get_apis()["Items"] if a["Name"] == f"tap-api-{ENV}-{region}")
    settings = apis.get_stage(ApiId=api_id, StageName=ENV)["DefaultRouteSettings"]
    apis.update_stage(ApiId=api_id, StageName=ENV, DefaultRouteSettings=dict(settings, ThrottlingBurstLimit=7))


def kms_key_id(aws, region):
    return aws("kms", region).describe_key(KeyId=f"alias/tap-{ENV}-{region}")["KeyMetadata"]["KeyId"]


def topic_arn(region):
    return f"arn:aws:sns:{region}:{ACCOUNT}:tap-alerts-{ENV}-{region}"


# module -> (host whose task reports it, the change made behind the tool's back, what drift and plan must say)
DRIFT = {
    "kms_key": (
        SECONDARY,
        lambda aws: aws("kms", SECONDARY).disable_key_rotation(KeyId=kms_key_id(aws, SECONDARY)),
        f"key alias/tap-{ENV}-{SECONDARY}: rotation false -> true",
    ),
    "s3_secure_bucket": (
        PRIMARY,
        lambda aws: aws("s3", PRIMARY).put_bucket_versioning(
            Bucket=data_bucket(ENV, PRIMARY), VersioningConfiguration={"Status": "Suspended"}),
        f"bucket {data_bucket(ENV, PRIMARY)}: versioning Suspended -> Enabled",
    ),
    "vpc_network": (
        SECONDARY,
        lambda aws: aws("ec2", SECONDARY).modify_vpc_attribute(
            VpcId=aws("ec2", SECONDARY).describe_vpcs(
                Filters=[{"Name": "tag:Name", "Values": [f"tap-{ENV}-{SECONDARY}"]}])["Vpcs"][0]["VpcId"],
            EnableDnsHostnames={"Value": False}),
        f"VPC tap-{ENV}-{SECONDARY}: EnableDnsHostnames false -> true",
    ),
    "aurora_network": (
        PRIMARY,
        lambda aws: aws("rds", PRIMARY).modify_db_subnet_group(
            DBSubnetGroupName=f"aurora-{ENV}-{PRIMARY}", DBSubnetGroupDescription=BY_HAND,
            SubnetIds=[s["SubnetIdentifier"] for s in aws("rds", PRIMARY).describe_db_subnet_groups(
                DBSubnetGroupName=f"aurora-{ENV}-{PRIMARY}")["DBSubnetGroups"][0]["Subnets"]]),
        f"DB subnet group aurora-{ENV}-{PRIMARY}: description {BY_HAND} -> ",
    ),
    "iam_service_role": (
        SECONDARY,
        lambda aws: aws("iam").update_role(RoleName=f"tap-lambda-{ENV}-{SECONDARY}", Description=BY_HAND),
        f"role tap-lambda-{ENV}-{SECONDARY}: description {BY_HAND} -> ",
    ),
    "aurora_cluster": (
        SECONDARY,
        lambda aws: aws("rds", SECONDARY).modify_db_cluster(
            DBClusterIdentifier=f"aurora-{ENV}-{SECONDARY}", BackupRetentionPeriod=5, ApplyImmediately=True),
        f"DB cluster aurora-{ENV}-{SECONDARY}: backup_retention_period 5 -> 1",
    ),
    "aurora_global_cluster": (
        PRIMARY,
        lambda aws: aws("rds", PRIMARY).modify_global_cluster(
            GlobalClusterIdentifier=f"aurora-global-{ENV}", DeletionProtection=True),
        f"global cluster aurora-global-{ENV}: deletion_protection true -> false",
    ),
    "aws_backup": (
        PRIMARY,
        lambda aws: backup_rule_of_3_days(aws, PRIMARY),
        f"backup plan tap-backup-{ENV}-{PRIMARY}: rule daily delete_after_days 3 -> 1",
    ),
    "lambda_function": (
        PRIMARY,
        lambda aws: aws("lambda", PRIMARY).update_function_configuration(
            FunctionName=f"data-processor-{ENV}-{PRIMARY}", Timeout=5),
        f"function data-processor-{ENV}-{PRIMARY}: timeout 5 -> 30",
    ),
    "apigatewayv2_http_api": (
        SECONDARY,
        lambda aws: api_burst_of_7(aws, SECONDARY),
        f"stage {ENV} of HTTP API tap-api-{ENV}-{SECONDARY}: throttling burst limit 7 -> ",
    ),
    "alert_topic": (
        PRIMARY,
        lambda aws: aws("sns", PRIMARY).set_topic_attributes(
            TopicArn=topic_arn(PRIMARY), AttributeName="KmsMasterKeyId", AttributeValue="alias/aws/sns"),
        f"topic tap-alerts-{ENV}-{PRIMARY}: KMS key alias/aws/sns -> ",
    ),
    "cloudwatch_alarms": (
        SECONDARY,
        lambda aws: cpu_alarm_at_95(aws, SECONDARY),
        f"alarm tap-{ENV}-{SECONDARY}-aurora-cpu-high: threshold 95.0 -> 80.0",
    ),
    "dynamodb_global_table": (
        PRIMARY,  # the primary's dynamodb_global role owns the table and its replicas
        lambda aws: aws("dynamodb", SECONDARY).update_continuous_backups(
            TableName=f"sessions-{ENV}", PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": False}),
        f"replica {SECONDARY} of table sessions-{ENV}: point-in-time recovery false -> true",
    ),
    "deploy_lock": (
        "localhost",  # the controller takes the lock; its table lives in the primary region
        lambda aws: aws("dynamodb", PRIMARY).update_continuous_backups(
            TableName="tap-deploy-locks", PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": False}),
        "lock table tap-deploy-locks: point-in-time recovery false -> true",
    ),
}
# One line of the drift report or of the plan summary: "  <region or host> | <task> | <sentence>"; the drift
# report shows the controller's comparison (the lock table) as "<primary region> (controller)".
LINE = re.compile(r"^\s+(\S+(?: \(controller\))?) \| (.+?) \| (.+)$")


def report_lines(output: str, heading: str) -> list[tuple[str, str]]:
    """(host, sentence) of the lines that follow the first line starting with heading."""
    lines = output.split(heading, 1)[1].splitlines()[1:]
    found = []
    for line in lines:
        match = LINE.match(line)
        if not match:
            break
        found.append((match.group(1), match.group(3)))
    return found


def says(lines: list[tuple[str, str]], host: str, sentence: str) -> bool:
    """A line of host that is the sentence (or, for a sentence ending in '-> ', starts with it)."""
    return any(h == host and (s == sentence or sentence.endswith("-> ") and s.startswith(sentence)) for h, s in lines)


def drift_inventory(directory):
    """An inventory like the project's, whose group_vars add the settings above to the emulator's."""
    group_vars = directory / "group_vars"
    group_vars.mkdir(parents=True)
    (group_vars / "emulator.yml").symlink_to(REPO_ROOT / "group_vars" / "emulator.yml")
    (group_vars / "all.yml").write_text(json.dumps(SETTINGS))
    return make_inventory(directory, ENV, REGIONS, primary=PRIMARY)


@pytest.fixture(scope="module")
def drifted(tmp_path_factory, run_playbook, aws):
    base = tmp_path_factory.mktemp("drift_per_module")
    inventory = str(drift_inventory(base / "inventory"))
    env = {"TAP_OUTPUTS_DIR": str(base / "outputs")}
    deploy = run_playbook("site.yml", inventory, env=env)
    assert deploy.rc == 0, deploy.output[-6000:]
    for _host, inject, _sentence in DRIFT.values():
        inject(aws)
    # Both only read (drift takes no lock, a plan writes none): side by side.
    with ThreadPoolExecutor(max_workers=2) as pool:
        drift = pool.submit(run_playbook, "playbooks/drift.yml", inventory, "--check", "--diff", env=env)
        plan = pool.submit(run_playbook, "site.yml", inventory, "--check", "--diff", env=env)
    drift, plan = drift.result(), plan.result()
    assert "Drift in 2 region(s) of drift; run site.yml to repair:" in drift.output, drift.output[-6000:]
    assert plan.rc == 0, plan.output[-6000:]
    return {
        "inventory": inventory,
        "env": env,
        "drift": report_lines(drift.output, "Drift in 2 region(s)"),
        "drift_rc": drift.rc,
        "plan": report_lines(plan.stdout, "Planned changes / drift (check mode):"),
    }


@pytest.mark.parametrize("module", sorted(DRIFT))
def test_drift_and_plan_name_the_resource_and_the_attribute(drifted, module):
    host, _inject, sentence = DRIFT[module]
    assert says(drifted["drift"], f"{PRIMARY} (controller)" if host == "localhost" else host, sentence), \
        drifted["drift"]
    assert says(drifted["plan"], host, sentence), drifted["plan"]


def test_drift_fails_and_reports_nothing_but_the_drift(drifted):
    assert drifted["drift_rc"] != 0
    assert len(drifted["drift"]) == len(DRIFT), drifted["drift"]
    # The plan lists the same, plus the lock item the run would write (bookkeeping, shown as planned).
    planned = [line for line in drifted["plan"] if line != ("localhost", f"write the deploy lock {ENV}")]
    assert len(planned) == len(DRIFT), drifted["plan"]


def test_site_repairs_every_drift_and_the_next_check_finds_none(drifted, run_playbook):
    repair = run_playbook("site.yml", drifted["inventory"], env=drifted["env"])
    assert repair.rc == 0, repair.output[-6000:]
    recap = repair.recap()
    repaired = {host: sum(1 for h, _i, _s in DRIFT.values() if h == host) for host in (PRIMARY, SECONDARY, "localhost")}
    assert {host: recap[host]["changed"] for host in repaired} == repaired, recap
    after = run_playbook("playbooks/drift.yml", drifted["inventory"], "--check", "--diff", env=drifted["env"])
    assert after.rc == 0, after.output[-6000:]
    assert after.changed() == 0 and "No drift: every managed resource matches the declared state" in after.output
