# -*- coding: utf-8 -*-
# Copyright: tap.multiregion contributors
# Apache License 2.0 (see LICENSE)
"""The resource base every AWS module of tap.multiregion is built on.

A module is a subclass of AwsResource with a ``present`` (and usually ``absent``) method, run by
``run()``. The base owns what every module needs and nothing module-specific:

* clients made once per process and reused (module_utils/clients.py), with retries;
* ``read``/``paginate``: one call, "not found" mapped to None, any other error a Failure naming what
  was being read; ``concurrently`` runs independent reads in a bounded thread pool;
* ``write(sentence, call, ...)``: records one sentence per change naming the resource and attribute,
  and is the one place where check mode skips the call; ``propagating`` retries a write while AWS
  has not yet propagated a new role, key policy or permission (delays shrink with ``TAP_WAIT_POLL_SECONDS``);
* ``sync_tags``: one tag comparison (amazon.aws's compare_aws_tags: ``aws:`` tags never touched);
* ``wait_until``: polling with a timeout and progress lines (poll interval: ``TAP_WAIT_POLL_SECONDS``,
  which shrinks the modules' own polls and propagation retries in the same ratio, ``scaled``);
* one exit: ``changed``, ``changes`` (list of sentences), ``diff`` (in diff mode) and the facts the
  state method returns; one failure path that also names the changes made before it.

Failures are raised (Failure), never ``fail_json`` from helpers, so that reads running in threads
report like any other.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import json
import os
import threading
import time

try:
    import botocore.exceptions

    AWS_ERRORS = (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError)
except ImportError:  # pragma: no cover - AnsibleAWSModule reports the missing botocore
    AWS_ERRORS = ()

from concurrent.futures import ThreadPoolExecutor

from ansible.module_utils.common import warnings as module_warnings

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.botocore import paginated_query_with_retries
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.tagging import compare_aws_tags

from ansible_collections.tap.multiregion.plugins.module_utils import clients

# Independent reads of one module run at most this many at a time (AWS APIs throttle per account).
MAX_CONCURRENT_READS = 8
# Wall seconds between two progress lines of one wait.
PROGRESS_EVERY = 30.0
# Seconds between two polls of a wait, unless the environment variable below says otherwise: the
# benchmark and rehearsals against the time-scaled emulator set it lower (AWS needs no faster poll).
DEFAULT_POLL_SECONDS = 10.0
POLL_SECONDS_VARIABLE = "TAP_WAIT_POLL_SECONDS"
# Longest value shown in a change sentence before it is shortened.
SENTENCE_VALUE_LENGTH = 60

# Set by plugin_utils/inprocess.py when the module runs in the controller's worker: a function
# that shows a line on the controller's display. None in a module process (no display there).
progress_hook = None


class Failure(Exception):
    """What a module was doing when it failed, the AWS error (if any) and facts for the result."""

    def __init__(self, what, error=None, **facts):
        super(Failure, self).__init__(what)
        self.what = what
        self.error = error
        self.facts = facts


def error_code(error):
    """The AWS error code of a botocore ClientError (None for anything else)."""
    response = getattr(error, "response", None) or {}
    return response.get("Error", {}).get("Code")


def error_message(error):
    response = getattr(error, "response", None) or {}
    return response.get("Error", {}).get("Message") or str(error)


def show(value):
    """A value as it appears in a change sentence: short, one line, deterministic."""
    if isinstance(value, (dict, list)):
        text = json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)
    elif value is None:
        text = "none"
    elif isinstance(value, bool):
        text = "true" if value else "false"
    else:
        text = str(value)
    if len(text) > SENTENCE_VALUE_LENGTH:
        text = text[: SENTENCE_VALUE_LENGTH - 3] + "..."
    return text


def update_sentence(resource, attribute, before, after):
    """'<resource>: <attribute> <before> -> <after>', the shape of every attribute change."""
    return "%s: %s %s -> %s" % (resource, attribute, show(before), show(after))


class Propagation(object):
    """A write AWS may refuse for a while after a related resource was created or changed.

    codes: error codes that mean "not propagated yet"; messages: substrings of the error message
    that must also match (an empty tuple accepts any message of those codes); seconds: how long to
    keep trying (AWS documents seconds for IAM and KMS, up to a minute or two in practice); delay:
    seconds between two tries, or TAP_WAIT_POLL_SECONDS when that is shorter (a time-scaled emulator).
    """

    def __init__(self, codes, messages=(), seconds=120, delay=2.0):
        self.codes = tuple(codes)
        self.messages = tuple(messages)
        self.seconds = seconds
        self.delay = delay

    def matches(self, error):
        if error_code(error) not in self.codes:
            return False
        message = error_message(error).lower()
        return not self.messages or any(m.lower() in message for m in self.messages)


# The propagation rules of AWS our modules meet, with the messages AWS answers while it propagates.
# A new IAM role (or a policy just attached to it) is not yet usable by a service:
IAM_ROLE_PROPAGATION = Propagation(
    ["InvalidParameterValueException", "InvalidParameterValue", "InvalidParameterCombination",
     "AccessDeniedException", "InvalidRequestException"],
    [
        "cannot be assumed",  # Lambda: "The role defined for the function cannot be assumed by Lambda."
        "does not have permissions to call",  # Lambda: VPC access / destinations not yet allowed
        "execution role does not have permissions",
        "required permissions for: enhanced_monitoring",  # RDS MonitoringRoleArn
        "not authorized to perform: sts:assumerole",
        "insufficient privileges",  # AWS Backup
    ],
)
# A new key, or a key policy just put, does not yet admit the service that encrypts with it:
KMS_POLICY_PROPAGATION = Propagation(
    ["AccessDeniedException", "InvalidParameterException", "KMSAccessDeniedException", "KMS.AccessDeniedException"],
    ["kms key", "kms", "not allowed to be used"],
)
# SQS: a queue name can be used again only 60 seconds after its queue was deleted.
QUEUE_DELETED_RECENTLY = Propagation(
    ["AWS.SimpleQueueService.QueueDeletedRecently", "QueueDeletedRecently"], seconds=90, delay=5.0
)


class AwsResource(object):
    """Base of every AWS module (see the module docstring). Subclasses set SERVICE and RETRY_CODES."""

    # Service of self.client() without arguments, and its extra retry codes.
    SERVICE = None
    RETRY_CODES = ()

    def __init__(self, module):
        self.module = module
        self.params = module.params
        self.check_mode = module.check_mode
        self.changes = []
        self.before = {}
        self.after = {}
        self.waits = []
        self._changes_lock = threading.Lock()

    # ------------------------------------------------------------------ clients

    @property
    def region(self):
        return self.module.region

    def client(self, service=None, region=None, retry_codes=None):
        """The process's client for service (default SERVICE) in region (default the module's)."""
        service = service or self.SERVICE
        codes = self.RETRY_CODES if retry_codes is None and service == self.SERVICE else (retry_codes or ())
        return clients.client(self.module, service, region=region, extra_retry_codes=codes)

    # ------------------------------------------------------------------ reads

    def read(self, what, call, *args, **kwargs):
        """call(*args, **kwargs) with retries; None when the error code is one of missing; else Failure(what)."""
        missing = kwargs.pop("missing", ())
        try:
            return call(*args, aws_retry=True, **kwargs)
        except AWS_ERRORS as e:
            if missing and error_code(e) in _as_tuple(missing):
                return None
            raise Failure(what, e)

    def paginate(self, what, client, method, **kwargs):
        """The full result of a paginated read (amazon.aws's paginated_query_with_retries); None when missing."""
        missing = kwargs.pop("missing", ())
        try:
            # The client's own retry decorator (service codes included) retries the whole pagination.
            return paginated_query_with_retries(client, method, retry_decorator=client.retry, **kwargs)
        except AWS_ERRORS as e:
            if missing and error_code(e) in _as_tuple(missing):
                return None
            raise Failure(what, e)

    def concurrently(self, *thunks):
        """Run independent reads (callables without arguments) at the same time; their results in order.

        Retries stay with each call. The first Failure (or other exception) is raised once all are done.
        """
        if len(thunks) <= 1:
            return [thunk() for thunk in thunks]
        with ThreadPoolExecutor(max_workers=min(MAX_CONCURRENT_READS, len(thunks))) as pool:
            futures = [pool.submit(thunk) for thunk in thunks]
        errors = [f.exception() for f in futures if f.exception() is not None]
        if errors:
            raise errors[0]
        return [f.result() for f in futures]

    def side_by_side(self, *jobs):
        """Run jobs (callables taking a manager) at the same time, each on a copy of this manager that records
        its changes apart; the changes are then added in the order of the jobs, whatever finished first."""
        branches = [self.branch() for _job in jobs]
        try:
            return self.concurrently(*[lambda i=i: jobs[i](branches[i]) for i in range(len(jobs))])
        finally:
            for branch in branches:
                self.changes.extend(branch.changes)
                self.waits.extend(branch.waits)

    def branch(self):
        branch = copy.copy(self)
        branch.changes, branch.waits, branch._changes_lock = [], [], threading.Lock()
        return branch

    # ------------------------------------------------------------------ writes

    def record(self, sentence):
        """Record a change without a call of its own (e.g. made by a helper); returns the sentence."""
        with self._changes_lock:
            self.changes.append(sentence)
        return sentence

    def write(self, sentence, call, *args, **kwargs):
        """Record sentence as a change and, outside check mode, make the call (with retries).

        Keyword-only options: ``propagation`` (a Propagation: keep retrying while AWS has not yet
        propagated what the call depends on), ``ignore`` (error codes that mean the change is already
        made, e.g. a second delete), ``bookkeeping`` (the run's own data, such as the deploy lock's item
        or a deployment record: skipped in check mode like every write, but not a change of the stack,
        so not in ``changes``). Returns the call's response; None in check mode.
        """
        propagation = kwargs.pop("propagation", None)
        ignore = _as_tuple(kwargs.pop("ignore", ()))
        if not kwargs.pop("bookkeeping", False):
            self.record(sentence)
        if self.check_mode:
            return None
        deadline = time.time() + (propagation.seconds if propagation else 0)
        while True:
            try:
                return call(*args, aws_retry=True, **kwargs)
            except AWS_ERRORS as e:
                if ignore and error_code(e) in ignore:
                    return None
                if propagation is not None and propagation.matches(e) and time.time() < deadline:
                    time.sleep(scaled(propagation.delay))
                    continue
                raise Failure(sentence, e)

    def update(self, resource, attribute, before, after, call, *args, **kwargs):
        """write() with the sentence '<resource>: <attribute> <before> -> <after>'."""
        return self.write(update_sentence(resource, attribute, before, after), call, *args, **kwargs)

    # ------------------------------------------------------------------ tags

    def sync_tags(self, label, current, desired, tag, untag, purge=None):
        """Make the tags of label equal desired (None: leave them); tag(dict) and untag(list of keys) write.

        Returns the tags after the run. Tags starting with ``aws:`` are never removed.
        """
        current = dict(current or {})
        if desired is None:
            return current
        purge = self.params.get("purge_tags", True) if purge is None else purge
        desired = dict((k, str(v)) for k, v in desired.items())
        to_set, to_unset = compare_aws_tags(current, desired, purge)
        if to_unset:
            self.write("%s: remove tags %s" % (label, ", ".join(sorted(to_unset))), _call_with(untag), sorted(to_unset))
        if to_set:
            changed = ", ".join(
                "%s %s -> %s" % (k, show(current.get(k)), show(v)) if k in current else "%s=%s" % (k, show(v))
                for k, v in sorted(to_set.items())
            )
            self.write("%s: tags %s" % (label, changed), _call_with(tag), to_set)
        after = dict((k, v) for k, v in current.items() if k not in to_unset)
        after.update(to_set)
        return after

    # ------------------------------------------------------------------ waiting

    def progress(self, message):
        """Show a progress line on the controller (in-process runs); always kept in the module's log."""
        line = "%s: %s" % (self.region or "aws", message)
        if progress_hook is not None:
            try:
                progress_hook(line)
            except Exception:  # pylint: disable=broad-except  # progress must never fail a run
                pass

    def wait_until(self, what, done, timeout=None, poll=None, needed=False):
        """Poll done() until it returns a true value (returned) or the timeout passes (Failure).

        Nothing is waited for in check mode, nor when the module's ``wait`` option is false unless
        ``needed`` (a later call of this run needs the state, e.g. a member must leave its global
        cluster before the cluster can be deleted); None is returned then. timeout defaults to the
        module's wait_timeout; poll to TAP_WAIT_POLL_SECONDS from the environment, else 10 s. A poll given
        here is an interval on AWS; it shrinks with TAP_WAIT_POLL_SECONDS like the default (scaled).
        """
        if self.check_mode or (self.params.get("wait") is False and not needed):
            return None
        timeout = timeout if timeout is not None else self.params.get("wait_timeout") or 900
        poll = scaled(poll) if poll is not None else poll_seconds()
        started = time.time()
        last_progress = started
        while True:
            value = done()
            if value:
                waited = time.time() - started
                # A wait of one poll or more counts (against the time-scaled emulator polls are milliseconds).
                if waited >= min(1.0, poll):
                    self.waits.append({"what": what, "seconds": round(waited, 1 if waited >= 1.0 else 3)})
                return value
            now = time.time()
            if now - started > timeout:
                raise Failure("wait for %s: still not done after %d s (wait_timeout)" % (what, timeout))
            if now - last_progress >= PROGRESS_EVERY:
                self.progress("waiting for %s (%d s)" % (what, now - started))
                last_progress = now
            time.sleep(min(poll, max(timeout - (now - started), 0.1)))

    # ------------------------------------------------------------------ validation and results

    def invalid(self, option, value, allowed):
        """A Failure naming the option, the value and what is allowed (before any AWS call)."""
        return Failure("%s: %s is not allowed; %s" % (option, show(value), allowed))

    def warn(self, message):
        # common.warnings, not module.warn: amazon.aws copies module.warn into the result, which
        # ansible-core 2.19 then deprecates.
        module_warnings.warn(message)

    def set_diff(self, before, after):
        self.before, self.after = before, after

    def validate(self):
        """Checks of the parameters that need no AWS call; raise self.invalid(...)."""

    def result(self, facts):
        result = dict(facts or {})
        result.update(changed=bool(self.changes), changes=list(self.changes))
        if self.waits:
            result["waits"] = list(self.waits)
        if self.module._diff:
            result["diff"] = {"before": self.before, "after": self.after}
        return result

    def run(self):
        """Validate, run the method named by the state option (default present), exit with the result."""
        state = self.params.get("state") or "present"
        try:
            self.validate()
            facts = getattr(self, state)()
        except Failure as failure:
            self.fail(failure)
        self.module.exit_json(**self.result(facts))

    def fail(self, failure):
        extra = dict(failure.facts)
        if self.changes:
            extra["changes"] = list(self.changes)
            extra["changed"] = not self.check_mode
        if failure.error is not None:
            self.module.fail_json_aws(failure.error, msg="Failed to %s" % failure.what, **extra)
        self.module.fail_json(msg=failure.what, **extra)

    @classmethod
    def main(cls, argument_spec, tags=False, **module_options):
        """A module's main(): the AnsibleAWSModule (check mode supported; with tags=True also the options
        tags and purge_tags that the amazon.aws.tags doc fragment documents), then run()."""
        if tags:
            argument_spec = dict(argument_spec, **tag_options())
        cls(AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True, **module_options)).run()


def tag_options():
    """The options of the amazon.aws.tags doc fragment (a new dict each time: AnsibleModule may change it)."""
    return dict(tags=dict(type="dict", aliases=["resource_tags"]), purge_tags=dict(type="bool", default=True))


def poll_seconds():
    """Seconds between two polls of a wait: TAP_WAIT_POLL_SECONDS when set (a positive number), else 10."""
    raw = os.environ.get(POLL_SECONDS_VARIABLE, "").strip()
    if not raw:
        return DEFAULT_POLL_SECONDS
    try:
        value = float(raw)
    except ValueError:
        value = 0.0
    if value <= 0:
        raise Failure("%s: %r is not allowed; a positive number of seconds (default %g)"
                      % (POLL_SECONDS_VARIABLE, raw, DEFAULT_POLL_SECONDS))
    return value


def scaled(seconds):
    """A fixed interval of a module (a propagation retry's delay, a wait's own poll) for this run.

    The intervals are meant for AWS's clock. TAP_WAIT_POLL_SECONDS shrinks them in the ratio it shrinks the
    default poll (10 s), or a 2-second retry would last minutes of AWS time against the time-scaled emulator;
    never below the run's default poll (unless the interval itself is shorter). Unchanged without it.
    """
    default = poll_seconds()
    return max(seconds * default / DEFAULT_POLL_SECONDS, min(seconds, default))


def _as_tuple(value):
    if isinstance(value, (list, tuple, set, frozenset)):
        return tuple(value)
    return (value,)


def _call_with(function):
    """Adapt a plain function (no aws_retry) to write()'s calling convention."""

    def call(*args, **kwargs):
        kwargs.pop("aws_retry", None)
        return function(*args, **kwargs)

    return call


def not_found(codes):
    """amazon.aws's is_boto3_error_code for an except clause (re-exported for modules)."""
    return is_boto3_error_code(codes)
