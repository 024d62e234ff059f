"""Tag policy: required tags present and non-empty, AWS limits respected."""

from ansible_collections.tap.multiregion.plugins.module_utils.tags import check_tags
from ansible_collections.tap.multiregion.plugins.modules import tag_policy
from support import call_module

REQUIRED = ["Environment", "Region", "CostCenter"]
GOOD = {"Environment": "dev", "Region": "us-east-1", "CostCenter": "platform", "ManagedBy": "x", "Project": "tap"}


def test_complete_tags_pass():
    assert check_tags(GOOD, REQUIRED) == []


def test_missing_required_tag_is_named():
    tags = {k: v for k, v in GOOD.items() if k != "CostCenter"}
    assert check_tags(tags, REQUIRED, scope="tags of us-east-1") == [
        "tags of us-east-1: required tag(s) missing: CostCenter (required: Environment, Region, CostCenter)"
    ]


def test_empty_required_tag_is_named():
    errors = check_tags(dict(GOOD, Environment="  "), REQUIRED)
    assert errors == ["tags: required tag(s) empty: Environment; give each a non-empty value"]


def test_value_over_256_characters_fails():
    errors = check_tags(dict(GOOD, CostCenter="x" * 257), REQUIRED)
    assert errors == ["tags: value of tag CostCenter is 257 characters; AWS allows 256"]
    assert check_tags(dict(GOOD, CostCenter="x" * 256), REQUIRED) == []


def test_key_over_128_characters_and_reserved_prefix_fail():
    errors = check_tags(dict(GOOD, **{"k" * 129: "v", "aws:owner": "me"}), REQUIRED)
    assert any("129 characters; AWS allows 128" in e for e in errors)
    assert any("reserved prefix 'aws:'" in e for e in errors)


def test_module_fails_naming_region_and_tag():
    result = call_module(tag_policy.main, {"tags": {"us-east-1": GOOD, "eu-west-1": dict(GOOD, Region="")}})
    assert result["failed"] is True
    assert "tags of eu-west-1: required tag(s) empty: Region" in result["msg"]


def test_module_passes_and_changes_nothing():
    result = call_module(tag_policy.main, {"tags": {"us-east-1": GOOD}})
    assert result.get("failed") is not True and result["changed"] is False
    assert result["checked"] == ["us-east-1"]
