"""Drift: changes made behind the tool's back are reported per region, then repaired by site.yml."""

import pytest

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("dev_stack")]


def test_drift_is_reported_then_repaired(dev_stack, run_playbook, aws):
    env = {"TAP_OUTPUTS_DIR": str(dev_stack["outputs_dir"])}
    clean = run_playbook("playbooks/drift.yml", "inventories/local", "--check", env=env)
    assert clean.rc == 0, clean.output[-5000:]
    assert "No drift" in clean.stdout

    outputs = dev_stack["outputs"]["regions"]
    ec2_east2 = aws("ec2", "us-east-2")
    tables = ec2_east2.describe_route_tables(
        Filters=[
            {"Name": "vpc-id", "Values": [outputs["us-east-2"]["vpc_id"]]},
            {"Name": "tag:Name", "Values": ["tap-dev-us-east-2-private"]},
        ]
    )["RouteTables"]
    igw = ec2_east2.describe_internet_gateways(
        Filters=[{"Name": "attachment.vpc-id", "Values": [outputs["us-east-2"]["vpc_id"]]}]
    )["InternetGateways"][0]
    ec2_east2.create_route(
        RouteTableId=tables[0]["RouteTableId"], DestinationCidrBlock="0.0.0.0/0", GatewayId=igw["InternetGatewayId"]
    )
    aws("ec2", "eu-west-1").modify_vpc_attribute(
        VpcId=outputs["eu-west-1"]["vpc_id"], EnableDnsHostnames={"Value": False}
    )

    drift = run_playbook("playbooks/drift.yml", "inventories/local", "--check", env=env)
    assert drift.rc != 0
    assert "us-east-2 |" in drift.output
    assert f"route table tap-dev-us-east-2-private: route 0.0.0.0/0 {igw['InternetGatewayId']} -> none" in drift.output
    assert "eu-west-1 |" in drift.output and "VPC tap-dev-eu-west-1: EnableDnsHostnames false -> true" in drift.output
    assert "us-east-1 |" not in drift.output

    repair = run_playbook("site.yml", "inventories/local", env=env)
    assert repair.rc == 0, repair.output[-5000:]
    assert repair.recap()["us-east-2"]["changed"] >= 1
    after = run_playbook("playbooks/drift.yml", "inventories/local", "--check", env=env)
    assert after.rc == 0, after.output[-5000:]


def test_drift_refuses_to_run_without_check_mode(run_playbook, dev_stack):
    run = run_playbook(
        "playbooks/drift.yml", "inventories/local", env={"TAP_OUTPUTS_DIR": str(dev_stack["outputs_dir"])}
    )
    assert run.rc != 0
    assert "run it with --check" in run.output
