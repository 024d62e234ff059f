"""deployment_records against the emulator (run in-process through run_module)."""

from __future__ import annotations

import json

import pytest

from ansible_collections.tap.multiregion.plugins.modules import deployment_records as module

REGION = "us-west-1"
BUCKET = "tap-records-unit-test"
PREFIX = "deployments/dev/"


@pytest.fixture(scope="module")
def key_id(aws):
    aws("s3", REGION).create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION})
    return aws("kms", REGION).create_key()["KeyMetadata"]["Arn"]


def write(run_module, key_id, name, record, check_mode=False):
    args = {"bucket": BUCKET, "prefix": PREFIX, "key": name, "record": record, "kms_key_id": key_id}
    return run_module(module.main, args, region=REGION, check_mode=check_mode)


def test_a_record_is_written_once_encrypted_and_never_replaced(run_module, aws, key_id):
    result = write(run_module, key_id, "20261125T100000Z-aaa.json", {"run_id": "aaa", "outputs": {"x": 1}})
    assert result["changed"] is False and result["key"] == PREFIX + "20261125T100000Z-aaa.json", result
    stored = aws("s3", REGION).get_object(Bucket=BUCKET, Key=result["key"])
    assert stored["ServerSideEncryption"] == "aws:kms" and stored["SSEKMSKeyId"] == key_id
    assert stored["ContentType"] == "application/json"
    assert json.loads(stored["Body"].read()) == {"run_id": "aaa", "outputs": {"x": 1}}

    again = write(run_module, key_id, "20261125T100000Z-aaa.json", {"run_id": "other"})
    assert again.get("failed") is True and "never replaced" in again["msg"]
    assert json.loads(aws("s3", REGION).get_object(Bucket=BUCKET, Key=result["key"])["Body"].read())["run_id"] == "aaa"


def test_check_mode_writes_nothing(run_module, aws, key_id):
    result = write(run_module, key_id, "20261125T110000Z-chk.json", {"run_id": "chk"}, check_mode=True)
    assert result["changed"] is False and result.get("failed") is not True
    listed = aws("s3", REGION).list_objects_v2(Bucket=BUCKET, Prefix=PREFIX + "20261125T110000Z")
    assert listed.get("KeyCount", 0) == 0


def test_the_newest_records_come_first(run_module, aws, key_id):
    prefix = "deployments/staging/"  # its own prefix: the other tests write under PREFIX
    for stamp in ("20261125T120000Z", "20261125T130000Z", "20261125T140000Z"):
        args = {"bucket": BUCKET, "prefix": prefix, "key": "%s-r.json" % stamp, "record": {"time": stamp}}
        run_module(module.main, dict(args, kms_key_id=key_id), region=REGION)
    aws("s3", REGION).put_object(Bucket=BUCKET, Key=prefix + "notes.txt", Body=b"not a record")
    result = run_module(module.main, {"bucket": BUCKET, "prefix": prefix, "last": 2}, region=REGION)
    assert [r["time"] for r in result["records"]] == ["20261125T140000Z", "20261125T130000Z"]
    assert result["keys"] == [prefix + "20261125T140000Z-r.json", prefix + "20261125T130000Z-r.json"]
    assert result["total"] == 3  # notes.txt is not a record


def test_last_zero_and_an_empty_prefix_return_nothing(run_module, key_id):
    result = run_module(module.main, {"bucket": BUCKET, "prefix": "deployments/none/", "last": 3}, region=REGION)
    assert result["records"] == [] and result["total"] == 0
    assert module.newest_keys(["a.json", "b.json"], 0) == ([], 2)


def test_record_and_last_are_exclusive(run_module, key_id):
    args = {"bucket": BUCKET, "prefix": PREFIX, "last": 1, "record": {}, "key": "k.json", "kms_key_id": key_id}
    result = run_module(module.main, args, region=REGION)
    assert result["failed"] is True and "mutually exclusive" in result["msg"]


def test_a_retry_after_an_ambiguous_server_error_is_not_a_clash(run_module, aws, key_id, monkeypatch):
    """The first PutObject succeeds but its answer is lost (a 5xx): the retry finds its own record."""
    import botocore.client
    from botocore.exceptions import ClientError

    original = botocore.client.BaseClient._make_api_call
    puts = []

    def lose_the_first_answer(client, operation_name, api_params):
        if operation_name == "PutObject":
            puts.append(api_params["Key"])
        result = original(client, operation_name, api_params)
        if operation_name == "PutObject" and len(puts) == 1:
            error = {"Code": "InternalError", "Message": "We encountered an internal error"}
            raise ClientError({"Error": error, "ResponseMetadata": {"HTTPStatusCode": 500}}, operation_name)
        return result

    monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", lose_the_first_answer)
    monkeypatch.setattr("ansible_collections.amazon.aws.plugins.module_utils.cloud.time.sleep", lambda _s: None)
    result = write(run_module, key_id, "20261125T150000Z-amb.json", {"run_id": "amb"})
    assert result.get("failed") is not True, result
    assert len(puts) == 2  # retried, and the retry met the record of the first attempt
    stored = aws("s3", REGION).get_object(Bucket=BUCKET, Key=PREFIX + "20261125T150000Z-amb.json")
    assert json.loads(stored["Body"].read()) == {"run_id": "amb"}
