"""module_utils/base.py and clients.py: the resource base of every AWS module, without AWS."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import threading

import botocore.exceptions
import pytest

from ansible_collections.tap.multiregion.plugins.module_utils import base, clients
from support import REPO_ROOT


class FakeModule:
    def __init__(self, check_mode=False, diff=False, **params):
        self.params = dict({"purge_tags": True}, **params)
        self.check_mode = check_mode
        self._diff = diff
        self.region = "us-east-1"
        self.exited = None
        self.failed = None

    def exit_json(self, **result):
        self.exited = result
        raise SystemExit(0)

    def fail_json(self, **result):
        self.failed = result
        raise SystemExit(1)

    def fail_json_aws(self, error, msg=None, **result):
        self.failed = dict(result, msg="%s: %s" % (msg, error), error_code=base.error_code(error))
        raise SystemExit(1)


def client_error(code, message="boom"):
    return botocore.exceptions.ClientError({"Error": {"Code": code, "Message": message}}, "Operation")


class Fails:
    """An answer of Calls: the call raises this error."""

    def __init__(self, code, message="boom"):
        self.error = client_error(code, message)


class Calls:
    """A fake client method recording its calls; answers from a list (exceptions are raised)."""

    def __init__(self, *answers):
        self.answers = list(answers)
        self.calls = []

    def __call__(self, *args, **kwargs):
        self.calls.append(kwargs)
        answer = self.answers.pop(0) if self.answers else {"ok": True}
        if isinstance(answer, Fails):
            raise answer.error
        return answer


def test_show_keeps_sentences_short_and_deterministic():
    assert base.show(True) == "true" and base.show(None) == "none" and base.show(7) == "7"
    assert base.show({"b": 1, "a": [2]}) == '{"a":[2],"b":1}'
    long = base.show("x" * 200)
    assert len(long) == base.SENTENCE_VALUE_LENGTH and long.endswith("...")
    assert base.update_sentence("bucket b", "versioning", "Suspended", "Enabled") == (
        "bucket b: versioning Suspended -> Enabled"
    )


def test_write_records_the_sentence_and_skips_the_call_in_check_mode():
    resource = base.AwsResource(FakeModule(check_mode=True))
    call = Calls()
    assert resource.write("create bucket b", call, Bucket="b") is None
    assert resource.changes == ["create bucket b"] and call.calls == []


def test_write_calls_with_retries_and_names_the_change_when_it_fails():
    resource = base.AwsResource(FakeModule())
    call = Calls({"Created": 1})
    assert resource.write("create bucket b", call, Bucket="b") == {"Created": 1}
    assert call.calls == [{"Bucket": "b", "aws_retry": True}]
    with pytest.raises(base.Failure) as failure:
        resource.write("bucket b: versioning Suspended -> Enabled", Calls(Fails("AccessDenied")))
    assert failure.value.what == "bucket b: versioning Suspended -> Enabled"
    assert base.error_code(failure.value.error) == "AccessDenied"


def test_write_ignores_the_codes_that_mean_done():
    resource = base.AwsResource(FakeModule())
    assert resource.write("delete queue q", Calls(Fails("QueueDoesNotExist")), ignore="QueueDoesNotExist") is None


def test_write_retries_while_aws_propagates(monkeypatch):
    monkeypatch.setattr(base.time, "sleep", lambda _s: None)
    resource = base.AwsResource(FakeModule())
    not_yet = Fails("InvalidParameterValueException", "The role defined for the function cannot be assumed by Lambda.")
    call = Calls(not_yet, not_yet, {"FunctionArn": "arn"})
    result = resource.write("create function f", call, propagation=base.IAM_ROLE_PROPAGATION)
    assert result == {"FunctionArn": "arn"} and len(call.calls) == 3
    other = Fails("InvalidParameterValueException", "Unsupported runtime")
    with pytest.raises(base.Failure):
        resource.write("create function f", Calls(other), propagation=base.IAM_ROLE_PROPAGATION)


def test_fixed_polls_and_retry_delays_shrink_with_tap_wait_poll_seconds(monkeypatch):
    """A module's own intervals are AWS's: against the time-scaled emulator they shrink like the default poll."""
    sleeps = []
    monkeypatch.setattr(base.time, "sleep", sleeps.append)
    not_yet = Fails("InvalidParameterValueException", "The role defined for the function cannot be assumed by Lambda.")
    states = iter([False, True])
    resource = base.AwsResource(FakeModule(wait=True, wait_timeout=60))

    monkeypatch.delenv("TAP_WAIT_POLL_SECONDS", raising=False)
    resource.write("create function f", Calls(not_yet, {}), propagation=base.IAM_ROLE_PROPAGATION)
    resource.wait_until("x", lambda: next(states), poll=15.0)
    assert sleeps == [2.0, 15.0]  # on AWS: as written

    sleeps.clear()
    states = iter([False, True])
    monkeypatch.setenv("TAP_WAIT_POLL_SECONDS", "1")  # a tenth of the default poll
    resource.write("create function f", Calls(not_yet, {}), propagation=base.IAM_ROLE_PROPAGATION)
    resource.wait_until("x", lambda: next(states), poll=15.0)
    assert sleeps == [1.0, 1.5]  # 2 s would be 0.2: never below the run's poll; 15 s -> 1.5

    assert base.scaled(0.5) == 0.5  # shorter than the run's poll already: kept


def test_a_wait_of_a_poll_or_more_is_reported_also_when_polls_are_short(monkeypatch):
    """Waits against the time-scaled emulator last milliseconds; the rehearsal converts them to AWS time."""
    clock = iter([0.0, 0.0, 0.05, 0.1])
    monkeypatch.setattr(base.time, "time", lambda: next(clock))
    monkeypatch.setattr(base.time, "sleep", lambda _s: None)
    monkeypatch.setenv("TAP_WAIT_POLL_SECONDS", "0.02")
    states = iter([False, False, True])
    resource = base.AwsResource(FakeModule(wait=True, wait_timeout=60))
    assert resource.wait_until("DB cluster c to be available", lambda: next(states)) is True
    assert resource.waits == [{"what": "DB cluster c to be available", "seconds": 0.1}]

    monkeypatch.delenv("TAP_WAIT_POLL_SECONDS")
    clock = iter([0.0, 0.5])
    assert resource.wait_until("x", lambda: True) is True
    assert len(resource.waits) == 1  # half a second of a 10-second poll is no wait worth naming


def test_read_maps_not_found_to_none_and_fails_naming_the_read():
    resource = base.AwsResource(FakeModule())
    assert resource.read("describe key k", Calls(Fails("NotFoundException")), missing="NotFoundException") is None
    with pytest.raises(base.Failure) as failure:
        resource.read("describe key k", Calls(Fails("AccessDeniedException")), missing="NotFoundException")
    assert failure.value.what == "describe key k"


def test_concurrently_overlaps_reads_and_raises_the_first_failure():
    resource = base.AwsResource(FakeModule())
    both_started = threading.Barrier(2, timeout=5)

    def read(value):
        both_started.wait()  # only passes when the two reads run at the same time
        return value

    assert resource.concurrently(lambda: read(1), lambda: read(2)) == [1, 2]

    def failing():
        raise base.Failure("describe vpc")

    with pytest.raises(base.Failure, match="describe vpc"):
        resource.concurrently(lambda: 1, failing)


def test_sync_tags_never_removes_aws_tags_and_respects_purge():
    resource = base.AwsResource(FakeModule())
    tagged, untagged = [], []
    after = resource.sync_tags(
        "topic t",
        {"aws:cloudformation:stack": "x", "Old": "1", "Env": "dev"},
        {"Env": "prod", "New": 2},
        tag=tagged.append,
        untag=untagged.append,
    )
    assert untagged == [["Old"]] and tagged == [{"Env": "prod", "New": "2"}]
    assert resource.changes == ["topic t: remove tags Old", "topic t: tags Env dev -> prod, New=2"]
    assert after == {"aws:cloudformation:stack": "x", "Env": "prod", "New": "2"}
    kept = base.AwsResource(FakeModule())
    kept.sync_tags("topic t", {"Old": "1"}, {"New": "2"}, tag=tagged.append, untag=untagged.append, purge=False)
    assert kept.changes == ["topic t: tags New=2"]
    assert base.AwsResource(FakeModule()).sync_tags("t", {"A": "1"}, None, tag=None, untag=None) == {"A": "1"}


def test_wait_until_times_out_naming_what_it_waited_for(monkeypatch):
    clock = iter(range(0, 10_000, 5))
    monkeypatch.setattr(base.time, "time", lambda: next(clock))
    monkeypatch.setattr(base.time, "sleep", lambda _s: None)
    resource = base.AwsResource(FakeModule(wait=True, wait_timeout=60))
    with pytest.raises(base.Failure, match="wait for DB cluster c to be available: still not done after 60 s"):
        resource.wait_until("DB cluster c to be available", lambda: False)
    states = iter(["creating", "creating", "available"])
    assert resource.wait_until("DB cluster c", lambda: next(states) == "available") is True
    assert resource.waits == [{"what": "DB cluster c", "seconds": 15}]  # a fake clock: 5 s per reading
    assert base.AwsResource(FakeModule(check_mode=True)).wait_until("x", lambda: False) is None


def test_wait_until_polls_every_tap_wait_poll_seconds_and_waits_when_needed(monkeypatch):
    sleeps = []
    monkeypatch.setattr(base.time, "sleep", sleeps.append)
    states = iter([False, False, True])
    monkeypatch.setenv("TAP_WAIT_POLL_SECONDS", "0.25")
    assert base.AwsResource(FakeModule(wait=True, wait_timeout=60)).wait_until("x", lambda: next(states)) is True
    assert sleeps == [0.25, 0.25]

    monkeypatch.delenv("TAP_WAIT_POLL_SECONDS")
    sleeps.clear()
    states = iter([False, True])
    assert base.AwsResource(FakeModule(wait=True, wait_timeout=60)).wait_until("x", lambda: next(states)) is True
    assert sleeps == [10.0]  # the default

    # wait: false skips the waits for results, not those a later call of the run needs.
    unwaiting = base.AwsResource(FakeModule(wait=False, wait_timeout=60))
    assert unwaiting.wait_until("x", lambda: False) is None
    assert unwaiting.wait_until("x", lambda: "done", needed=True) == "done"
    assert base.AwsResource(FakeModule(check_mode=True)).wait_until("x", lambda: False, needed=True) is None

    monkeypatch.setenv("TAP_WAIT_POLL_SECONDS", "soon")
    with pytest.raises(base.Failure, match="TAP_WAIT_POLL_SECONDS: 'soon' is not allowed; a positive number"):
        base.AwsResource(FakeModule(wait=True)).wait_until("x", lambda: False)


def test_run_exits_with_one_result_contract():
    class Topic(base.AwsResource):
        def present(self):
            self.write("create topic t", Calls({"TopicArn": "arn"}))
            self.set_diff({}, {"name": "t"})
            return {"topic_arn": "arn"}

    module = FakeModule(diff=True, state="present")
    with pytest.raises(SystemExit):
        Topic(module).run()
    assert module.exited == {
        "topic_arn": "arn",
        "changed": True,
        "changes": ["create topic t"],
        "diff": {"before": {}, "after": {"name": "t"}},
    }


def test_a_failure_reports_the_changes_made_before_it():
    class Topic(base.AwsResource):
        def present(self):
            self.write("create topic t", Calls({}))
            self.write("topic t: policy a -> b", Calls(Fails("InvalidParameter")))

    module = FakeModule(state="present")
    with pytest.raises(SystemExit):
        Topic(module).run()
    assert module.failed["changes"] == ["create topic t", "topic t: policy a -> b"]
    assert module.failed["msg"].startswith("Failed to topic t: policy a -> b")
    assert module.failed["error_code"] == "InvalidParameter" and module.failed["changed"] is True


def test_validation_fails_before_any_call():
    class Checked(base.AwsResource):
        def validate(self):
            raise self.invalid("instance_class", "db.t3.small", "Aurora MySQL 3 starts at db.t3.medium")

        def present(self):  # pragma: no cover - must not run
            raise AssertionError("present ran after a failed validation")

    module = FakeModule(state="present")
    with pytest.raises(SystemExit):
        Checked(module).run()
    assert module.failed["msg"] == ("instance_class: db.t3.small is not allowed; Aurora MySQL 3 starts at db.t3.medium")


def test_clients_are_made_once_per_service_region_and_credentials():
    clients.forget()
    module = FakeModule(
        region="us-east-1", endpoint_url="http://127.0.0.1:1", access_key="a", secret_key="b", validate_certs=True
    )
    first = clients.client(module, "sqs")
    assert clients.client(module, "sqs") is first
    assert clients.client(module, "sqs", region="eu-west-1") is not first
    other = FakeModule(
        region="us-east-1", endpoint_url="http://127.0.0.1:1", access_key="c", secret_key="d", validate_certs=True
    )
    assert clients.client(other, "sqs") is not first
    assert len(clients._sessions) == 2  # one session per set of credentials, shared by its clients
    assert "b" not in repr(list(clients._clients)) and "d" not in repr(list(clients._sessions))
    assert first.client.meta.config.max_pool_connections == clients.MAX_POOL_CONNECTIONS
    clients.forget()


def test_retry_decorator_retries_the_service_codes(monkeypatch):
    monkeypatch.setattr("ansible_collections.amazon.aws.plugins.module_utils.cloud.time.sleep", lambda _s: None)
    attempts = Calls(Fails("ThrottlingException"), Fails("DependencyTimeoutException"), {"ok": 1})
    assert clients.retry_decorator("kms")(attempts)() == {"ok": 1}
    assert len(attempts.calls) == 3


def test_the_strategy_loading_an_action_class_preloads_botocore_in_the_controller():
    """Linear and free strategies import each task's action class before forking its workers."""
    script = textwrap.dedent(
        """
        import sys
        sys.path.insert(0, %r)
        import botocore.session
        from ansible.plugins.loader import action_loader, init_plugin_loader
        init_plugin_loader([%r])
        assert not getattr(botocore.session.create_loader, "tap_shared", False)
        action_loader.get("tap.multiregion.kms_key", class_only=True)
        print(getattr(botocore.session.create_loader, "tap_shared", False))
        """
        % (str(REPO_ROOT / ".collections"), str(REPO_ROOT / ".collections"))
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True, cwd=REPO_ROOT)
    assert out.stdout.strip() == "True", out.stderr
