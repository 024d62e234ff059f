"""Role dynamodb_global through playbooks/global.yml: replicas follow the inventory's regions.

Runs the real play (module_defaults, primary host) against the emulator with inventories written
like the project's own. The table and KMS aliases use a test-only name (extra vars) so this test
neither depends on nor disturbs the dev stack other tests deploy in the same emulator.
"""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError
from integration.helpers import REGIONS, REPO_ROOT, make_inventory

pytestmark = pytest.mark.slow

TABLE = "sessions-roletest"
ALIAS_PREFIX = "alias/tap-roletest"


@pytest.fixture
def keys(aws):
    arns = {}
    for region in REGIONS:
        kms = aws("kms", region)
        try:
            arns[region] = kms.describe_key(KeyId=f"{ALIAS_PREFIX}-{region}")["KeyMetadata"]["Arn"]
        except ClientError:
            key = kms.create_key(Description=f"role test {region}")["KeyMetadata"]
            kms.create_alias(AliasName=f"{ALIAS_PREFIX}-{region}", TargetKeyId=key["KeyId"])
            arns[region] = key["Arn"]
    return arns


def test_replicas_follow_the_inventory(run_playbook, aws, keys, tmp_path):
    facts_file = tmp_path / "facts.json"
    playbook = tmp_path / "global_with_facts.yml"
    playbook.write_text(
        f"""---
- ansible.builtin.import_playbook: {REPO_ROOT / "playbooks" / "global.yml"}

- name: Record what the role published
  hosts: primary
  gather_facts: false
  roles: [tap.multiregion.settings]
  tasks:
    - name: Write the facts
      ansible.builtin.copy:
        dest: {facts_file}
        content: >-
          {{{{ {{'name': dynamodb_global_table_name, 'regions': dynamodb_global_replica_regions,
                'arn': dynamodb_global_table_arn}} | to_json }}}}
        mode: "0600"
      changed_when: false
"""
    )
    two = make_inventory(tmp_path / "two", "dev", {r: REGIONS[r] for r in ("us-east-1", "us-east-2")})
    three = make_inventory(tmp_path / "three", "dev", REGIONS, primary="us-east-1")
    extra = ["-e", json.dumps({"dynamodb_global_table_name": TABLE, "dynamodb_global_kms_alias_prefix": ALIAS_PREFIX})]

    def run(inventory, *args):
        return run_playbook(str(playbook), str(inventory), *extra, *args)

    # Check mode: reports the change, creates nothing.
    checked = run(two, "--check")
    assert checked.rc == 0, checked.output[-4000:]
    assert checked.changed() == 1
    with pytest.raises(ClientError, match="ResourceNotFoundException"):
        aws("dynamodb", "us-east-1").describe_table(TableName=TABLE)

    # Two regions: table in the primary, replica in the other; facts published.
    first = run(two)
    assert first.rc == 0, first.output[-4000:]
    facts = json.loads(facts_file.read_text())
    assert facts["name"] == TABLE and facts["regions"] == ["us-east-2"]
    table = aws("dynamodb", "us-east-1").describe_table(TableName=TABLE)["Table"]
    assert facts["arn"] == table["TableArn"]
    assert table["SSEDescription"]["KMSMasterKeyArn"] == keys["us-east-1"]
    assert table["Replicas"] == [
        {"RegionName": "us-east-2", "ReplicaStatus": "ACTIVE", "KMSMasterKeyId": keys["us-east-2"]}
    ]
    assert table["DeletionProtectionEnabled"] is False  # dev
    replica = aws("dynamodb", "us-east-2")
    replica_tags = {
        t["Key"]: t["Value"]
        for t in replica.list_tags_of_resource(
            ResourceArn=replica.describe_table(TableName=TABLE)["Table"]["TableArn"]
        )["Tags"]
    }
    assert replica_tags["Region"] == "us-east-2" and replica_tags["Environment"] == "dev"

    again = run(two)
    assert again.rc == 0 and again.changed() == 0, again.output[-4000:]

    # Adding a region adds its replica.
    added = run(three)
    assert added.rc == 0 and added.changed() == 1, added.output[-4000:]
    assert json.loads(facts_file.read_text())["regions"] == ["eu-west-1", "us-east-2"]

    # Removing a region is refused unless explicitly allowed.
    refused = run(two)
    assert refused.rc != 0
    assert "eu-west-1" in refused.output and "allow_replica_removal" in refused.output
    assert len(aws("dynamodb", "us-east-1").describe_table(TableName=TABLE)["Table"]["Replicas"]) == 2
    removed = run(two, "-e", json.dumps({"dynamodb_global_allow_replica_removal": True}))
    assert removed.rc == 0, removed.output[-4000:]
    assert json.loads(facts_file.read_text())["regions"] == ["us-east-2"]
    with pytest.raises(ClientError, match="ResourceNotFoundException"):
        aws("dynamodb", "eu-west-1").describe_table(TableName=TABLE)
