"""emulator.dynamodb_replication: items written to one replica of a global table reach the others."""

from __future__ import annotations

import uuid

from aws_profile_support import FOREVER

REGIONS = ("ap-southeast-2", "ap-northeast-3")  # the source region first
STREAM = {"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"}


def global_table(client, name: str) -> None:
    """A table in REGIONS[0] with a replica in REGIONS[1] (as dynamodb_global_table makes it)."""
    source = client("dynamodb", REGIONS[0])
    source.create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "session_id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "session_id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
        StreamSpecification=STREAM,
    )
    source.update_table(TableName=name, ReplicaUpdates=[{"Create": {"RegionName": REGIONS[1]}}])


def item(client, region: str, name: str, session_id: str) -> dict | None:
    answer = client("dynamodb", region).get_item(
        TableName=name, Key={"session_id": {"S": session_id}}, ConsistentRead=True
    )
    return answer.get("Item")


def test_every_kind_of_write_reaches_the_other_replica_at_once(aws):
    name = f"repl-{uuid.uuid4().hex[:8]}"
    global_table(aws, name)
    here, there = aws("dynamodb", REGIONS[0]), aws("dynamodb", REGIONS[1])

    here.put_item(TableName=name, Item={"session_id": {"S": "a"}, "data": {"S": "one"}, "n": {"N": "1"}})
    assert item(aws, REGIONS[1], name, "a") == {"session_id": {"S": "a"}, "data": {"S": "one"}, "n": {"N": "1"}}

    # Writes in the replica come back to the table where the global table was created.
    there.update_item(
        TableName=name,
        Key={"session_id": {"S": "a"}},
        UpdateExpression="SET #d = :d ADD n :one",
        ExpressionAttributeNames={"#d": "data"},
        ExpressionAttributeValues={":d": {"S": "two"}, ":one": {"N": "1"}},
    )
    assert item(aws, REGIONS[0], name, "a") == {"session_id": {"S": "a"}, "data": {"S": "two"}, "n": {"N": "2"}}

    here.batch_write_item(
        RequestItems={
            name: [
                {"PutRequest": {"Item": {"session_id": {"S": "b"}}}},
                {"DeleteRequest": {"Key": {"session_id": {"S": "a"}}}},
            ]
        }
    )
    assert item(aws, REGIONS[1], name, "a") is None
    assert item(aws, REGIONS[1], name, "b") == {"session_id": {"S": "b"}}

    there.transact_write_items(
        TransactItems=[
            {"Put": {"TableName": name, "Item": {"session_id": {"S": "c"}}}},
            {"Delete": {"TableName": name, "Key": {"session_id": {"S": "b"}}}},
        ]
    )
    assert item(aws, REGIONS[0], name, "c") == {"session_id": {"S": "c"}}
    assert item(aws, REGIONS[0], name, "b") is None

    there.delete_item(TableName=name, Key={"session_id": {"S": "c"}})
    assert here.scan(TableName=name)["Items"] == [] and there.scan(TableName=name)["Items"] == []


def test_a_table_of_the_same_name_that_is_no_replica_is_left_alone(aws):
    name = f"repl-{uuid.uuid4().hex[:8]}"
    for region in REGIONS:
        aws("dynamodb", region).create_table(
            TableName=name,
            KeySchema=[{"AttributeName": "session_id", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "session_id", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
    aws("dynamodb", REGIONS[0]).put_item(TableName=name, Item={"session_id": {"S": "a"}})
    assert item(aws, REGIONS[1], name, "a") is None


def test_under_the_aws_profile_a_write_reaches_the_replica_after_the_replication_delay(aws_profile):
    name = f"repl-{uuid.uuid4().hex[:8]}"
    aws_profile.set(durations={"dynamodb.table.create": 0, "dynamodb.replica.create": 0})
    global_table(aws_profile.client, name)
    aws_profile.set(durations={"dynamodb.replication": FOREVER})
    aws_profile.client("dynamodb", REGIONS[0]).put_item(TableName=name, Item={"session_id": {"S": "late"}})
    assert item(aws_profile.client, REGIONS[1], name, "late") is None
    assert item(aws_profile.client, REGIONS[0], name, "late") == {"session_id": {"S": "late"}}

    aws_profile.set(durations={"dynamodb.replication": 0})
    assert item(aws_profile.client, REGIONS[1], name, "late") == {"session_id": {"S": "late"}}
