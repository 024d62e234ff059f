"""emulator.dynamodb_table_states: CREATING / UPDATING / DELETING and replica states, as AWS has them.

A transition's duration is read when the table is next read, so a test holds a state with a huge
duration and ends it by setting the duration to 0: nothing here waits.
"""

from __future__ import annotations

import uuid

import botocore.exceptions
import pytest

HOLD = 1e9
INSTANT = {
    "dynamodb.table.create": 0,
    "dynamodb.table.update": 0,
    "dynamodb.table.delete": 0,
    "dynamodb.replica.create": 0,
    "dynamodb.replica.delete": 0,
}
GLOBAL_IN_USE = "The resource which you are attempting to change is in use."


def durations(**held: float) -> dict:
    return {"durations": dict(INSTANT, **{name.replace("_", "."): value for name, value in held.items()})}


def create_table(ddb, name: str) -> dict:
    return ddb.create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
    )["TableDescription"]


def table(ddb, name: str) -> dict:
    return ddb.describe_table(TableName=name)["Table"]


def in_use(call, **kwargs) -> str:
    with pytest.raises(botocore.exceptions.ClientError) as error:
        call(**kwargs)
    assert error.value.response["Error"]["Code"] == "ResourceInUseException"
    return error.value.response["Error"]["Message"]


def test_a_new_table_is_creating_and_refuses_changes_until_active(aws_profile):
    aws_profile.set(**durations(dynamodb_table_create=HOLD))
    ddb = aws_profile.client("dynamodb")
    name = f"states-{uuid.uuid4().hex[:8]}"
    assert create_table(ddb, name)["TableStatus"] == "CREATING"
    assert table(ddb, name)["TableStatus"] == "CREATING"
    expected = f"Attempt to change a resource which is still in use: Table is being created: {name}"
    assert in_use(ddb.update_table, TableName=name, BillingMode="PROVISIONED",
                  ProvisionedThroughput={"ReadCapacityUnits": 1, "WriteCapacityUnits": 1}) == expected  # fmt: skip
    assert in_use(ddb.delete_table, TableName=name) == expected
    assert in_use(create_table, ddb=ddb, name=name) == expected

    aws_profile.set(**durations())
    assert table(ddb, name)["TableStatus"] == "ACTIVE"
    assert in_use(create_table, ddb=ddb, name=name) == f"Table already exists: {name}"


def test_an_update_makes_the_table_updating(aws_profile):
    aws_profile.set(**durations(dynamodb_table_update=HOLD))
    ddb = aws_profile.client("dynamodb")
    name = f"states-{uuid.uuid4().hex[:8]}"
    create_table(ddb, name)
    ddb.update_table(TableName=name, DeletionProtectionEnabled=False)  # stays ACTIVE
    ddb.update_table(TableName=name, SSESpecification={"Enabled": True, "SSEType": "KMS"})  # stays ACTIVE
    assert table(ddb, name)["TableStatus"] == "ACTIVE"
    answer = ddb.update_table(TableName=name, StreamSpecification={"StreamEnabled": False})
    assert answer["TableDescription"]["TableStatus"] == "UPDATING"
    stream = {"StreamEnabled": True, "StreamViewType": "KEYS_ONLY"}
    assert in_use(ddb.update_table, TableName=name, StreamSpecification=stream) == (
        f"Attempt to change a resource which is still in use: Table is being updated: {name}"
    )
    assert in_use(ddb.update_table, TableName=name, DeletionProtectionEnabled=True) == (
        "Table needs to be in ACTIVE status to modify deletion protection setting."
    )
    assert in_use(ddb.delete_table, TableName=name) == (
        f"Attempt to change a resource which is still in use: Table: {name} is in the process of being updated."
    )
    aws_profile.set(**durations())
    assert table(ddb, name)["TableStatus"] == "ACTIVE"


def test_a_deleted_table_is_deleting_then_gone(aws_profile):
    aws_profile.set(**durations(dynamodb_table_delete=HOLD))
    ddb = aws_profile.client("dynamodb")
    name = f"states-{uuid.uuid4().hex[:8]}"
    create_table(ddb, name)
    assert ddb.delete_table(TableName=name)["TableDescription"]["TableStatus"] == "DELETING"
    assert table(ddb, name)["TableStatus"] == "DELETING"
    expected = f"Attempt to change a resource which is still in use: Table is being deleted: {name}"
    assert in_use(ddb.update_table, TableName=name, StreamSpecification={"StreamEnabled": False}) == expected
    assert in_use(ddb.delete_table, TableName=name) == expected

    aws_profile.set(**durations())
    with pytest.raises(ddb.exceptions.ResourceNotFoundException):
        table(ddb, name)
    assert name not in ddb.list_tables()["TableNames"]


def test_a_replica_is_creating_then_deleting_while_the_table_is_updating(aws_profile):
    aws_profile.set(**durations(dynamodb_replica_create=HOLD))
    source, target = aws_profile.client("dynamodb", "us-east-1"), aws_profile.client("dynamodb", "us-west-2")
    name = f"states-{uuid.uuid4().hex[:8]}"
    create_table(source, name)

    answer = source.update_table(TableName=name, ReplicaUpdates=[{"Create": {"RegionName": "us-west-2"}}])
    assert answer["TableDescription"]["TableStatus"] == "UPDATING"
    assert answer["TableDescription"]["Replicas"] == [{"RegionName": "us-west-2", "ReplicaStatus": "CREATING"}]
    assert table(target, name)["TableStatus"] == "CREATING"
    assert (
        in_use(source.update_table, TableName=name, ReplicaUpdates=[{"Create": {"RegionName": "eu-west-1"}}])
        == GLOBAL_IN_USE
    )
    assert in_use(source.delete_table, TableName=name) == GLOBAL_IN_USE

    aws_profile.set(**durations(dynamodb_replica_delete=HOLD))
    described = table(source, name)
    assert described["TableStatus"] == "ACTIVE"
    assert described["Replicas"] == [{"RegionName": "us-west-2", "ReplicaStatus": "ACTIVE"}]
    assert table(target, name)["TableStatus"] == "ACTIVE"

    answer = source.update_table(TableName=name, ReplicaUpdates=[{"Delete": {"RegionName": "us-west-2"}}])
    assert answer["TableDescription"]["TableStatus"] == "UPDATING"
    assert answer["TableDescription"]["Replicas"] == [{"RegionName": "us-west-2", "ReplicaStatus": "DELETING"}]
    assert table(target, name)["TableStatus"] == "DELETING"
    assert in_use(target.update_table, TableName=name, BillingMode="PAY_PER_REQUEST") == GLOBAL_IN_USE

    aws_profile.set(**durations())
    described = table(source, name)
    assert described["TableStatus"] == "ACTIVE"
    assert "Replicas" not in described
    with pytest.raises(target.exceptions.ResourceNotFoundException):
        table(target, name)


def test_the_default_profile_keeps_every_table_active(aws):
    ddb = aws("dynamodb")
    name = f"states-{uuid.uuid4().hex[:8]}"
    assert create_table(ddb, name)["TableStatus"] == "ACTIVE"
    ddb.update_table(TableName=name, StreamSpecification={"StreamEnabled": False})
    ddb.update_table(TableName=name, BillingMode="PROVISIONED",
                     ProvisionedThroughput={"ReadCapacityUnits": 1, "WriteCapacityUnits": 1})  # fmt: skip
    assert table(ddb, name)["TableStatus"] == "ACTIVE"
    assert ddb.delete_table(TableName=name)["TableDescription"]["TableStatus"] == "ACTIVE"
    with pytest.raises(ddb.exceptions.ResourceNotFoundException):
        table(ddb, name)
