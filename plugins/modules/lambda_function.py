#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: tap.multiregion contributors
# Apache License 2.0 (see LICENSE)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: lambda_function
short_description: Manage a Lambda function with its log groups, failure queue, permissions and S3 notifications
version_added: 0.1.0
description:
  - Manages, in one invocation, a zip-packaged AWS Lambda function and everything that belongs to it.
  - That is the function (code, runtime, handler, memory, timeout, environment variables encrypted with a customer
    managed KMS key, VPC subnets and security groups, tags), its reserved concurrency, its log group
    C(/aws/lambda/<name>) and further log groups (retention, KMS key, tags), an SQS queue (KMS-encrypted) that
    receives failed asynchronous invocations through the on-failure destination, the statements of its resource
    policy (who may invoke it, scoped by source ARN and account) and its S3 bucket notifications.
  - Reads everything once, compares, and calls only what differs. A run with nothing to change makes no write
    call and reports C(changed=false).
  - The code is updated only when the SHA-256 of O(zip_file) differs from the deployed C(CodeSha256).
  - Log groups and the queue are created before the function, so Lambda never creates an unencrypted log group
    and the destination exists when it is configured; the resource policy statements are added before the
    bucket notifications that need them.
author:
  - tap.multiregion maintainers (!UNKNOWN)
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
      - ARN of the execution role. Its account and partition also give the ARNs of the function, the queue and
        the log groups.
      - Required when O(state=present).
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
      - The code is uploaded only when the package's SHA-256 differs from the function's C(CodeSha256).
    type: path
  code_sha256:
    description:
      - SHA-256 of O(zip_file) in the form Lambda reports as C(CodeSha256) (base64 of the digest), for example
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
      - Not given or null means unreserved (an existing reservation is removed).
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
    description:
      - More log groups that belong to the function's workload, for example the access log group of the API in
        front of it; managed like O(log_group).
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
      - An SQS queue that receives the events of asynchronous invocations that failed every attempt (on-failure
        destination of the function's asynchronous invocation configuration).
      - The execution role needs C(sqs:SendMessage) on the queue and, for an encrypted queue,
        C(kms:GenerateDataKey) and C(kms:Decrypt) on its key.
      - Not given means the module leaves the asynchronous invocation configuration alone.
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
    description:
      - Maximum age of an asynchronous event before it goes to the queue (60 to 21600).
      - Used with O(failure_queue).
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
      - Leave it C(false) when other tasks add statements, for example the invoke permission of
        M(tap.multiregion.apigatewayv2_http_api).
    type: bool
    default: false
  s3_notifications:
    description:
      - Notifications of S3 buckets (in the function's region) that invoke the function.
      - The bucket's other configurations (topics, queues, EventBridge, other functions) are kept. Configurations
        of the bucket that target this function and are not listed are removed.
      - Give the bucket permission to invoke the function in O(permissions) (principal C(s3.amazonaws.com),
        O(permissions[].source_arn) the bucket ARN and O(permissions[].source_account)); S3 checks it.
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
  tags:
    description: Tags of the function, its log groups and its queue.
    type: dict
    aliases: [resource_tags]
  purge_tags:
    description: Remove tags that are not in O(tags). Ignored when O(tags) is not given.
    type: bool
    default: true
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
attributes:
  check_mode:
    support: full
    description: Reports every change it would make and writes nothing.
  diff_mode:
    support: full
    description: Shows the managed settings before and after.
notes:
  - Retries throttling with jittered exponential backoff, C(ResourceConflictException) (an update still in
    progress) on updates, IAM propagation errors for up to two minutes when the role is new, and the creation
    of a queue whose name was deleted less than 60 seconds ago.
  - Waits for a configuration update to finish before it uploads new code.
  - Does not invoke the function and does not publish versions.
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
    timeout: 30
    environment_variables:
      TABLE_NAME: sessions-dev
      BUCKET_NAME: tap-data-dev-us-east-1
    kms_key_arn: "{{ baseline_kms_key_arn }}"
    vpc_subnet_ids: "{{ vpc_private_subnet_ids }}"
    vpc_security_group_ids: ["{{ aurora_app_security_group_id }}"]
    reserved_concurrency: 10
    log_group:
      retention_days: 14
      kms_key_arn: "{{ baseline_kms_key_arn }}"
    additional_log_groups:
      - name: /tap/dev/us-east-1/api-access
        retention_days: 14
        kms_key_arn: "{{ baseline_kms_key_arn }}"
    failure_queue:
      name: tap-lambda-failures-dev-us-east-1
      kms_key_arn: "{{ baseline_kms_key_arn }}"
    permissions:
      - sid: s3-invoke
        principal: s3.amazonaws.com
        source_arn: arn:aws:s3:::tap-data-dev-us-east-1
        source_account: "123456789012"
    s3_notifications:
      - bucket: tap-data-dev-us-east-1
        events: ["s3:ObjectCreated:*"]
    tags: "{{ tap_tags }}"
  register: processor

- name: Delete the function, its queue and its log groups
  tap.multiregion.lambda_function:
    name: data-processor-dev-us-east-1
    state: absent
    log_group: {}
    failure_queue:
      name: tap-lambda-failures-dev-us-east-1
    s3_notifications:
      - bucket: tap-data-dev-us-east-1
"""

RETURN = r"""
function_arn:
  description: ARN of the function (unqualified); derived from the role's account when check mode would create it.
  returned: when O(state=present)
  type: str
  sample: arn:aws:lambda:us-east-1:123456789012:function:data-processor-dev-us-east-1
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
  returned: when the function exists or would be created
  type: dict
  sample:
    function_name: data-processor-dev-us-east-1
    runtime: python3.11
    handler: processor.handler
    memory_size: 256
    timeout: 30
    kms_key_arn: arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab
    environment: {variables: {TABLE_NAME: sessions-dev}}
    vpc_config: {subnet_ids: [subnet-1, subnet-2], security_group_ids: [sg-1], vpc_id: vpc-1}
    reserved_concurrency: 10
    tags: {Environment: dev}
queue_url:
  description: URL of the failure queue (null when check mode would create it).
  returned: when O(failure_queue) is given and O(state=present)
  type: str
  sample: https://sqs.us-east-1.amazonaws.com/123456789012/tap-lambda-failures-dev-us-east-1
queue_arn:
  description: ARN of the failure queue, the function's on-failure destination.
  returned: when O(failure_queue) is given and O(state=present)
  type: str
  sample: arn:aws:sqs:us-east-1:123456789012:tap-lambda-failures-dev-us-east-1
log_groups:
  description: The managed log groups.
  returned: when O(state=present)
  type: list
  elements: dict
  sample:
    - name: /aws/lambda/data-processor-dev-us-east-1
      arn: arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/data-processor-dev-us-east-1
      retention_days: 14
      kms_key_arn: arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab
event_invoke_config:
  description: The asynchronous invocation settings (null when not managed).
  returned: when O(state=present)
  type: dict
  sample:
    maximum_retry_attempts: 2
    maximum_event_age_seconds: 21600
    on_failure: arn:aws:sqs:us-east-1:123456789012:tap-lambda-failures-dev-us-east-1
    on_success: null
permissions:
  description: The statements of the resource policy by id, after the run.
  returned: when O(state=present)
  type: dict
  sample:
    s3-invoke:
      principal: s3.amazonaws.com
      action: lambda:InvokeFunction
      source_arn: arn:aws:s3:::tap-data-dev-us-east-1
      source_account: "123456789012"
      other_conditions: {}
s3_notifications:
  description: This function's notification configurations per bucket, after the run.
  returned: when O(state=present)
  type: dict
  sample:
    tap-data-dev-us-east-1:
      - id: data-processor-dev-us-east-1
        events: ["s3:ObjectCreated:*"]
        filter_rules: {}
changes:
  description: What the module changed (or would change in check mode), in order.
  returned: always
  type: list
  elements: str
  sample: ["create log group /aws/lambda/data-processor-dev-us-east-1", "create function data-processor-dev-us-east-1"]
"""

import time

try:
    import botocore.exceptions

    AWS_ERRORS = (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError)
except ImportError:
    AWS_ERRORS = ()  # AnsibleAWSModule reports the missing botocore

from ansible.module_utils.common.dict_transformations import camel_dict_to_snake_dict

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry

from ansible_collections.tap.multiregion.plugins.module_utils import lambda_function as logic

# fmt: off
LOG_RETENTION_DAYS = (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288,
                      3653)
# fmt: on
# InvalidParameterValueException messages that mean "IAM has not propagated the new role/policy yet".
PROPAGATION_MESSAGES = (
    "cannot be assumed by lambda",
    "does not have permissions to call",
    "execution role does not have permissions",
    "not authorized to perform",
)
PROPAGATION_TIMEOUT = 120
PROPAGATION_DELAY = 5
QUEUE_MISSING = ("AWS.SimpleQueueService.NonExistentQueue", "QueueDoesNotExist")
QUEUE_DELETED = ("AWS.SimpleQueueService.QueueDeletedRecently", "QueueDeletedRecently")


@AWSRetry.jittered_backoff(catch_extra_error_codes=logic.THROTTLING_CODES)
def _paginate(client, method, **kwargs):
    # Paginators bypass the client's retry decorator, so the whole pagination is retried.
    return client.get_paginator(method).paginate(**kwargs).build_full_result()


class LambdaFunctionManager:
    def __init__(self, module):
        self.module = module
        self.params = module.params
        self.name = module.params["name"]
        self.region = module.region
        self.changes = []
        self.before = {}
        self.after = {}
        self._clients = {}
        self.function_arn = None
        self.partition = "aws"
        self.account = None

    # ------------------------------------------------------------------ helpers

    def client(self, service):
        if service not in self._clients:
            self._clients[service] = self.module.client(
                service, retry_decorator=AWSRetry.jittered_backoff(catch_extra_error_codes=logic.THROTTLING_CODES)
            )
        return self._clients[service]

    def fail(self, error, what):
        self.module.fail_json_aws(error, msg="Failed to %s" % what)

    def read(self, service, method, what, missing=(), **kwargs):
        """One read call; returns None when the error code is one of `missing`."""
        try:
            return getattr(self.client(service), method)(aws_retry=True, **kwargs)
        except is_boto3_error_code(list(missing)):
            return None
        except AWS_ERRORS as e:  # pylint: disable=duplicate-except
            self.fail(e, what)

    def act(self, service, what, method, conflicts=False, propagation=False, retry_codes=(), **kwargs):
        """A write call: recorded in changes; skipped in check mode (returns None then).

        conflicts: retry ResourceConflictException (an update in progress, a function still Pending);
        propagation: retry while IAM propagates a new role; retry_codes: more error codes to retry.
        """
        self.changes.append(what)
        if self.module.check_mode:
            return None
        client = self.client(service)

        def call():
            return getattr(client, method)(aws_retry=True, **kwargs)

        extra = list(retry_codes) + (["ResourceConflictException"] if conflicts else [])
        if extra:
            call = AWSRetry.jittered_backoff(catch_extra_error_codes=logic.THROTTLING_CODES + extra)(call)
        try:
            if propagation:
                return self._while_iam_propagates(call)
            return call()
        except AWS_ERRORS as e:
            self.fail(e, what)

    def _while_iam_propagates(self, call):
        deadline = time.monotonic() + PROPAGATION_TIMEOUT
        while True:
            try:
                return call()
            except is_boto3_error_code("InvalidParameterValueException") as e:
                message = e.response.get("Error", {}).get("Message", "").lower()
                if time.monotonic() >= deadline or not any(m in message for m in PROPAGATION_MESSAGES):
                    raise
                time.sleep(PROPAGATION_DELAY)

    def validate(self):
        p = self.params
        errors = []
        if p["state"] == "present":
            self.partition, self.account = logic.arn_parts(p["role"])
            if not self.account or ":role/" not in p["role"]:
                errors.append("role must be the ARN of an IAM role, got %r" % p["role"])
        if bool(p["vpc_subnet_ids"]) != bool(p["vpc_security_group_ids"]):
            errors.append("vpc_subnet_ids and vpc_security_group_ids must be given together")
        if p["reserved_concurrency"] is not None and p["reserved_concurrency"] < 0:
            errors.append("reserved_concurrency must be 0 or more, got %d" % p["reserved_concurrency"])
        if not 0 <= p["maximum_retry_attempts"] <= 2:
            errors.append("maximum_retry_attempts must be 0, 1 or 2")
        if not 60 <= p["maximum_event_age_seconds"] <= 21600:
            errors.append("maximum_event_age_seconds must be between 60 and 21600")
        for group in self.log_groups():
            if group["retention_days"] is not None and group["retention_days"] not in LOG_RETENTION_DAYS:
                errors.append(
                    "retention_days of %s must be one of %s" % (group["name"], ", ".join(map(str, LOG_RETENTION_DAYS)))
                )
        error = logic.desired_notifications("-", p["s3_notifications"], self.name)[1]
        if error:
            errors.append(error)
        if errors:
            self.module.fail_json(msg="; ".join(errors), errors=errors)

    def log_groups(self):
        groups = []
        if self.params["log_group"] is not None:
            group = dict(self.params["log_group"])
            group["name"] = "/aws/lambda/%s" % self.name
            groups.append(group)
        groups.extend(dict(g) for g in self.params["additional_log_groups"])
        return groups

    def tags(self):
        return self.params["tags"]

    def purge_tags(self):
        return self.params["purge_tags"] and self.params["tags"] is not None

    def sync_tags(self, service, label, current, resource, tag_call, untag_call):
        """Tag and untag one resource so it carries the wanted tags; returns its tags afterwards.

        resource: the keyword arguments naming the resource; tag_call / untag_call: (API operation,
        name of its tags / tag keys argument), as the tagging APIs of Logs, SQS and Lambda differ.
        """
        to_set, to_remove = logic.tag_changes(current, self.tags(), self.purge_tags())
        if to_remove:
            operation, argument = untag_call
            self.act(
                service,
                "untag %s: %s" % (label, ", ".join(to_remove)),
                operation,
                **dict(resource, **{argument: to_remove}),
            )
        if to_set:
            operation, argument = tag_call
            self.act(
                service,
                "tag %s: %s" % (label, ", ".join(sorted(to_set))),
                operation,
                **dict(resource, **{argument: to_set}),
            )
        return dict({k: v for k, v in current.items() if k not in to_remove}, **to_set)

    # ------------------------------------------------------------------ log groups

    def describe_log_group(self, name):
        try:
            groups = _paginate(self.client("logs"), "describe_log_groups", logGroupNamePrefix=name)["logGroups"]
        except AWS_ERRORS as e:
            self.fail(e, "describe log group %s" % name)
        return next((g for g in groups if g["logGroupName"] == name), None)

    def ensure_log_group(self, group):
        name = group["name"]
        arn = logic.log_group_arn(self.partition, self.region, self.account, name)
        current = self.describe_log_group(name)
        desired_tags = self.tags() or {}
        if current is None:
            self.before[name] = None
            kwargs = {"logGroupName": name}
            if group["kms_key_arn"]:
                kwargs["kmsKeyId"] = group["kms_key_arn"]
            if desired_tags:
                kwargs["tags"] = {k: str(v) for k, v in desired_tags.items()}
            self.act("logs", "create log group %s" % name, "create_log_group", **kwargs)
            if group["retention_days"] is not None:
                self.act(
                    "logs",
                    "set retention of %s to %d days" % (name, group["retention_days"]),
                    "put_retention_policy",
                    logGroupName=name,
                    retentionInDays=group["retention_days"],
                )
            state = {
                "retention_days": group["retention_days"],
                "kms_key_arn": group["kms_key_arn"],
                "tags": {k: str(v) for k, v in desired_tags.items()},
            }
            self.after[name] = state
            return dict(state, name=name, arn=arn)

        arn = current.get("logGroupArn") or current.get("arn", arn).rstrip("*").rstrip(":")
        tags = (self.read("logs", "list_tags_for_resource", "list tags of %s" % name, resourceArn=arn) or {}).get(
            "tags"
        ) or {}
        before = {
            "retention_days": current.get("retentionInDays"),
            "kms_key_arn": current.get("kmsKeyId"),
            "tags": tags,
        }
        self.before[name] = before
        after = dict(before)
        if group["kms_key_arn"] and current.get("kmsKeyId") != group["kms_key_arn"]:
            self.act(
                "logs",
                "encrypt log group %s with %s" % (name, group["kms_key_arn"]),
                "associate_kms_key",
                logGroupName=name,
                kmsKeyId=group["kms_key_arn"],
            )
            after["kms_key_arn"] = group["kms_key_arn"]
        if group["retention_days"] is not None and current.get("retentionInDays") != group["retention_days"]:
            self.act(
                "logs",
                "set retention of %s to %d days" % (name, group["retention_days"]),
                "put_retention_policy",
                logGroupName=name,
                retentionInDays=group["retention_days"],
            )
            after["retention_days"] = group["retention_days"]
        if self.tags() is not None:
            after["tags"] = self.sync_tags(
                "logs",
                "log group %s" % name,
                tags,
                {"resourceArn": arn},
                ("tag_resource", "tags"),
                ("untag_resource", "tagKeys"),
            )
        self.after[name] = after
        return dict(after, name=name, arn=arn)

    # ------------------------------------------------------------------ failure queue

    def queue_url(self, name):
        found = self.read("sqs", "get_queue_url", "look up queue %s" % name, missing=QUEUE_MISSING, QueueName=name)
        return found["QueueUrl"] if found else None

    def desired_queue_attributes(self):
        queue = self.params["failure_queue"]
        attributes = {
            "MessageRetentionPeriod": str(queue["message_retention_seconds"]),
        }
        if queue["kms_key_arn"]:
            attributes["KmsMasterKeyId"] = queue["kms_key_arn"]
            attributes["KmsDataKeyReusePeriodSeconds"] = str(queue["kms_data_key_reuse_period_seconds"])
        return attributes

    def ensure_queue(self):
        queue = self.params["failure_queue"]
        name = queue["name"]
        arn = logic.queue_arn(self.partition, self.region, self.account, name)
        desired = self.desired_queue_attributes()
        url = self.queue_url(name)
        key = "queue %s" % name
        if url is None:
            self.before[key] = None
            kwargs = {"QueueName": name, "Attributes": desired}
            if self.tags():
                kwargs["tags"] = {k: str(v) for k, v in self.tags().items()}
            # A queue name can be used again only 60 s after its queue was deleted (teardown, then deploy).
            created = self.act("sqs", "create queue %s" % name, "create_queue", retry_codes=QUEUE_DELETED, **kwargs)
            self.after[key] = {"attributes": desired, "tags": {k: str(v) for k, v in (self.tags() or {}).items()}}
            return (created or {}).get("QueueUrl"), arn

        attributes = (
            self.read("sqs", "get_queue_attributes", "read queue %s" % name, QueueUrl=url, AttributeNames=["All"]) or {}
        ).get("Attributes", {})
        arn = attributes.get("QueueArn", arn)
        tags = (self.read("sqs", "list_queue_tags", "list tags of queue %s" % name, QueueUrl=url) or {}).get(
            "Tags"
        ) or {}
        current = {k: attributes.get(k) for k in desired}
        self.before[key] = {"attributes": current, "tags": tags}
        changed = {k: v for k, v in desired.items() if attributes.get(k) != v}
        if changed:
            self.act(
                "sqs",
                "set %s of queue %s" % (", ".join(sorted(changed)), name),
                "set_queue_attributes",
                QueueUrl=url,
                Attributes=changed,
            )
        after_tags = tags
        if self.tags() is not None:
            after_tags = self.sync_tags(
                "sqs", "queue %s" % name, tags, {"QueueUrl": url}, ("tag_queue", "Tags"), ("untag_queue", "TagKeys")
            )
        self.after[key] = {"attributes": dict(current, **desired), "tags": after_tags}
        return url, arn

    # ------------------------------------------------------------------ function

    def get_function(self):
        return self.read(
            "lambda",
            "get_function",
            "read function %s" % self.name,
            missing=["ResourceNotFoundException"],
            FunctionName=self.name,
        )

    def function_summary(self, configuration, sha, concurrency, tags):
        if configuration is None:
            return None
        current = logic.current_configuration(configuration)
        return {
            "role": current["Role"],
            "runtime": current["Runtime"],
            "handler": current["Handler"],
            "memory_size": current["MemorySize"],
            "timeout": current["Timeout"],
            "description": current["Description"],
            "environment_variables": current["Environment"]["Variables"],
            "kms_key_arn": current["KMSKeyArn"] or None,
            "vpc_subnet_ids": current["VpcConfig"]["SubnetIds"],
            "vpc_security_group_ids": current["VpcConfig"]["SecurityGroupIds"],
            "code_sha256": sha,
            "reserved_concurrency": concurrency,
            "tags": tags,
        }

    def ensure_function(self, found, zip_bytes, sha):
        p = self.params
        desired = logic.desired_configuration(p)
        desired_tags = {k: str(v) for k, v in (self.tags() or {}).items()}
        if found is None:
            self.before["function"] = None
            zip_bytes = zip_bytes if zip_bytes is not None or self.module.check_mode else self.read_zip()
            kwargs = logic.create_function_kwargs(self.name, desired, zip_bytes, desired_tags)
            self.act("lambda", "create function %s" % self.name, "create_function", propagation=True, **kwargs)
            configuration = dict(desired, FunctionName=self.name, FunctionArn=self.function_arn, CodeSha256=sha)
            self.after["function"] = self.function_summary(configuration, sha, None, desired_tags)
            return configuration, desired_tags, None

        configuration = found["Configuration"]
        self.function_arn = configuration.get("FunctionArn", self.function_arn)
        tags = found.get("Tags") or {}
        concurrency = (found.get("Concurrency") or {}).get("ReservedConcurrentExecutions")
        self.before["function"] = self.function_summary(
            configuration, configuration.get("CodeSha256"), concurrency, tags
        )

        current = logic.current_configuration(configuration)
        changes = logic.configuration_changes(current, desired)
        new_configuration = dict(configuration)
        if changes:
            self.act(
                "lambda",
                "update configuration of function %s: %s" % (self.name, ", ".join(sorted(changes))),
                "update_function_configuration",
                conflicts=True,
                propagation="Role" in changes or "VpcConfig" in changes,
                FunctionName=self.name,
                **changes,
            )
            new_configuration.update(changes)
        if configuration.get("CodeSha256") != sha:
            if changes and not self.module.check_mode:
                self.wait_updated()
            if zip_bytes is None and not self.module.check_mode:
                zip_bytes = self.read_zip()
            self.act(
                "lambda",
                "update code of function %s (sha256 %s)" % (self.name, sha),
                "update_function_code",
                conflicts=True,
                FunctionName=self.name,
                ZipFile=zip_bytes,
                Publish=False,
            )
            new_configuration["CodeSha256"] = sha
        if self.tags() is not None:
            tags = self.sync_tags(
                "lambda",
                "function %s" % self.name,
                tags,
                {"Resource": self.function_arn},
                ("tag_resource", "Tags"),
                ("untag_resource", "TagKeys"),
            )
        self.after["function"] = self.function_summary(new_configuration, new_configuration["CodeSha256"], None, tags)
        return new_configuration, tags, concurrency

    def wait_updated(self):
        try:
            self.client("lambda").get_waiter("function_updated_v2").wait(
                FunctionName=self.name, WaiterConfig={"Delay": 2, "MaxAttempts": 150}
            )
        except botocore.exceptions.WaiterError as e:
            self.module.fail_json_aws(e, msg="Function %s did not finish its configuration update" % self.name)

    def ensure_concurrency(self, current):
        desired = self.params["reserved_concurrency"]
        if desired == current:
            return desired
        if desired is None:
            self.act(
                "lambda",
                "remove the reserved concurrency of %s" % self.name,
                "delete_function_concurrency",
                conflicts=True,
                FunctionName=self.name,
            )
        else:
            self.act(
                "lambda",
                "reserve %d concurrent executions for %s" % (desired, self.name),
                "put_function_concurrency",
                conflicts=True,
                FunctionName=self.name,
                ReservedConcurrentExecutions=desired,
            )
        return desired

    def ensure_event_invoke_config(self, exists, destination_arn):
        p = self.params
        current = None
        if exists:
            current = self.read(
                "lambda",
                "get_function_event_invoke_config",
                "read asynchronous invocation settings of %s" % self.name,
                missing=["ResourceNotFoundException"],
                FunctionName=self.name,
            )
        desired = logic.desired_event_invoke_config(
            destination_arn, p["maximum_retry_attempts"], p["maximum_event_age_seconds"]
        )
        self.before["event_invoke_config"] = logic.normalize_event_invoke_config(current)
        self.after["event_invoke_config"] = logic.normalize_event_invoke_config(desired)
        if self.before["event_invoke_config"] != self.after["event_invoke_config"]:
            self.act(
                "lambda",
                "send failed asynchronous invocations of %s to %s" % (self.name, destination_arn),
                "put_function_event_invoke_config",
                conflicts=True,
                propagation=True,
                FunctionName=self.name,
                **desired,
            )
        return self.after["event_invoke_config"]

    def current_policy(self, exists):
        if not exists:
            return {}
        found = self.read(
            "lambda",
            "get_policy",
            "read the resource policy of %s" % self.name,
            missing=["ResourceNotFoundException"],
            FunctionName=self.name,
        )
        return logic.current_permissions((found or {}).get("Policy"))

    def ensure_permissions(self, exists):
        current = self.current_policy(exists)
        desired = logic.desired_permissions(self.params["permissions"])
        to_remove, to_add = logic.permission_changes(current, desired, self.params["purge_permissions"])
        for sid in to_remove:
            self.act(
                "lambda",
                "remove permission %s of %s" % (sid, self.name),
                "remove_permission",
                conflicts=True,
                FunctionName=self.name,
                StatementId=sid,
            )
        for sid in to_add:
            self.act(
                "lambda",
                "allow %s to invoke %s (%s)" % (desired[sid]["principal"], self.name, sid),
                "add_permission",
                **logic.add_permission_kwargs(self.name, sid, desired[sid]),
            )
        after = {sid: s for sid, s in current.items() if sid not in to_remove}
        after.update({sid: desired[sid] for sid in to_add})
        self.before["permissions"] = current
        self.after["permissions"] = after
        return after

    def ensure_notifications(self, state):
        desired = logic.desired_notifications(self.function_arn, self.params["s3_notifications"], self.name)[0]
        result = {}
        for bucket, configs in sorted(desired.items()):
            if state == "absent":
                configs = []
            current = self.read(
                "s3",
                "get_bucket_notification_configuration",
                "read the notifications of bucket %s" % bucket,
                missing=["NoSuchBucket"] if state == "absent" else (),
                Bucket=bucket,
            )
            if current is None:
                continue
            ids = [n.get("id") or self.name for n in self.params["s3_notifications"] if n["bucket"] == bucket]
            new, changed = logic.merge_notifications(current, configs, self.function_arn, ids)
            if state == "absent":
                changed = bool(logic.summarize_notifications(current, self.function_arn, ids))
            self.before["s3 %s" % bucket] = logic.summarize_notifications(current, self.function_arn, ids)
            self.after["s3 %s" % bucket] = logic.summarize_notifications(new, self.function_arn, ids)
            if changed:
                self.act(
                    "s3",
                    (
                        "remove the notifications of %s from bucket %s"
                        if state == "absent"
                        else "notify %s of events of bucket %s"
                    )
                    % (self.name, bucket),
                    "put_bucket_notification_configuration",
                    Bucket=bucket,
                    NotificationConfiguration=new,
                )
            result[bucket] = self.after["s3 %s" % bucket]
        return result

    def read_zip(self):
        path = self.params["zip_file"]
        try:
            with open(path, "rb") as f:
                return f.read()
        except (IOError, OSError) as e:
            self.module.fail_json(msg="Cannot read zip_file %s: %s" % (path, e))

    # ------------------------------------------------------------------ whole function

    def present(self):
        p = self.params
        self.function_arn = logic.function_arn(self.partition, self.region, self.account, self.name)
        sha = p["code_sha256"]
        zip_bytes = None if sha else self.read_zip()
        if not sha:
            sha = logic.code_sha256(zip_bytes)

        found = self.get_function()
        log_groups = [self.ensure_log_group(g) for g in self.log_groups()]
        queue_url, queue_arn = (None, None)
        if p["failure_queue"]:
            queue_url, queue_arn = self.ensure_queue()
        configuration, tags, concurrency = self.ensure_function(found, zip_bytes, sha)
        concurrency = self.ensure_concurrency(concurrency)
        self.before.setdefault("function", None)
        if self.after.get("function"):
            self.after["function"]["reserved_concurrency"] = concurrency
        event_invoke_config = None
        if p["failure_queue"]:
            event_invoke_config = self.ensure_event_invoke_config(found is not None, queue_arn)
        permissions = self.ensure_permissions(found is not None)
        notifications = self.ensure_notifications("present")

        if self.changes and not self.module.check_mode:
            refreshed = self.get_function()
            if refreshed:
                configuration = refreshed["Configuration"]
                tags = refreshed.get("Tags") or {}
                concurrency = (refreshed.get("Concurrency") or {}).get("ReservedConcurrentExecutions")
        function = camel_dict_to_snake_dict(
            {k: v for k, v in configuration.items() if k not in ("ResponseMetadata", "Environment")}
        )
        function["environment"] = {"variables": dict((configuration.get("Environment") or {}).get("Variables") or {})}
        function["tags"] = tags
        function["reserved_concurrency"] = concurrency
        result = {
            "changed": bool(self.changes),
            "changes": self.changes,
            "function_name": self.name,
            "function_arn": self.function_arn,
            "code_sha256": sha,
            "function": function,
            "log_groups": log_groups,
            "event_invoke_config": event_invoke_config,
            "permissions": permissions,
            "s3_notifications": notifications,
        }
        if p["failure_queue"]:
            result.update(queue_url=queue_url, queue_arn=queue_arn)
        if self.module._diff:
            result["diff"] = {"before": self.before, "after": self.after}
        self.module.exit_json(**result)

    def absent(self):
        p = self.params
        found = self.get_function()
        if found:
            self.function_arn = found["Configuration"]["FunctionArn"]
            self.before["function"] = {"function_arn": self.function_arn}
            self.after["function"] = None
            self.ensure_notifications("absent")
            self.act(
                "lambda", "delete function %s" % self.name, "delete_function", conflicts=True, FunctionName=self.name
            )
        if p["failure_queue"]:
            name = p["failure_queue"]["name"]
            url = self.queue_url(name)
            if url:
                self.before["queue %s" % name] = {"queue_url": url}
                self.after["queue %s" % name] = None
                self.act("sqs", "delete queue %s" % name, "delete_queue", QueueUrl=url)
        for group in self.log_groups():
            if self.describe_log_group(group["name"]) is not None:
                self.before[group["name"]] = {"exists": True}
                self.after[group["name"]] = None
                self.act("logs", "delete log group %s" % group["name"], "delete_log_group", logGroupName=group["name"])
        result = {"changed": bool(self.changes), "changes": self.changes, "function_name": self.name}
        if self.module._diff:
            result["diff"] = {"before": self.before, "after": self.after}
        self.module.exit_json(**result)


def main():
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
        kms_key_arn=dict(type="str", no_log=False),
        vpc_subnet_ids=dict(type="list", elements="str", default=[]),
        vpc_security_group_ids=dict(type="list", elements="str", default=[]),
        reserved_concurrency=dict(type="int"),
        log_group=dict(
            type="dict",
            options=dict(retention_days=dict(type="int"), kms_key_arn=dict(type="str", no_log=False)),
        ),
        additional_log_groups=dict(
            type="list",
            elements="dict",
            default=[],
            options=dict(
                name=dict(type="str", required=True),
                retention_days=dict(type="int"),
                kms_key_arn=dict(type="str", no_log=False),
            ),
        ),
        failure_queue=dict(
            type="dict",
            options=dict(
                name=dict(type="str", required=True),
                kms_key_arn=dict(type="str", no_log=False),
                message_retention_seconds=dict(type="int", default=1209600),
                kms_data_key_reuse_period_seconds=dict(type="int", default=300, no_log=False),
            ),
        ),
        maximum_retry_attempts=dict(type="int", default=2),
        maximum_event_age_seconds=dict(type="int", default=21600),
        permissions=dict(
            type="list",
            elements="dict",
            default=[],
            options=dict(
                sid=dict(type="str", required=True),
                principal=dict(type="str", required=True),
                action=dict(type="str", default=logic.DEFAULT_ACTION),
                source_arn=dict(type="str"),
                source_account=dict(type="str"),
            ),
        ),
        purge_permissions=dict(type="bool", default=False),
        s3_notifications=dict(
            type="list",
            elements="dict",
            default=[],
            options=dict(
                bucket=dict(type="str", required=True),
                id=dict(type="str"),
                events=dict(type="list", elements="str", default=list(logic.DEFAULT_S3_EVENTS)),
                prefix=dict(type="str"),
                suffix=dict(type="str"),
            ),
        ),
        tags=dict(type="dict", aliases=["resource_tags"]),
        purge_tags=dict(type="bool", default=True),
    )
    module = AnsibleAWSModule(
        argument_spec=argument_spec,
        required_if=[("state", "present", ["role", "runtime", "handler", "zip_file"])],
        supports_check_mode=True,
    )
    manager = LambdaFunctionManager(module)
    manager.validate()
    if module.params["state"] == "present":
        manager.present()
    else:
        manager.absent()


if __name__ == "__main__":
    main()
