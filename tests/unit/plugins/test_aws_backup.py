"""tap.multiregion.aws_backup against the emulator (in-process via run_module).

Needs the emulator extension `backup` (emulator/backup.py): moto 5.2.5 has no backup selections
and no UpdateBackupPlan.
"""

from __future__ import annotations

import pytest
from aurora_support import recorded_calls
from aurora_support import writes
from emulator import control

from ansible_collections.tap.multiregion.plugins.modules import aws_backup

REGION = "eu-west-3"
ROLE = "arn:aws:iam::123456789012:role/tap-backup-test"
CLUSTER = f"arn:aws:rds:{REGION}:123456789012:cluster:aurora-test"
TABLE = f"arn:aws:dynamodb:{REGION}:123456789012:table/sessions-test"


def test_emulator_has_the_backup_extension():
    from emulator import extensions

    assert "backup" in extensions.EXTENSIONS, "register emulator/backup.py in emulator/extensions.py (EXTENSIONS)"


@pytest.fixture
def backup_args(aws, request):
    name = "tap-" + request.node.name.replace("_", "-")[5:40]
    key = aws("kms", REGION).create_key(Description=name)["KeyMetadata"]["Arn"]
    return dict(vault_name=name, kms_key_arn=key, plan_name=name, retention_days=7,
                selection_name="aurora-and-sessions", iam_role_arn=ROLE, resources=[CLUSTER, TABLE],
                tags={"Environment": "test", "CostCenter": "platform"})


def plan_of(aws, name):
    backup = aws("backup", REGION)
    plans = backup.list_backup_plans()["BackupPlansList"]
    plan_id = next(p["BackupPlanId"] for p in plans if p["BackupPlanName"] == name)
    return backup, plan_id


def test_creates_vault_plan_and_selection(aws, run_module, backup_args, monkeypatch):
    with recorded_calls(monkeypatch) as calls:
        preview = run_module(aws_backup.main, backup_args, region=REGION, check_mode=True, diff=True)
    assert preview["changed"] is True and writes(calls) == []
    assert preview["diff"]["after"]["plan"]["rule"]["delete_after_days"] == 7

    result = run_module(aws_backup.main, backup_args, region=REGION)
    assert result["changed"] is True, result
    name = backup_args["vault_name"]
    assert result["changes"] == [
        f"create backup vault {name} (key {backup_args['kms_key_arn']})",
        f"create backup plan {name} (daily, cron(0 5 ? * * *), 7 days)",
        f"create backup selection aurora-and-sessions of plan {name} (2 resources)",
    ]
    assert preview["changes"] == result["changes"]
    backup, plan_id = plan_of(aws, backup_args["plan_name"])
    assert result["plan_id"] == plan_id
    vault = backup.describe_backup_vault(BackupVaultName=backup_args["vault_name"])
    assert vault["EncryptionKeyArn"] == backup_args["kms_key_arn"]
    assert backup.list_tags(ResourceArn=vault["BackupVaultArn"])["Tags"] == backup_args["tags"]
    rules = backup.get_backup_plan(BackupPlanId=plan_id)["BackupPlan"]["Rules"]
    assert [(r["RuleName"], r["ScheduleExpression"], r["Lifecycle"]["DeleteAfterDays"], r["TargetBackupVaultName"])
            for r in rules] == [("daily", "cron(0 5 ? * * *)", 7, backup_args["vault_name"])]
    assert backup.list_tags(ResourceArn=result["plan_arn"])["Tags"] == backup_args["tags"]
    selection = backup.get_backup_selection(BackupPlanId=plan_id, SelectionId=result["selection_id"])["BackupSelection"]
    assert selection["IamRoleArn"] == ROLE and sorted(selection["Resources"]) == sorted([CLUSTER, TABLE])

    with recorded_calls(monkeypatch) as calls:
        again = run_module(aws_backup.main, backup_args, region=REGION, diff=True)
        checked = run_module(aws_backup.main, backup_args, region=REGION, check_mode=True)
    assert (again["changed"], checked["changed"]) == (False, False)
    assert writes(calls) == []
    assert again["diff"]["before"] == again["diff"]["after"]
    # Per run, the vault's and the plan's tags come from one read of the tagging index, none from ListTags.
    assert calls.count(("resourcegroupstaggingapi", "GetResources")) == 2 and ("backup", "ListTags") not in calls


def test_retention_and_resources_converge(aws, run_module, backup_args, monkeypatch):
    created = run_module(aws_backup.main, backup_args, region=REGION)
    changed = dict(backup_args, retention_days=30, resources=[CLUSTER])
    with recorded_calls(monkeypatch) as calls:
        result = run_module(aws_backup.main, changed, region=REGION, diff=True)
    assert result["changed"] is True
    assert sorted(write[1] for write in writes(calls)) == [
        "CreateBackupSelection", "DeleteBackupSelection", "UpdateBackupPlan"
    ]
    name = backup_args["plan_name"]
    assert result["changes"] == [
        f"backup plan {name}: rule daily delete_after_days 7 -> 30",
        f"backup selection aurora-and-sessions of plan {name}: resources remove {TABLE} "
        "(replaced: AWS cannot modify a selection)",
    ]
    assert result["plan_id"] == created["plan_id"]  # updated in place, not a new plan
    assert result["diff"]["before"]["plan"]["rule"]["delete_after_days"] == 7
    assert result["diff"]["after"]["plan"]["rule"]["delete_after_days"] == 30
    backup, plan_id = plan_of(aws, backup_args["plan_name"])
    assert backup.get_backup_plan(BackupPlanId=plan_id)["BackupPlan"]["Rules"][0]["Lifecycle"]["DeleteAfterDays"] == 30
    selection = backup.get_backup_selection(BackupPlanId=plan_id, SelectionId=result["selection_id"])["BackupSelection"]
    assert selection["Resources"] == [CLUSTER]
    assert run_module(aws_backup.main, changed, region=REGION)["changed"] is False


def test_absent_deletes_plan_and_selection_but_keeps_the_vault(aws, run_module, backup_args):
    run_module(aws_backup.main, backup_args, region=REGION)
    absent = dict(vault_name=backup_args["vault_name"], plan_name=backup_args["plan_name"], state="absent")
    assert run_module(aws_backup.main, absent, region=REGION, check_mode=True)["changed"] is True
    removed = run_module(aws_backup.main, absent, region=REGION)
    assert removed["changed"] is True
    assert removed["changes"] == [
        f"delete backup selection aurora-and-sessions of plan {absent['plan_name']}",
        f"delete backup plan {absent['plan_name']}",
    ]
    backup = aws("backup", REGION)
    assert backup_args["plan_name"] not in [p["BackupPlanName"] for p in backup.list_backup_plans()["BackupPlansList"]]
    assert backup.describe_backup_vault(BackupVaultName=backup_args["vault_name"])["BackupVaultName"]
    assert run_module(aws_backup.main, absent, region=REGION)["changed"] is False
    # The same names can be used again.
    assert run_module(aws_backup.main, backup_args, region=REGION)["changed"] is True


def test_drift_is_reported_in_check_mode_without_a_write(aws, run_module, backup_args, emulator_url):
    run_module(aws_backup.main, backup_args, region=REGION)
    backup, plan_id = plan_of(aws, backup_args["plan_name"])
    rule = backup.get_backup_plan(BackupPlanId=plan_id)["BackupPlan"]["Rules"][0]
    backup.update_backup_plan(BackupPlanId=plan_id, BackupPlan={
        "BackupPlanName": backup_args["plan_name"],
        "Rules": [{"RuleName": rule["RuleName"], "TargetBackupVaultName": rule["TargetBackupVaultName"],
                   "ScheduleExpression": rule["ScheduleExpression"], "Lifecycle": {"DeleteAfterDays": 3}}]})
    mark = control.last_call_seq(emulator_url)
    plan = run_module(aws_backup.main, backup_args, region=REGION, check_mode=True, diff=True)
    assert plan["changes"] == [f"backup plan {backup_args['plan_name']}: rule daily delete_after_days 3 -> 7"]
    assert plan["diff"]["before"]["plan"]["rule"]["delete_after_days"] == 3
    assert plan["diff"]["after"]["plan"]["rule"]["delete_after_days"] == 7
    assert control.write_calls(emulator_url, mark) == []


def test_invalid_settings_fail_before_any_call(run_module, backup_args, monkeypatch):
    with recorded_calls(monkeypatch) as calls:
        short = run_module(aws_backup.main, dict(backup_args, retention_days=0), region=REGION)
        roleless = run_module(aws_backup.main, dict(backup_args, iam_role_arn=None), region=REGION)
    assert short["failed"] is True and short["msg"].startswith("retention_days: 0 is not allowed; at least 1 day")
    assert roleless["failed"] is True and roleless["msg"].startswith("iam_role_arn: none is not allowed")
    assert calls == []
