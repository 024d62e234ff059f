"""The summary callback turns module results into one readable line per change."""

from ansible_collections.tap.multiregion.plugins.callback.summary import _describe_changes


def test_sentences_are_kept_as_they_are():
    assert _describe_changes({"changes": ["create VPC tap-dev-us-east-1 (10.0.0.0/16)"]}) == [
        "create VPC tap-dev-us-east-1 (10.0.0.0/16)"
    ]


def test_action_dicts_become_a_line_with_region_and_scalar_details():
    lines = _describe_changes(
        {
            "changes": [
                {"action": "create_replica", "region": "eu-west-1", "kms_key_arn": "alias/k", "tags": {"A": "b"}},
                {"action": "set_point_in_time_recovery", "region": "us-east-1", "enabled": True},
            ]
        }
    )
    assert lines == [
        "create replica in eu-west-1 (kms_key_arn=alias/k)",
        "set point in time recovery in us-east-1 (enabled=True)",
    ]


def test_a_plan_task_lists_what_it_would_create():
    assert _describe_changes({"changed": True, "msg": ["create DB subnet group a", "create Aurora cluster a"]}) == [
        "create DB subnet group a",
        "create Aurora cluster a",
    ]


def test_prepared_diff_lines_are_used_when_there_is_no_change_list():
    assert _describe_changes({"diff": {"prepared": "line one\n\nline two\n"}}) == ["line one", "line two"]


def test_a_result_without_details_gives_no_lines():
    assert _describe_changes({"changed": True, "msg": "a sentence"}) == []
