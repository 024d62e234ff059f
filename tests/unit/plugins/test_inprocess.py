"""The in-process runner gives exactly the result a module process would."""

from ansible_collections.tap.multiregion.plugins.plugin_utils.inprocess import run_module_main


def test_success_result_is_returned():
    result = run_module_main("cidr_validate", {"regions": {"us-east-1": "10.0.0.0/16"}, "prefix_length": 16})
    assert result.get("failed") is not True, result
    assert result["networks"]["us-east-1"]["public_subnets"][0] == "10.0.0.0/24"
    assert result["invocation"]["module_args"]["prefix_length"] == 16


def test_failure_is_a_result_not_an_exception():
    result = run_module_main("tag_policy", {"tags": {"us-east-1": {"Environment": "dev"}}})
    assert result["failed"] is True
    assert "required tag(s) missing: Region, CostCenter" in result["msg"]


def test_argument_errors_are_reported_like_ansible_does():
    result = run_module_main("cidr_validate", {"regions": {"us-east-1": "10.0.0.0/16"}, "unknown_option": 1})
    assert result["failed"] is True
    assert "unknown_option" in result["msg"]


def test_no_log_values_are_masked(monkeypatch):
    result = run_module_main(
        "tag_policy",
        {"tags": {"us-east-1": {"Environment": "dev", "Region": "r", "CostCenter": "c"}}, "_ansible_no_log": True},
    )
    assert result.get("failed") is not True, result
    assert "module_args" not in str(result.get("invocation", {})) or result["invocation"]["module_args"] != {}
