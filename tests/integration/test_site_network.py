"""site.yml against the emulator: the network of every region, idempotence and check mode."""

import pytest
from integration.helpers import REGIONS, make_inventory

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("dev_stack")]


def tags_of(resource):
    return {t["Key"]: t["Value"] for t in resource.get("Tags", [])}


@pytest.mark.parametrize("region", sorted(REGIONS))
def test_each_region_has_its_network(dev_stack, aws, region):
    ec2 = aws("ec2", region)
    vpc_id = dev_stack["outputs"]["regions"][region]["vpc_id"]
    vpc = ec2.describe_vpcs(VpcIds=[vpc_id])["Vpcs"][0]
    assert vpc["CidrBlock"] == REGIONS[region]
    assert tags_of(vpc)["Name"] == f"tap-dev-{region}"
    for key, value in {"Environment": "dev", "Region": region, "CostCenter": "platform", "Project": "tap"}.items():
        assert tags_of(vpc)[key] == value
    prefix = REGIONS[region].rsplit(".0.0/16", 1)[0]
    subnets = ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])["Subnets"]
    by_cidr = {s["CidrBlock"]: s for s in subnets}
    public = [f"{prefix}.{i}.0/24" for i in (0, 1, 2)]
    private = [f"{prefix}.{i}.0/24" for i in (10, 11, 12)]
    assert sorted(by_cidr) == sorted(public + private)
    zones = sorted(z["ZoneName"] for z in ec2.describe_availability_zones()["AvailabilityZones"])[:3]
    assert [by_cidr[c]["AvailabilityZone"] for c in public] == zones
    assert [by_cidr[c]["AvailabilityZone"] for c in private] == zones
    for subnet in subnets:
        assert {"Environment", "Region", "CostCenter", "ManagedBy", "Project", "Name"} <= set(tags_of(subnet))

    tables = ec2.describe_route_tables(Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])["RouteTables"]
    named = {tags_of(t).get("Name"): t for t in tables}
    public_table, private_table = named[f"tap-dev-{region}-public"], named[f"tap-dev-{region}-private"]
    igw = ec2.describe_internet_gateways(Filters=[{"Name": "attachment.vpc-id", "Values": [vpc_id]}])
    igw_id = igw["InternetGateways"][0]["InternetGatewayId"]
    assert {r.get("DestinationCidrBlock"): r.get("GatewayId") for r in public_table["Routes"]}["0.0.0.0/0"] == igw_id
    assert "0.0.0.0/0" not in {r.get("DestinationCidrBlock") for r in private_table["Routes"]}
    assert {a["SubnetId"] for a in public_table["Associations"]} == {by_cidr[c]["SubnetId"] for c in public}
    assert {a["SubnetId"] for a in private_table["Associations"]} == {by_cidr[c]["SubnetId"] for c in private}

    endpoints = ec2.describe_vpc_endpoints(Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])["VpcEndpoints"]
    assert {e["ServiceName"] for e in endpoints} == {f"com.amazonaws.{region}.s3", f"com.amazonaws.{region}.dynamodb"}
    for endpoint in endpoints:
        assert endpoint["VpcEndpointType"] == "Gateway"
        assert endpoint["RouteTableIds"] == [private_table["RouteTableId"]]


def test_outputs_file_lists_every_region(dev_stack):
    assert sorted(dev_stack["outputs"]["regions"]) == sorted(REGIONS)
    assert dev_stack["outputs"]["environment"] == "dev"
    assert "Outputs of dev" in dev_stack["run"].stdout


def test_second_run_changes_nothing(dev_stack, run_playbook):
    again = run_playbook("site.yml", "inventories/local", env={"TAP_OUTPUTS_DIR": str(dev_stack["outputs_dir"])})
    assert again.rc == 0, again.output[-4000:]
    assert again.changed() == 0, again.stdout[-6000:]


def test_check_diff_after_converge_reports_no_change(dev_stack, run_playbook):
    check = run_playbook(
        "site.yml", "inventories/local", "--check", "--diff", env={"TAP_OUTPUTS_DIR": str(dev_stack["outputs_dir"])}
    )
    assert check.rc == 0, check.output[-4000:]
    assert check.changed() == 0, check.stdout[-6000:]


def test_overlapping_cidrs_fail_before_anything_is_created(run_playbook, aws, tmp_path):
    inventory = make_inventory(
        tmp_path / "inv", "staging", {"us-east-1": "10.0.0.0/8", "us-east-2": "10.1.0.0/16", "eu-west-1": "10.2.0.0/16"}
    )
    run = run_playbook("site.yml", str(inventory), env={"TAP_OUTPUTS_DIR": str(tmp_path / "out")})
    assert run.rc != 0
    assert "vpc_cidr of us-east-1 (10.0.0.0/8) overlaps vpc_cidr of us-east-2 (10.1.0.0/16)" in run.output
    for region in REGIONS:
        vpcs = aws("ec2", region).describe_vpcs(Filters=[{"Name": "tag:Environment", "Values": ["staging"]}])["Vpcs"]
        assert vpcs == [], f"{region} got a staging VPC although validation failed"
    assert not (tmp_path / "out" / "staging.json").exists()
