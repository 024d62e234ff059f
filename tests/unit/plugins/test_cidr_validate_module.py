from ansible_collections.tap.multiregion.plugins.modules import cidr_validate
from support import call_module


def test_module_returns_plan_for_valid_regions():
    result = call_module(cidr_validate.main, {"regions": {"us-east-1": "10.0.0.0/16", "eu-west-1": "10.2.0.0/16"}})
    assert result.get("failed") is not True, result
    assert result["changed"] is False
    assert result["networks"]["eu-west-1"]["private_subnets"] == ["10.2.10.0/24", "10.2.11.0/24", "10.2.12.0/24"]


def test_module_fails_naming_both_regions_on_overlap():
    result = call_module(
        cidr_validate.main, {"regions": {"us-east-1": "10.0.0.0/8", "us-east-2": "10.1.0.0/16"}, "prefix_length": 16}
    )
    assert result["failed"] is True
    assert "us-east-1" in result["msg"] and "10.0.0.0/8" in result["msg"]
