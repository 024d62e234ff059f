"""Role deployment_record and playbooks/deployments.yml against the emulator.

An inventory of its own (environment prod, one region no other test uses) and a data bucket made
here like the baseline role's (object ownership enforced, SSE-KMS key with the baseline's alias).
"""

from __future__ import annotations

import json
import re
import subprocess

import pytest
import yaml
from integration.helpers import REPO_ROOT, make_inventory
from integration.helpers import log_bucket

pytestmark = pytest.mark.slow

ENV = "prod"
REGION = "eu-west-3"
BUCKET = log_bucket(ENV, REGION)
PREFIX = f"deployments/{ENV}/"
PLAYBOOK = "tests/integration/playbooks/deployment_record.yml"
OUTPUTS = {
    REGION: {
        "vpc_id": "vpc-0123",
        "s3_bucket_name": BUCKET,
        "lambda_function_arn": f"arn:aws:lambda:{REGION}:123456789012:function:data-processor-{ENV}-{REGION}",
        "rds_cluster_endpoint": None,
        "dynamodb_table_name": f"sessions-{ENV}",
        "api_gateway_endpoint": "https://abc.execute-api.example/prod",
        "kms_key_id": "key-1",
    }
}
RECORD_KEYS = {
    "environment",
    "time",
    "run_id",
    "holder",
    "collection",
    "collection_version",
    "ansible_version",
    "git_revision",
    "git_dirty",
    "inventory",
    "outputs",
    "outcome",
    "reason",
    "rollout",
    "operation",
}


@pytest.fixture(scope="module")
def inventory(tmp_path_factory, aws):
    s3 = aws("s3", REGION)
    s3.create_bucket(
        Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION}, ObjectOwnership="BucketOwnerEnforced"
    )
    kms = aws("kms", REGION)
    key = kms.create_key(Description="deployment record test")["KeyMetadata"]
    kms.create_alias(AliasName=f"alias/tap-{ENV}-{REGION}", TargetKeyId=key["KeyId"])
    return str(make_inventory(tmp_path_factory.mktemp("inventory"), ENV, {REGION: "10.41.0.0/16"}))


def record_keys(aws) -> list[str]:
    listing = aws("s3", REGION).list_objects_v2(Bucket=BUCKET, Prefix=PREFIX)
    return sorted(o["Key"] for o in listing.get("Contents", []))


def test_each_run_writes_one_record_and_the_last_are_listed(run_playbook, aws, inventory):
    outputs = ["-e", json.dumps({"test_outputs_by_region": OUTPUTS})]

    # Check mode deploys nothing, so it records nothing.
    checked = run_playbook(PLAYBOOK, inventory, "--check", *outputs)
    assert checked.rc == 0 and checked.changed() == 0, checked.output[-3000:]
    assert record_keys(aws) == []

    runs = [run_playbook(PLAYBOOK, inventory, *outputs), run_playbook(PLAYBOOK, inventory, *outputs)]
    for run in runs:
        assert run.rc == 0 and run.changed() == 0, run.output[-3000:]
    keys = record_keys(aws)
    assert len(keys) == 2
    s3 = aws("s3", REGION)
    records = []
    for key in keys:
        assert re.fullmatch(re.escape(PREFIX) + r"\d{8}T\d{6}Z-[0-9a-f]{12}\.json", key), key
        head = s3.head_object(Bucket=BUCKET, Key=key)
        assert head["ServerSideEncryption"] == "aws:kms" and head["ContentType"] == "application/json"
        records.append(json.loads(s3.get_object(Bucket=BUCKET, Key=key)["Body"].read()))

    newest = records[-1]
    assert set(newest) == RECORD_KEYS
    assert keys[-1].endswith(f"-{newest['run_id']}.json")
    assert newest["time"].replace("-", "").replace(":", "") in keys[-1]
    assert newest["environment"] == ENV and newest["collection"] == "tap.multiregion"
    galaxy = yaml.safe_load((REPO_ROOT / "galaxy.yml").read_text())
    assert newest["collection_version"] == galaxy["version"]
    git = subprocess.run(
        ["git", "-C", str(REPO_ROOT), "rev-parse", "HEAD"], capture_output=True, text=True, check=False
    )
    assert newest["git_revision"] == (git.stdout.strip() if git.returncode == 0 else None)
    assert newest["inventory"] == {"primary": REGION, "regions": {REGION: "10.41.0.0/16"}}
    assert newest["outputs"] == OUTPUTS
    assert newest["holder"] and "@" in newest["holder"]
    assert newest["outcome"] == "succeeded" and newest["reason"] is None and newest["rollout"] is None
    assert newest["operation"] is None
    assert records[0]["run_id"] != newest["run_id"]
    # The lock was released at the end of each run.
    lock = aws("dynamodb", REGION).get_item(TableName="tap-deploy-locks", Key={"lock_id": {"S": ENV}})
    assert "Item" not in lock

    listed = run_playbook("playbooks/deployments.yml", inventory, "-e", "deployments_last=1")
    assert listed.rc == 0 and listed.changed() == 0, listed.output[-3000:]
    assert f"Last 1 of 2 deployment(s) of {ENV}" in listed.output
    assert newest["run_id"] in listed.output and records[0]["run_id"] not in listed.output
    assert (newest["git_revision"] or "-")[:12] in listed.output


def test_secret_like_outputs_are_refused(run_playbook, aws, inventory):
    before = record_keys(aws)
    leaky = {REGION: dict(OUTPUTS[REGION], db_password="hunter2")}
    run = run_playbook(PLAYBOOK, inventory, "-e", json.dumps({"test_outputs_by_region": leaky}))
    assert run.rc != 0 and "outputs db_password look like secrets" in " ".join(run.output.split())
    assert record_keys(aws) == before
    lock = aws("dynamodb", REGION).get_item(TableName="tap-deploy-locks", Key={"lock_id": {"S": ENV}})
    assert "Item" not in lock  # released although the run failed


def test_record_without_a_lock_run_id_names_one_run(run_playbook, aws, inventory):
    """Without the deploy lock's run id the role makes one, and the key and the record agree on it."""
    prefix = "deployments/adhoc/"
    extra = {"test_outputs_by_region": OUTPUTS, "deployment_record_run_id": "", "deployment_record_prefix": prefix}
    run = run_playbook(PLAYBOOK, inventory, "-e", json.dumps(extra))
    assert run.rc == 0, run.output[-3000:]
    s3 = aws("s3", REGION)
    (key,) = [o["Key"] for o in s3.list_objects_v2(Bucket=BUCKET, Prefix=prefix)["Contents"]]
    record = json.loads(s3.get_object(Bucket=BUCKET, Key=key)["Body"].read())
    stamp = record["time"].replace("-", "").replace(":", "")
    assert key == f"{prefix}{stamp}-{record['run_id']}.json"
