#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: tap.multiregion contributors
# Apache License 2.0 (see LICENSE)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: lambda_function
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.tags
  - amazon.aws.boto3
  - tap.multiregion.attributes
short_description: Manage a Lambda function with its log groups, failure queue, permissions and S3 notifications
version_added: 0.1.0
description:
  - Manages, in one invocation, a zip-packaged AWS Lambda function and everything that belongs to it.
  - That is the function (code, runtime, handler, memory, timeout, environment variables encrypted with a customer
    managed KMS key, VPC subnets and security groups, tags), its reserved concurrency, its log group
    C(/aws/lambda/<name>) and further log groups (retention, KMS key, tags), an SQS queue (KMS-encrypted) that
    receives failed asynchronous invocations (on-failure destination and dead-letter queue), the statements of its
    resource policy (who may invoke it, scoped by source ARN and account) and its S3 bucket notifications.
  - Reads everything once, at the same time, compares, and calls only what differs. A run with nothing to change
    makes no write call and reports C(changed=false). The code is updated only when the SHA-256 of O(zip_file)
    differs from the deployed C(CodeSha256).
  - Log groups and the queue are made before the function, so Lambda never creates an unencrypted log group
    and the destination exists when it is configured; the resource policy statements are added before the
    bucket notifications that need them.
  - Waits after creating the function until it is C(Active) (a function in a VPC is C(Pending) for a minute or
    more while Lambda builds its network interfaces) and after every configuration or code update until its
    C(LastUpdateStatus) is C(Successful). A creation or update that ends C(Failed) fails the task, naming AWS's
    reason and reason code; so does a function an earlier run left C(Failed) when there is nothing to change.
options:
  name:
    description: Name of the function, for example C(data-processor-dev-us-east-1).
    type: str
    required: true
    aliases: [function_name]
  state:
    description:
      - C(present) creates or updates the function and what belongs to it.
      - C(absent) removes this function's notifications from the buckets of O(s3_notifications), deletes the
        function (with its resource policy, concurrency and asynchronous invocation settings), the queue of
        O(failure_queue), the function's log group when O(log_group) is given, and O(additional_log_groups).
    type: str
    choices: [present, absent]
    default: present
  role:
    description:
      - ARN of the execution role; its account and partition also give the ARNs of the function, the queue and
        the log groups. Required when O(state=present).
      - A role created just before is retried for up to two minutes while IAM propagates it.
    type: str
  runtime:
    description: Runtime, for example C(python3.11). Required when O(state=present).
    type: str
  handler:
    description: Handler, for example C(processor.handler). Required when O(state=present).
    type: str
  zip_file:
    description:
      - Path of the deployment package (zip) on the host running the module, for example
        RV(tap.multiregion.lambda_package#module:path). Required when O(state=present).
    type: path
  code_sha256:
    description:
      - SHA-256 of O(zip_file) as Lambda reports C(CodeSha256) (base64 of the digest), for example
        RV(tap.multiregion.lambda_package#module:sha256).
      - When given, O(zip_file) is read only when the code must be uploaded (so check mode works before the
        package file is written); when not given the module computes it from O(zip_file).
    type: str
  description:
    description: Description of the function. Left as it is when not given.
    type: str
  memory_size:
    description: Memory in MB (128 to 10240).
    type: int
    default: 128
  timeout:
    description: Timeout in seconds (1 to 900).
    type: int
    default: 3
  environment_variables:
    description: Environment variables of the function; exactly these (others are removed).
    type: dict
    default: {}
  kms_key_arn:
    description:
      - ARN of the customer managed KMS key that encrypts the environment variables at rest.
      - Not given means the AWS managed key C(aws/lambda) (an existing customer managed key is removed).
    type: str
  vpc_subnet_ids:
    description: Subnets the function runs in. Empty means no VPC. Requires O(vpc_security_group_ids).
    type: list
    elements: str
    default: []
  vpc_security_group_ids:
    description: Security groups of the function's network interfaces in the VPC.
    type: list
    elements: str
    default: []
  reserved_concurrency:
    description:
      - Reserved concurrent executions of the function (C(0) throttles every invocation).
      - Not given or null means unreserved (an existing reservation is removed). AWS keeps 100 of the account's
        concurrent executions unreserved, so a reservation fails in an account whose limit is below 100 plus it.
    type: int
  log_group:
    description:
      - Settings of the function's log group C(/aws/lambda/<name>), created (before the function) when missing.
      - Not given means the module leaves the log group alone.
    type: dict
    suboptions:
      retention_days:
        description: Retention in days (a value CloudWatch Logs accepts). Not given means not managed.
        type: int
      kms_key_arn:
        description: ARN of the KMS key that encrypts the log group. Not given means not managed.
        type: str
  additional_log_groups:
    description: More log groups of the function's workload (for example the API's access logs), like O(log_group).
    type: list
    elements: dict
    default: []
    suboptions:
      name:
        description: Name of the log group.
        type: str
        required: true
      retention_days:
        description: Retention in days. Not given means not managed.
        type: int
      kms_key_arn:
        description: ARN of the KMS key that encrypts the log group. Not given means not managed.
        type: str
  failure_queue:
    description:
      - An SQS queue that receives the events of asynchronous invocations that failed every attempt, the
        on-failure destination of the asynchronous invocation configuration and the dead-letter queue
        (C(DeadLetterConfig)) of the function.
      - The execution role needs C(sqs:SendMessage) on the queue and, for an encrypted queue,
        C(kms:GenerateDataKey) and C(kms:Decrypt) on its key.
      - Not given means the module leaves the asynchronous invocation and dead-letter settings alone.
    type: dict
    suboptions:
      name:
        description: Name of the queue.
        type: str
        required: true
      kms_key_arn:
        description: ARN of the KMS key that encrypts the queue (server-side encryption). Not given means not managed.
        type: str
      message_retention_seconds:
        description: How long failed events are kept (60 to 1209600).
        type: int
        default: 1209600
      kms_data_key_reuse_period_seconds:
        description: How long SQS reuses a data key (60 to 86400).
        type: int
        default: 300
  maximum_retry_attempts:
    description: Retries of a failed asynchronous invocation (0 to 2). Used with O(failure_queue).
    type: int
    default: 2
  maximum_event_age_seconds:
    description: Maximum age (60 to 21600 s) of an asynchronous event before it goes to the queue.
    type: int
    default: 21600
  permissions:
    description:
      - Statements of the function's resource policy, each allowing one principal to invoke the function.
      - A statement whose principal, action, source ARN or source account differs is replaced (removed and added
        again under the same id).
    type: list
    elements: dict
    default: []
    suboptions:
      sid:
        description: Statement id.
        type: str
        required: true
      principal:
        description: Service principal (for example C(s3.amazonaws.com)) or account/role ARN.
        type: str
        required: true
      action:
        description: The action allowed.
        type: str
        default: lambda:InvokeFunction
      source_arn:
        description: The only resource that may invoke the function (condition C(aws:SourceArn)).
        type: str
      source_account:
        description: The only account whose resource may invoke the function (condition C(aws:SourceAccount)).
        type: str
  purge_permissions:
    description:
      - Remove statements of the resource policy that are not in O(permissions).
      - Leave it C(false) when other tasks add statements (M(tap.multiregion.apigatewayv2_http_api)).
    type: bool
    default: false
  s3_notifications:
    description:
      - Notifications of S3 buckets (in the function's region) that invoke the function. The bucket's other
        configurations are kept; configurations that target this function and are not listed are removed.
      - Give the bucket permission to invoke the function in O(permissions) (principal C(s3.amazonaws.com),
        source ARN the bucket, source account); S3 checks it.
    type: list
    elements: dict
    default: []
    suboptions:
      bucket:
        description: Name of the bucket.
        type: str
        required: true
      id:
        description: Id of the notification configuration. Default is the function name.
        type: str
      events:
        description: S3 event types.
        type: list
        elements: str
        default: ['s3:ObjectCreated:*']
      prefix:
        description: Only keys with this prefix.
        type: str
      suffix:
        description: Only keys with this suffix.
        type: str
  wait_timeout:
    description: Seconds to wait for Lambda to finish creating the function or applying an update.
    type: int
    default: 900
notes:
  - O(tags) apply to the function, its log groups and its queue.
  - Retries throttling with jittered exponential backoff; C(ResourceConflictException) while the function is
    C(Pending) or an update of it (or of its policy) is in progress; IAM propagation errors for up to two minutes
    when the role is new; S3's C(InvalidArgument) "Unable to validate the following destination configurations"
    while a new permission propagates; and the creation of a queue whose name was deleted less than 60 seconds ago.
  - Does not invoke the function and does not publish versions.
author:
  - tap.multiregion maintainers (!UNKNOWN)
"""

EXAMPLES = r"""
- name: Ensure the data processor with its logs, failure queue, permission and bucket notification
  tap.multiregion.lambda_function:
    name: data-processor-dev-us-east-1
    role: arn:aws:iam::123456789012:role/tap-lambda-dev-us-east-1
    runtime: python3.11
    handler: processor.handler
    zip_file: "{{ package.path }}"
    memory_size: 256
    environment_variables: {TABLE_NAME: sessions-dev}
    kms_key_arn: "{{ baseline_kms_key_arn }}"
    vpc_subnet_ids: "{{ vpc_private_subnet_ids }}"
    vpc_security_group_ids: ["{{ aurora_app_security_group_id }}"]
    log_group: {retention_days: 14, kms_key_arn: "{{ baseline_kms_key_arn }}"}
    failure_queue: {name: tap-lambda-failures-dev-us-east-1, kms_key_arn: "{{ baseline_kms_key_arn }}"}
    permissions:
      - {sid: s3-invoke, principal: s3.amazonaws.com, source_arn: "arn:aws:s3:::tap-data-dev", source_account: "1234"}
    s3_notifications: [{bucket: tap-data-dev}]
    tags: "{{ tap_tags }}"

- name: Delete the function, its notification, its queue and its log group
  tap.multiregion.lambda_function:
    name: data-processor-dev-us-east-1
    state: absent
    log_group: {}
    failure_queue: {name: tap-lambda-failures-dev-us-east-1}
    s3_notifications: [{bucket: tap-data-dev}]
"""

RETURN = r"""
function_arn:
  description: ARN of the function (unqualified); derived from the role's account when check mode would create it.
  returned: when O(state=present)
  type: str
  sample: arn:aws:lambda:us-east-1:123456789012:function:data-processor-dev-us-east-1
changes:
  description: One sentence per change made (or, in check mode, that would be made), naming the resource and attribute.
  returned: always
  type: list
  elements: str
  sample:
    - create log group /aws/lambda/data-processor-dev
    - "function data-processor-dev: memory size 128 -> 256"
function_name:
  description: Name of the function.
  returned: always
  type: str
  sample: data-processor-dev-us-east-1
code_sha256:
  description: SHA-256 (base64) of the package in O(zip_file), as Lambda reports C(CodeSha256).
  returned: when O(state=present)
  type: str
  sample: 2dAtEe7oP/rsodmyYa+k3F2sLCRmG0hH+26meM2LBnk=
function:
  description: The function's configuration as GetFunction describes it (snake_case keys; environment variable
    names and tag keys unchanged), with C(tags) and C(reserved_concurrency).
  returned: when O(state=present)
  type: dict
  sample: {function_name: data-processor-dev, memory_size: 256, environment: {variables: {TABLE_NAME: sessions-dev}},
           dead_letter_config: {target_arn: "arn:aws:sqs:..."}, reserved_concurrency: null, tags: {Environment: dev}}
queue_url:
  description: URL of the failure queue (null when check mode would create it).
  returned: when O(failure_queue) is given and O(state=present)
  type: str
  sample: https://sqs.us-east-1.amazonaws.com/123456789012/tap-lambda-failures-dev-us-east-1
queue_arn:
  description: ARN of the failure queue, the function's on-failure destination and dead-letter queue.
  returned: when O(failure_queue) is given and O(state=present)
  type: str
  sample: arn:aws:sqs:us-east-1:123456789012:tap-lambda-failures-dev-us-east-1
log_groups:
  description: The managed log groups (name, arn, retention_days, kms_key_arn, tags).
  returned: when O(state=present)
  type: list
  elements: dict
  sample: [{name: /aws/lambda/data-processor-dev, arn: "arn:aws:logs:...", retention_days: 14, kms_key_arn: "arn:..."}]
event_invoke_config:
  description: The asynchronous invocation settings (null when not managed).
  returned: when O(state=present)
  type: dict
  sample: {maximum_retry_attempts: 2, maximum_event_age_seconds: 21600, on_failure: "arn:aws:sqs:...", on_success: null}
permissions:
  description: The statements of the resource policy by id, after the run.
  returned: when O(state=present)
  type: dict
  sample: {s3-invoke: {principal: s3.amazonaws.com, action: "lambda:InvokeFunction", source_arn: "arn:aws:s3:::b",
                       source_account: "123456789012", other_conditions: {}}}
s3_notifications:
  description: This function's notification configurations per bucket, after the run.
  returned: when O(state=present)
  type: dict
  sample: {tap-data-dev: [{id: data-processor-dev, events: ["s3:ObjectCreated:*"], filter_rules: {}}]}
"""

from ansible_collections.tap.multiregion.plugins.module_utils import lambda_function as logic
from ansible_collections.tap.multiregion.plugins.module_utils.base import AwsResource
from ansible_collections.tap.multiregion.plugins.module_utils.base import Failure
from ansible_collections.tap.multiregion.plugins.module_utils.lambda_package import code_sha256
from ansible_collections.tap.multiregion.plugins.module_utils.resources import lambda_permission
from ansible_collections.tap.multiregion.plugins.module_utils.resources import log_group
from ansible_collections.tap.multiregion.plugins.module_utils.resources import queue

MISSING = "ResourceNotFoundException"
# Seconds between two reads of a function Lambda is creating (a VPC function: a minute or more) or updating.
CREATE_POLL = 3.0
UPDATE_POLL = 1.0


class LambdaFunction(AwsResource):
    SERVICE = "lambda"

    def __init__(self, module):
        super(LambdaFunction, self).__init__(module)
        self.name = module.params["name"]
        self.label = "function %s" % self.name
        self.lam = self.client()
        self.partition = self.account = self.function_arn = None

    def validate(self):
        errors, self.partition, self.account = logic.check_parameters(self.params, self.log_groups())
        if errors:
            raise Failure("; ".join(errors), errors=errors)

    # ------------------------------------------------------------------ running parts side by side

    # ------------------------------------------------------------------ reads

    def log_groups(self):
        return logic.log_groups(self.params)

    def buckets(self):
        return sorted(set(n["bucket"] for n in self.params["s3_notifications"]))

    def get_function(self):
        return self.read("read %s" % self.label, self.lam.get_function, FunctionName=self.name, missing=MISSING)

    def get_event_invoke_config(self):
        return self.read("read the asynchronous invocation settings of %s" % self.label,
                         self.lam.get_function_event_invoke_config, FunctionName=self.name, missing=MISSING)

    def get_notifications(self, bucket, missing=()):
        return self.read("read the notifications of bucket %s" % bucket,
                         self.client("s3").get_bucket_notification_configuration, Bucket=bucket, missing=missing)

    def read_zip(self):
        path = self.params["zip_file"]
        try:
            with open(path, "rb") as f:
                return f.read()
        except (IOError, OSError) as e:
            raise Failure("Cannot read zip_file %s: %s" % (path, e))

    # ------------------------------------------------------------------ log groups and queue

    def ensure_log_group(self, group):
        p = self.params
        before, after, arn = log_group.ensure(self, group["name"], group["retention_days"], group["kms_key_arn"],
                                              p["tags"], p["purge_tags"])
        arn = arn or log_group.arn(self.partition, self.region, self.account, group["name"])
        return group["name"], before, after, arn

    def ensure_queue(self):
        p = self.params
        spec = p["failure_queue"]
        url, arn, before, after = queue.ensure(self, spec["name"], logic.queue_attributes(spec), p["tags"],
                                               p["purge_tags"])
        return url, arn or queue.arn(self.partition, self.region, self.account, spec["name"]), before, after

    # ------------------------------------------------------------------ function

    def settle(self, configuration, what, poll, fail=True):
        """Wait until Lambda has finished creating or updating the function (configuration: the last answer;
        None in check mode). A creation or update that ended Failed is a Failure naming AWS's reason."""
        if configuration is None:
            return None
        latest = [configuration]

        def done():
            if latest[0] is None:
                latest[0] = self.read("read %s" % self.label, self.lam.get_function_configuration,
                                      FunctionName=self.name)
            current, latest[0] = latest[0], None
            problem = logic.failure(current)
            if problem and fail:
                raise Failure("%s: %s %s" % (self.label, what, problem))
            return None if logic.in_progress(current) else current

        return self.wait_until("%s of %s" % (what, self.label), done, poll=poll)

    def create_function(self, desired, zip_bytes, sha):
        tags = dict((k, str(v)) for k, v in (self.params["tags"] or {}).items())
        if zip_bytes is None and not self.check_mode:
            zip_bytes = self.read_zip()
        created = self.write("create %s" % self.label, self.lam.create_function, propagation=logic.FUNCTION_WRITE,
                             **logic.create_function_kwargs(self.name, desired, zip_bytes, tags))
        self.settle(created, "creation", CREATE_POLL)
        self.after["function"] = logic.function_summary(dict(desired, CodeSha256=sha), None, tags)
        return dict(desired, FunctionName=self.name, FunctionArn=self.function_arn, CodeSha256=sha), tags, None

    def converge_function(self, found, desired, zip_bytes, sha):
        configuration = found["Configuration"]
        self.function_arn = configuration.get("FunctionArn", self.function_arn)
        tags = found.get("Tags") or {}
        concurrency = (found.get("Concurrency") or {}).get("ReservedConcurrentExecutions")
        self.before["function"] = logic.function_summary(configuration, concurrency, tags)
        current = logic.current_configuration(configuration)
        changes = logic.configuration_changes(current, desired)
        new_code = configuration.get("CodeSha256") != sha
        problem = logic.failure(configuration)
        if problem and not (changes or new_code):
            # Nothing to change would leave a function that cannot run (an earlier creation or update failed).
            raise Failure("%s: %s" % (self.label, problem), function_arn=self.function_arn)
        if (changes or new_code) and logic.in_progress(configuration):
            self.settle(configuration, "last update", UPDATE_POLL, fail=False)  # an earlier run's update
        new = dict(configuration)
        if changes:
            updated = self.write("%s: %s" % (self.label, logic.configuration_sentence(current, changes)),
                                 self.lam.update_function_configuration, propagation=logic.FUNCTION_WRITE,
                                 FunctionName=self.name, **changes)
            self.settle(updated, "configuration update", UPDATE_POLL)
            new.update(changes)
        if new_code:
            if zip_bytes is None and not self.check_mode:
                zip_bytes = self.read_zip()
            updated = self.update(self.label, "code sha256", configuration.get("CodeSha256"), sha,
                                  self.lam.update_function_code, propagation=logic.LAMBDA_CONFLICT,
                                  FunctionName=self.name, ZipFile=zip_bytes, Publish=False)
            self.settle(updated, "code update", UPDATE_POLL)
            new["CodeSha256"] = sha
        tags = self.sync_tags(
            self.label, tags, self.params["tags"],
            tag=lambda to_set: self.lam.tag_resource(aws_retry=True, Resource=self.function_arn, Tags=to_set),
            untag=lambda keys: self.lam.untag_resource(aws_retry=True, Resource=self.function_arn, TagKeys=keys),
        )
        self.after["function"] = logic.function_summary(new, None, tags)
        return new, tags, concurrency

    def ensure_concurrency(self, current):
        desired = self.params["reserved_concurrency"]
        if desired != current:
            if desired is None:
                self.update(self.label, "reserved concurrency", current, None, self.lam.delete_function_concurrency,
                            FunctionName=self.name, propagation=logic.LAMBDA_CONFLICT)
            else:
                self.update(self.label, "reserved concurrency", current, desired, self.lam.put_function_concurrency,
                            FunctionName=self.name, ReservedConcurrentExecutions=desired,
                            propagation=logic.LAMBDA_CONFLICT)
        self.before.setdefault("function", None)
        if self.after.get("function"):
            self.after["function"]["reserved_concurrency"] = desired
        return desired

    def ensure_event_invoke_config(self, current, destination_arn):
        p = self.params
        desired = logic.desired_event_invoke_config(destination_arn, p["maximum_retry_attempts"],
                                                    p["maximum_event_age_seconds"])
        before = self.before["event_invoke_config"] = logic.normalize_event_invoke_config(current)
        after = self.after["event_invoke_config"] = logic.normalize_event_invoke_config(desired)
        if before != after:
            if before is None:
                sentence = "send failed asynchronous invocations to %s" % destination_arn
            else:
                sentence = logic.differences(before, after, logic.EVENT_INVOKE_LABELS)
            # Lambda checks that the execution role may send to the destination (a new role: IAM propagates).
            self.write("%s: %s" % (self.label, sentence), self.lam.put_function_event_invoke_config,
                       propagation=logic.FUNCTION_WRITE, FunctionName=self.name, **desired)
        return after

    def ensure_notifications(self, bucket, current, state):
        new, before, after, sentence = logic.notification_plan(
            bucket, current, self.params["s3_notifications"], self.function_arn, self.name, state)
        self.before["s3 %s" % bucket], self.after["s3 %s" % bucket] = before, after
        if sentence:
            # S3 checks that it may invoke the function; the permission may have been added seconds ago.
            self.write(sentence, self.client("s3").put_bucket_notification_configuration, Bucket=bucket,
                       NotificationConfiguration=new, propagation=logic.S3_DESTINATION_VALIDATION)
        return after

    # ------------------------------------------------------------------ whole function

    def present(self):
        p = self.params
        self.function_arn = logic.function_arn(self.partition, self.region, self.account, self.name)
        sha = p["code_sha256"]
        zip_bytes = None if sha else self.read_zip()
        sha = sha or code_sha256(zip_bytes)
        groups, buckets, failure_queue = self.log_groups(), self.buckets(), p["failure_queue"]

        # Once the name is known everything is independent: log groups and queue are made (and their changes
        # recorded in this order) while the function, its policy, its settings and the buckets are read.
        results = self.side_by_side(
            *[lambda m, g=g: m.ensure_log_group(g) for g in groups]
            + [lambda m: m.ensure_queue() if failure_queue else None,
               lambda m: m.get_function(),
               lambda m: lambda_permission.read(m, self.name),
               lambda m: m.get_event_invoke_config() if failure_queue else None]
            + [lambda m, b=b: m.get_notifications(b) for b in buckets]
        )
        log_groups = []
        for name, before, after, arn in results[: len(groups)]:
            self.before[name], self.after[name] = before, after
            log_groups.append(dict(after, name=name, arn=arn))
        queue_result, found, policy, invoke_config = results[len(groups): len(groups) + 4]
        notifications = dict((b, results[len(groups) + 4 + i]) for i, b in enumerate(buckets))
        queue_url = queue_arn = None
        if failure_queue:
            queue_url, queue_arn, self.before["queue %s" % failure_queue["name"]], \
                self.after["queue %s" % failure_queue["name"]] = queue_result

        desired = logic.desired_configuration(p, queue_arn)
        if found is None:
            self.before["function"] = None
            configuration, tags, concurrency = self.create_function(desired, zip_bytes, sha)
        else:
            configuration, tags, concurrency = self.converge_function(found, desired, zip_bytes, sha)
        concurrency = self.ensure_concurrency(concurrency)
        event_invoke_config = None
        if failure_queue:
            event_invoke_config = self.ensure_event_invoke_config(invoke_config, queue_arn)
        permissions = lambda_permission.ensure(self, self.name, policy, logic.desired_permissions(p["permissions"]),
                                               p["purge_permissions"], label=self.label)
        self.before["permissions"], self.after["permissions"] = policy, permissions
        s3_notifications = dict((b, self.ensure_notifications(b, notifications[b], "present")) for b in buckets)

        if self.changes and not self.check_mode:
            refreshed = self.get_function()
            if refreshed:
                configuration, tags = refreshed["Configuration"], refreshed.get("Tags") or {}
                concurrency = (refreshed.get("Concurrency") or {}).get("ReservedConcurrentExecutions")
        result = {
            "function_name": self.name,
            "function_arn": self.function_arn,
            "code_sha256": sha,
            "function": logic.function_result(configuration, tags, concurrency),
            "log_groups": log_groups,
            "event_invoke_config": event_invoke_config,
            "permissions": permissions,
            "s3_notifications": s3_notifications,
        }
        if failure_queue:
            result.update(queue_url=queue_url, queue_arn=queue_arn)
        return result

    def remove_function(self):
        """Remove this function's bucket notifications, then the function."""
        buckets = self.buckets()
        found, notifications = self.concurrently(
            self.get_function,
            lambda: [self.get_notifications(b, missing="NoSuchBucket") for b in buckets],
        )
        if found:
            self.function_arn = found["Configuration"]["FunctionArn"]
        for i, bucket in enumerate(buckets):
            if notifications[i] is not None:
                self.ensure_notifications(bucket, notifications[i], "absent")
        if found:
            self.write("delete %s" % self.label, self.lam.delete_function, FunctionName=self.name,
                       propagation=logic.LAMBDA_CONFLICT, ignore=MISSING)
        return {"function_arn": self.function_arn} if found else None

    def absent(self):
        p = self.params
        names = ["function"] + (["queue %s" % p["failure_queue"]["name"]] if p["failure_queue"] else [])
        names += [g["name"] for g in self.log_groups()]
        existed = self.side_by_side(
            *[lambda m: m.remove_function()]
            + ([lambda m: queue.delete(m, p["failure_queue"]["name"])] if p["failure_queue"] else [])
            + [lambda m, g=g: log_group.delete(m, g["name"]) for g in self.log_groups()]
        )
        for i, name in enumerate(names):
            if existed[i]:
                self.before[name] = existed[i] if isinstance(existed[i], dict) else {"exists": True}
                self.after[name] = None
        return {"function_name": self.name}


def main():
    key = dict(type="str", no_log=False)
    log_group_options = dict(retention_days=dict(type="int"), kms_key_arn=key)
    argument_spec = dict(
        name=dict(type="str", required=True, aliases=["function_name"]),
        state=dict(type="str", default="present", choices=["present", "absent"]),
        role=dict(type="str"),
        runtime=dict(type="str"),
        handler=dict(type="str"),
        zip_file=dict(type="path"),
        code_sha256=dict(type="str"),
        description=dict(type="str"),
        memory_size=dict(type="int", default=128),
        timeout=dict(type="int", default=3),
        environment_variables=dict(type="dict", default={}),
        kms_key_arn=key,
        vpc_subnet_ids=dict(type="list", elements="str", default=[]),
        vpc_security_group_ids=dict(type="list", elements="str", default=[]),
        reserved_concurrency=dict(type="int"),
        log_group=dict(type="dict", options=log_group_options),
        additional_log_groups=dict(type="list", elements="dict", default=[],
                                   options=dict(log_group_options, name=dict(type="str", required=True))),
        failure_queue=dict(type="dict", options=dict(
            name=dict(type="str", required=True), kms_key_arn=key,
            message_retention_seconds=dict(type="int", default=1209600),
            kms_data_key_reuse_period_seconds=dict(type="int", default=300, no_log=False))),
        maximum_retry_attempts=dict(type="int", default=2),
        maximum_event_age_seconds=dict(type="int", default=21600),
        permissions=dict(type="list", elements="dict", default=[], options=dict(
            sid=dict(type="str", required=True), principal=dict(type="str", required=True),
            action=dict(type="str", default=logic.DEFAULT_ACTION), source_arn=dict(type="str"),
            source_account=dict(type="str"))),
        purge_permissions=dict(type="bool", default=False),
        s3_notifications=dict(type="list", elements="dict", default=[], options=dict(
            bucket=dict(type="str", required=True), id=dict(type="str"),
            events=dict(type="list", elements="str", default=list(logic.DEFAULT_S3_EVENTS)),
            prefix=dict(type="str"), suffix=dict(type="str"))),
        wait_timeout=dict(type="int", default=900),
    )
    LambdaFunction.main(
        argument_spec,
        required_if=[("state", "present", ["role", "runtime", "handler", "zip_file"])],
        tags=True,
    )


if __name__ == "__main__":
    main()
