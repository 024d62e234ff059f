"""The result contract of every AWS module (docs/architecture.md, "Module shape and the result contract").

One parametrised test over every AWS module of the collection: planning a new resource in check mode
with diff returns `changed` (true exactly when `changes` is not empty), `changes` as a list of sentences
that name what they change (`create <kind> <name>`, `delete <kind> <name>` or `<kind> <name>: <what>`),
a `diff`, and makes zero write calls (the emulator's call log). Each module's own test file has its
drift test, which shows that a change of an existing resource names the attribute.
"""

from __future__ import annotations

import importlib
import io
import re
import uuid
import zipfile
from pathlib import Path

import pytest
from rds_support import create_cluster, create_instance, wait_available

from emulator import control

REGION = "sa-east-1"  # no other unit test plans resources here
ACCOUNT = "123456789012"
KEY = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/00000000-0000-0000-0000-00000000c0de"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/contract-role"
TAGS = {"Environment": "contract", "CostCenter": "cc"}
MODULES_DIR = Path(__file__).resolve().parents[3] / "plugins" / "modules"
# Modules without AWS calls (controller-side validation and files).
NOT_AWS = {"cidr_validate", "tag_policy", "json_file", "lambda_package"}
# A sentence names the resource it changes: "create/delete <kind> <name>...", or "<kind> <name>: <what>".
SENTENCE = re.compile(r"^(create|delete|write|put|start|remove|add) \S.*|^[A-Za-z0-9][^:]* \S+: \S.*$")


def zip_file(tmp_path) -> str:
    path = tmp_path / "contract.zip"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("processor.py", "def handler(event, context):\n    return event\n")
    path.write_bytes(buffer.getvalue())
    return str(path)


def plans(tmp_path) -> dict:
    """Arguments that plan one new resource (group) per module, as the roles call them."""
    statement = {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
    trust = {"Version": "2012-10-17", "Statement": [statement]}
    return {
        "kms_key": {"alias": "alias/contract", "tags": TAGS},
        "s3_secure_bucket": {"name": "tap-contract-bucket", "versioning": True, "tags": TAGS},
        "vpc_network": {
            "name": "tap-contract",
            "cidr_block": "10.77.0.0/16",
            "public_subnets": ["10.77.0.0/24", "10.77.1.0/24", "10.77.2.0/24"],
            "private_subnets": ["10.77.10.0/24", "10.77.11.0/24", "10.77.12.0/24"],
            "tags": TAGS,
        },
        "aurora_network": {
            "vpc_name": "tap-contract-missing",
            "subnet_group_name": "contract-subnets",
            "app_security_group_name": "contract-app",
            "db_security_group_name": "contract-db",
            "tags": TAGS,
        },
        "iam_service_role": {"name": "contract-role", "trust_policy": trust, "tags": TAGS},
        "aurora_cluster": {
            "cluster_identifier": "contract-cluster",
            "kms_key_id": KEY,
            "db_subnet_group_name": "contract-subnets",
            "vpc_security_group_ids": ["sg-0123456789abcdef0"],
            "instance_class": "db.r5.large",
            "monitoring_role_arn": ROLE,
            "deletion_protection": False,
            "tags": TAGS,
        },
        "aurora_global_cluster": {
            "global_cluster_identifier": "contract-global",
            "engine": "aurora-mysql",
            "engine_version": "8.0.mysql_aurora.3.04.0",
        },
        "aws_backup": {"vault_name": "contract-vault", "plan_name": "contract-plan", "retention_days": 7,
                       "kms_key_arn": KEY, "tags": TAGS},  # fmt: skip
        "lambda_function": {
            "name": "contract-function",
            "role": ROLE,
            "runtime": "python3.11",
            "handler": "processor.handler",
            "zip_file": zip_file(tmp_path),
            "tags": TAGS,
        },
        "apigatewayv2_http_api": {
            "name": "contract-api",
            "integration_uri": f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:contract-function",
            "routes": ["POST /process"],
            "stage_name": "contract",
            "access_log_destination_arn": f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/contract/api",
            "tags": TAGS,
        },
        "alert_topic": {"name": "contract-topic", "kms_master_key_id": KEY, "tags": TAGS},
        "cloudwatch_alarms": {
            "alarms": [{"name": "contract-errors", "namespace": "AWS/Lambda", "metric_name": "Errors",
                        "statistic": "Sum", "period": 300, "evaluation_periods": 1, "threshold": 1,
                        "comparison_operator": "GreaterThanThreshold"}],  # fmt: skip
        },
        "dynamodb_global_table": {"name": "contract-sessions", "kms_key": KEY, "tags": TAGS},
        "deploy_lock": {"lock_id": "contract", "holder": "contract@test", "run_id": "contract-run",
                        "table": "contract-locks"},  # fmt: skip
        "deployment_records": {"bucket": "tap-contract-records", "prefix": "deployments/contract/",
                               "key": "20260101T000000Z-contract.json", "record": {"run_id": "contract"},
                               "kms_key_id": KEY},  # fmt: skip
        "caller_identity": {},
        "preflight": {"zone_count": 3, "buckets": ["tap-contract-bucket"], "kms_aliases": ["alias/contract"]},
        "alarm_watch": {"alarm_name_prefix": "contract-", "bake_seconds": 0, "require_alarms": False},
        "smoke_test": {"bucket": "tap-contract-bucket", "table": "contract-sessions", "api_name": "contract-api",
                       "stage": "contract"},  # fmt: skip
    }


# The day-2 operations act on what a deploy built: their cases first build it with boto3 (module -> setup(aws)
# returning the module's arguments and the region to run it in).
def existing_http_api(aws):
    apigateway = aws("apigatewayv2", REGION)
    api = apigateway.create_api(Name="contract-ops-api-%s" % uuid.uuid4().hex[:6], ProtocolType="HTTP")
    apigateway.create_route(ApiId=api["ApiId"], RouteKey="POST /process")
    apigateway.create_stage(ApiId=api["ApiId"], StageName="contract")
    return {"api_name": api["Name"], "stage": "contract", "state": "stopped"}, REGION


def existing_global_table(aws):
    name = "contract-global-%s" % uuid.uuid4().hex[:6]
    dynamodb = aws("dynamodb", REGION)
    dynamodb.create_table(
        TableName=name, BillingMode="PAY_PER_REQUEST",
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
        KeySchema=[{"AttributeName": "session_id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "session_id", "AttributeType": "S"}],
    )  # fmt: skip
    dynamodb.update_table(TableName=name, ReplicaUpdates=[{"Create": {"RegionName": "ap-southeast-4"}}])
    return {"table_name": name}, REGION


def existing_global_database(aws):
    """A global database with its writer in REGION and a secondary in ap-southeast-4: plan a switchover."""
    writer_rds, reader_rds = aws("rds", REGION), aws("rds", "ap-southeast-4")
    identifier, writer, reader = ("contract-%s-%s" % (kind, uuid.uuid4().hex[:6]) for kind in ("g", "w", "r"))
    arn = create_cluster(writer_rds, writer)["DBClusterArn"]
    create_instance(writer_rds, writer + "-1", writer)
    wait_available(writer_rds, writer)
    writer_rds.create_global_cluster(GlobalClusterIdentifier=identifier, SourceDBClusterIdentifier=arn)
    create_cluster(reader_rds, reader, global_cluster=identifier)
    create_instance(reader_rds, reader + "-1", reader)
    wait_available(reader_rds, reader)
    return {"global_cluster_identifier": identifier, "operation": "switchover",
            "target_region": "ap-southeast-4"}, "ap-southeast-4"  # fmt: skip


OPERATIONS = {
    "api_traffic": existing_http_api,
    "global_table_replication": existing_global_table,
    "aurora_global_operation": existing_global_database,
}


def aws_modules() -> list[str]:
    return sorted(p.stem for p in MODULES_DIR.glob("*.py") if p.stem not in NOT_AWS and p.stem != "__init__")


def test_every_aws_module_has_a_contract_case(tmp_path):
    assert sorted(list(plans(tmp_path)) + list(OPERATIONS)) == aws_modules()


@pytest.mark.parametrize("name", aws_modules())
def test_the_result_contract_in_check_mode(name, run_module, emulator_url, aws, tmp_path):
    module = importlib.import_module(f"ansible_collections.tap.multiregion.plugins.modules.{name}")
    args, region = OPERATIONS[name](aws) if name in OPERATIONS else (plans(tmp_path)[name], REGION)
    mark = control.last_call_seq(emulator_url)
    result = run_module(module.main, args, region=region, check_mode=True, diff=True)
    writes = control.write_calls(emulator_url, mark)
    assert writes == [], f"{name} wrote in check mode: {writes}"
    assert result.get("failed") is not True, result
    changes = result["changes"]
    assert isinstance(result["changed"], bool) and isinstance(changes, list)
    assert result["changed"] is bool(changes), result
    assert all(isinstance(c, str) and SENTENCE.match(c) for c in changes), changes
    if changes:
        assert isinstance(result.get("diff"), dict) and set(result["diff"]) >= {"before", "after"}, result.get("diff")
