#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: tap.multiregion contributors
# Apache License 2.0 (see LICENSE)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: s3_secure_bucket
short_description: Configure one S3 bucket completely (encryption, access, policy, versioning, lifecycle, logging, tags)
version_added: 0.1.0
description:
  - Creates or updates one S3 bucket and all of its security settings in a single invocation, or empties
    (every object version and delete marker) and deletes it.
  - Reads every managed setting once (in parallel), compares normalized forms with what is wanted and writes
    only the settings that differ. A run with nothing to change makes no write call and returns C(changed=false).
  - Managed settings are default encryption (SSE-KMS with a bucket key, or SSE-S3), the public access block,
    object ownership, the bucket policy (optionally with a TLS-only statement), versioning, lifecycle rules,
    server access logging and tags.
  - The bucket's notification configuration, ACLs, CORS, website, replication and object lock settings are
    never read or changed, so other tasks may own them.
author:
  - tap.multiregion maintainers (!UNKNOWN)
options:
  name:
    description: Name of the bucket.
    type: str
    required: true
    aliases: [bucket]
  state:
    description:
      - C(present) creates the bucket if needed and converges every managed setting.
      - C(absent) deletes every object version and delete marker, then the bucket.
    type: str
    choices: [present, absent]
    default: present
  sse_algorithm:
    description: Default server-side encryption. C(aws:kms) uses O(kms_key_id) (or the AWS managed key when unset).
    type: str
    choices: ['aws:kms', AES256]
    default: 'aws:kms'
  kms_key_id:
    description:
      - ARN, id or alias of the KMS key used for SSE-KMS. A key ARN and its id are considered equal.
    type: str
  bucket_key_enabled:
    description: Enable an S3 bucket key for SSE-KMS (fewer KMS requests). Ignored for C(AES256).
    type: bool
    default: true
  public_access_block:
    description:
      - C(true) turns on all four public access block flags.
      - C(false) removes the bucket's public access block configuration.
    type: bool
    default: true
  object_ownership:
    description: Object ownership. C(BucketOwnerEnforced) disables ACLs.
    type: str
    choices: [BucketOwnerEnforced, BucketOwnerPreferred, ObjectWriter]
    default: BucketOwnerEnforced
  require_tls:
    description:
      - Add a statement (Sid C(DenyInsecureTransport)) that denies every request made without TLS
        (C(aws:SecureTransport=false)) to the bucket and its objects.
    type: bool
    default: true
  policy:
    description:
      - Further statements of the bucket policy, as a policy document (with C(Statement)) or a list of statements.
      - The bucket policy is set to exactly these statements plus the TLS statement of O(require_tls).
      - When O(policy) is unset and O(require_tls=false), the bucket policy is left as it is.
    type: json
  versioning:
    description: C(true) enables versioning; C(false) suspends it if it was ever enabled.
    type: bool
    default: true
  lifecycle_rules:
    description:
      - The complete list of lifecycle rules; rules not listed are removed. An empty list removes the
        lifecycle configuration. When unset, the lifecycle configuration is left as it is.
    type: list
    elements: dict
    suboptions:
      id:
        description: Rule id.
        type: str
        required: true
      prefix:
        description: Key prefix the rule applies to; empty for the whole bucket.
        type: str
        default: ''
      enabled:
        description: Whether the rule is enabled.
        type: bool
        default: true
      expiration_days:
        description: Expire current object versions this many days after creation.
        type: int
      noncurrent_version_expiration_days:
        description: Delete noncurrent versions this many days after they became noncurrent.
        type: int
      abort_incomplete_multipart_upload_days:
        description: Abort incomplete multipart uploads this many days after they started.
        type: int
  access_logging:
    description:
      - Server access logging. When unset, logging is left as it is.
      - The target bucket must exist in the same region and let C(logging.s3.amazonaws.com) write
        (bucket policy); S3 server access logging cannot deliver to an SSE-KMS encrypted bucket.
    type: dict
    suboptions:
      enabled:
        description: C(false) turns server access logging off.
        type: bool
        default: true
      target_bucket:
        description: Bucket that receives the logs; must not be the bucket itself. Required when enabled.
        type: str
      target_prefix:
        description: Key prefix of the log objects.
        type: str
        default: ''
  tags:
    description: Tags of the bucket. When unset, tags are left as they are.
    type: dict
    aliases: [resource_tags]
  purge_tags:
    description: Remove tags not listed in O(tags).
    type: bool
    default: true
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
  - tap.multiregion.attributes
notes:
  - Retries throttling and transient errors with jittered back-off.
  - O(state=absent) deletes data irreversibly (all object versions).
"""

EXAMPLES = r"""
- name: Ensure the access-log bucket (eu-west-1)
  tap.multiregion.s3_secure_bucket:
    name: tap-logs-dev-eu-west-1
    sse_algorithm: AES256
    policy:
      Statement:
        - Sid: AllowServerAccessLogDelivery
          Effect: Allow
          Principal: {Service: logging.s3.amazonaws.com}
          Action: s3:PutObject
          Resource: arn:aws:s3:::tap-logs-dev-eu-west-1/tap-data-dev-eu-west-1/*
          Condition:
            ArnLike: {"aws:SourceArn": "arn:aws:s3:::tap-data-dev-eu-west-1"}
            StringEquals: {"aws:SourceAccount": "123456789012"}
    versioning: false
    lifecycle_rules:
      - id: expire-logs
        expiration_days: 90
    tags: {Environment: dev}

- name: Ensure the data bucket (eu-west-1)
  tap.multiregion.s3_secure_bucket:
    name: tap-data-dev-eu-west-1
    kms_key_id: arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab
    lifecycle_rules:
      - id: expire-old-objects
        expiration_days: 90
        noncurrent_version_expiration_days: 30
        abort_incomplete_multipart_upload_days: 7
    access_logging:
      target_bucket: tap-logs-dev-eu-west-1
      target_prefix: tap-data-dev-eu-west-1/
    tags: {Environment: dev}

- name: Empty and delete a bucket
  tap.multiregion.s3_secure_bucket:
    name: tap-data-dev-eu-west-1
    state: absent
"""

RETURN = r"""
bucket:
  description: The bucket and its managed settings after the run (what they would be, in check mode).
  returned: success
  type: dict
  contains:
    name:
      description: Bucket name.
      type: str
      sample: tap-data-dev-us-east-1
    arn:
      description: Bucket ARN.
      type: str
      sample: arn:aws:s3:::tap-data-dev-us-east-1
    region:
      description: Region of the bucket.
      type: str
      sample: us-east-1
    encryption:
      description: Default encryption.
      type: dict
      returned: when managed
      sample:
        sse_algorithm: "aws:kms"
        kms_master_key_id: "arn:aws:kms:us-east-1:123456789012:key/abcd"
        bucket_key_enabled: true
    public_access_block:
      description: The four public access block flags.
      type: dict
      sample:
        block_public_acls: true
        ignore_public_acls: true
        block_public_policy: true
        restrict_public_buckets: true
    object_ownership:
      description: Object ownership setting.
      type: str
      sample: BucketOwnerEnforced
    policy:
      description: The bucket policy document.
      type: dict
      returned: when managed
    versioning:
      description: C(Enabled), C(Suspended) or C(Disabled).
      type: str
      sample: Enabled
    lifecycle_rules:
      description: Lifecycle rules.
      type: list
      elements: dict
      returned: when managed
      sample: [{id: expire-old-objects, status: Enabled, prefix: "", expiration_days: 90,
                noncurrent_version_expiration_days: 30, abort_incomplete_multipart_upload_days: 7}]
    access_logging:
      description: Server access logging target, empty when off.
      type: dict
      returned: when managed
      sample: {target_bucket: tap-logs-dev-us-east-1, target_prefix: tap-data-dev-us-east-1/}
    tags:
      description: Tags of the bucket.
      type: dict
      returned: when managed
changed_settings:
  description: The settings that were (or, in check mode, would be) written; C(bucket) when it was created or deleted.
  returned: always
  type: list
  elements: str
  sample: [public_access_block, lifecycle_rules]
deleted_objects:
  description: Number of object versions and delete markers removed by O(state=absent).
  returned: when state is absent and the bucket existed
  type: int
  sample: 3
"""

import json
from concurrent.futures import ThreadPoolExecutor

try:
    import botocore
except ImportError:
    pass  # Handled by AnsibleAWSModule

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.policy import compare_policies
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry
from ansible_collections.amazon.aws.plugins.module_utils.retries import RetryingBotoClientWrapper
from ansible_collections.amazon.aws.plugins.module_utils.s3 import get_s3_bucket_encryption
from ansible_collections.amazon.aws.plugins.module_utils.s3 import get_s3_bucket_ownership_controls
from ansible_collections.amazon.aws.plugins.module_utils.s3 import get_s3_bucket_policy
from ansible_collections.amazon.aws.plugins.module_utils.s3 import get_s3_bucket_public_access_block
from ansible_collections.amazon.aws.plugins.module_utils.s3 import get_s3_bucket_tagging
from ansible_collections.amazon.aws.plugins.module_utils.s3 import get_s3_bucket_versioning
from ansible_collections.amazon.aws.plugins.module_utils.s3 import head_s3_bucket
from ansible_collections.amazon.aws.plugins.module_utils.s3 import validate_bucket_name
from ansible_collections.amazon.aws.plugins.module_utils.tagging import ansible_dict_to_boto3_tag_list

from ansible_collections.tap.multiregion.plugins.module_utils import s3_bucket as cfg

# The order settings are written in: ownership and access first, then the data protection settings.
SETTINGS = (
    "object_ownership",
    "public_access_block",
    "encryption",
    "policy",
    "versioning",
    "lifecycle_rules",
    "access_logging",
    "tags",
)


class BucketManager:
    def __init__(self, module):
        self.module = module
        self.params = module.params
        self.name = module.params["name"]
        self.region = module.region
        self.client = module.client(
            "s3", retry_decorator=AWSRetry.jittered_backoff(catch_extra_error_codes=["OperationAborted"])
        )
        self.partition = getattr(self.client.meta, "partition", None) or "aws"
        self.arn = cfg.bucket_arn(self.partition, self.name)

    # --- helpers -------------------------------------------------------------------------------

    def call(self, description, method, client=None, **kwargs):
        """One retried API call; fails the module with a message naming the action and the bucket."""
        try:
            return getattr(client or self.client, method)(aws_retry=True, **kwargs)
        except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
            self.module.fail_json_aws(e, msg="Failed to %s of bucket %s" % (description, self.name))

    def exists(self):
        """True when the bucket exists (in this region); fails when it belongs to another region."""
        head = head_s3_bucket(self.client, self.name)
        if not head:
            return False
        headers = head.get("ResponseMetadata", {}).get("HTTPHeaders", {})
        bucket_region = head.get("BucketRegion") or headers.get("x-amz-bucket-region")
        if bucket_region and self.region and bucket_region != self.region:
            self.module.fail_json(
                msg="Bucket %s exists in region %s, not in %s; bucket names are global, choose another name"
                % (self.name, bucket_region, self.region)
            )
        return True

    # --- desired and current state -------------------------------------------------------------

    def desired(self):
        """Normalized settings we manage (unset options are not managed)."""
        p = self.params
        want = {
            "object_ownership": p["object_ownership"],
            "public_access_block": cfg.desired_public_access_block(p["public_access_block"]),
            "encryption": cfg.desired_encryption(p["sse_algorithm"], p["kms_key_id"], p["bucket_key_enabled"]),
            "versioning": "Enabled" if p["versioning"] else None,  # resolved against the current state
        }
        policy = json.loads(p["policy"]) if p["policy"] else None
        policy_doc = cfg.desired_policy(self.arn, policy, p["require_tls"])
        if policy_doc is not None:
            want["policy"] = policy_doc
        if p["lifecycle_rules"] is not None:
            want["lifecycle_rules"] = cfg.normalize_lifecycle_rules(
                [cfg.lifecycle_rule_from_option(rule) for rule in p["lifecycle_rules"]]
            )
        if p["access_logging"] is not None:
            want["access_logging"] = cfg.desired_logging(p["access_logging"])
        if p["tags"] is not None:
            want["tags"] = p["tags"]  # resolved against the current tags (purge_tags)
        return want

    def _get_lifecycle(self):
        try:
            rules = self.client.get_bucket_lifecycle_configuration(Bucket=self.name, aws_retry=True).get("Rules")
        except is_boto3_error_code("NoSuchLifecycleConfiguration"):
            rules = []
        return cfg.normalize_lifecycle_rules(rules)

    def _get_logging(self):
        return cfg.normalize_logging(
            self.client.get_bucket_logging(Bucket=self.name, aws_retry=True).get("LoggingEnabled")
        )

    def current(self, settings):
        """Read the managed settings, all at once (boto3 clients are thread-safe)."""
        readers = {
            "object_ownership": lambda: cfg.normalize_ownership(
                get_s3_bucket_ownership_controls(self.client, self.name)
            ),
            "public_access_block": lambda: cfg.normalize_public_access_block(
                get_s3_bucket_public_access_block(self.client, self.name)
            ),
            "encryption": lambda: cfg.normalize_encryption(get_s3_bucket_encryption(self.client, self.name)),
            "policy": lambda: get_s3_bucket_policy(self.client, self.name) or {},
            "versioning": lambda: cfg.normalize_versioning(get_s3_bucket_versioning(self.client, self.name)),
            "lifecycle_rules": self._get_lifecycle,
            "access_logging": self._get_logging,
            "tags": lambda: get_s3_bucket_tagging(self.client, self.name) or {},
        }
        with ThreadPoolExecutor(max_workers=len(settings)) as pool:
            futures = dict((name, pool.submit(readers[name])) for name in settings)
            try:
                return dict((name, future.result()) for name, future in futures.items())
            except AnsibleAWSError as e:
                self.module.fail_json_aws_error(e)
            except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
                self.module.fail_json_aws(e, msg="Failed to read the settings of bucket %s" % self.name)

    def resolve(self, want, have):
        """Fill in the desired values that depend on the current state."""
        want["versioning"] = cfg.desired_versioning(self.params["versioning"], have.get("versioning", "Disabled"))
        if "tags" in want:
            want["tags"] = cfg.desired_tags(have.get("tags", {}), self.params["tags"], self.params["purge_tags"])
        return want

    @staticmethod
    def equal(setting, have, want):
        if setting == "encryption":
            return cfg.encryption_equal(have, want)
        if setting == "policy":
            return bool(have) and not compare_policies(have, want)
        if setting == "tags":
            return dict((k, v) for k, v in (have or {}).items() if not k.startswith("aws:")) == want
        return have == want

    # --- writes --------------------------------------------------------------------------------

    def write(self, setting, value, client=None):
        name = self.name
        if setting == "object_ownership":
            self.call(
                "set object ownership",
                "put_bucket_ownership_controls",
                client,
                Bucket=name,
                OwnershipControls={"Rules": [{"ObjectOwnership": value}]},
            )
        elif setting == "public_access_block":
            if any(value.values()):
                self.call(
                    "set the public access block",
                    "put_public_access_block",
                    client,
                    Bucket=name,
                    PublicAccessBlockConfiguration=value,
                )
            else:
                self.call("remove the public access block", "delete_public_access_block", client, Bucket=name)
        elif setting == "encryption":
            self.call(
                "set default encryption",
                "put_bucket_encryption",
                client,
                Bucket=name,
                ServerSideEncryptionConfiguration=cfg.encryption_request(value),
            )
        elif setting == "policy":
            self.call("set the bucket policy", "put_bucket_policy", client, Bucket=name, Policy=json.dumps(value))
        elif setting == "versioning":
            if value != "Disabled":
                self.call(
                    "set versioning",
                    "put_bucket_versioning",
                    client,
                    Bucket=name,
                    VersioningConfiguration={"Status": value},
                )
        elif setting == "lifecycle_rules":
            if value:
                self.call(
                    "set lifecycle rules",
                    "put_bucket_lifecycle_configuration",
                    client,
                    Bucket=name,
                    LifecycleConfiguration={"Rules": value},
                )
            else:
                self.call("remove lifecycle rules", "delete_bucket_lifecycle", client, Bucket=name)
        elif setting == "access_logging":
            self.call(
                "set server access logging",
                "put_bucket_logging",
                client,
                Bucket=name,
                BucketLoggingStatus=cfg.logging_request(value),
            )
        elif setting == "tags":
            if value:
                self.call(
                    "set tags",
                    "put_bucket_tagging",
                    client,
                    Bucket=name,
                    Tagging={"TagSet": ansible_dict_to_boto3_tag_list(value)},
                )
            else:
                self.call("remove tags", "delete_bucket_tagging", client, Bucket=name)

    # --- states --------------------------------------------------------------------------------

    def result(self, settings):
        bucket = {"name": self.name, "arn": self.arn, "region": self.region}
        for setting, value in settings.items():
            if setting == "public_access_block":
                value = dict((cfg_key_to_snake(k), v) for k, v in value.items())
            elif setting == "lifecycle_rules":
                value = cfg.lifecycle_rules_to_snake(value)
            bucket[setting] = value
        return bucket

    def present(self):
        want = self.desired()
        check_mode = self.module.check_mode
        if not self.exists():
            want = self.resolve(want, {})
            changed_settings = ["bucket"] + [s for s in SETTINGS if s in want and s != "object_ownership"]
            if not check_mode:
                self.create(want)
            return dict(
                changed=True,
                changed_settings=changed_settings,
                bucket=self.result(want),
                diff=dict(before={}, after=dict(want, name=self.name)),
            )

        have = self.current([s for s in SETTINGS if s in want])
        want = self.resolve(want, have)
        changed_settings = [s for s in SETTINGS if s in want and not self.equal(s, have[s], want[s])]
        if not check_mode:
            for setting in changed_settings:
                self.write(setting, want[setting])
        after = dict(have)
        after.update(dict((s, want[s]) for s in changed_settings))
        return dict(
            changed=bool(changed_settings),
            changed_settings=changed_settings,
            bucket=self.result(after),
            diff=dict(before=dict(have, name=self.name), after=dict(after, name=self.name)),
        )

    def create(self, want):
        params = {"Bucket": self.name, "ObjectOwnership": want["object_ownership"]}
        if self.region and self.region != "us-east-1":
            params["CreateBucketConfiguration"] = {"LocationConstraint": self.region}
        self.call("create", "create_bucket", **params)
        try:
            self.client.get_waiter("bucket_exists").wait(Bucket=self.name)
        except botocore.exceptions.WaiterError as e:
            self.module.fail_json_aws(e, msg="Timed out waiting for bucket %s to exist" % self.name)
        # S3 is eventually consistent right after CreateBucket: retry NoSuchBucket for the first writes.
        fresh = RetryingBotoClientWrapper(
            self.client.client, AWSRetry.jittered_backoff(catch_extra_error_codes=["NoSuchBucket", "OperationAborted"])
        )
        for setting in SETTINGS:
            if setting in want and setting != "object_ownership":
                self.write(setting, want[setting], client=fresh)

    def empty(self):
        """Delete every object version and delete marker; returns how many were removed."""
        removed = 0
        while True:
            page = self.call("list object versions", "list_object_versions", Bucket=self.name, MaxKeys=1000)
            objects = [
                {"Key": item["Key"], "VersionId": item["VersionId"]}
                for item in page.get("Versions", []) + page.get("DeleteMarkers", [])
            ]
            if not objects:
                return removed
            response = self.call(
                "delete objects", "delete_objects", Bucket=self.name, Delete={"Objects": objects, "Quiet": True}
            )
            errors = response.get("Errors") or []
            if errors:
                self.module.fail_json(
                    msg="Failed to empty bucket %s: %d object version(s) could not be deleted, first: %s (%s)"
                    % (self.name, len(errors), errors[0].get("Key"), errors[0].get("Message") or errors[0].get("Code")),
                    errors=errors[:20],
                )
            removed += len(objects)

    def absent(self):
        if not self.exists():
            return dict(changed=False, changed_settings=[], diff=dict(before={}, after={}))
        result = dict(changed=True, changed_settings=["bucket"], diff=dict(before={"name": self.name}, after={}))
        if self.module.check_mode:
            return result
        result["deleted_objects"] = self.empty()
        self.call("delete", "delete_bucket", Bucket=self.name)
        return result


def cfg_key_to_snake(key):
    return "".join("_" + c.lower() if c.isupper() else c for c in key).lstrip("_")


def validate(module):
    name = module.params["name"]
    problem = validate_bucket_name(name)
    if problem:
        module.fail_json(msg="name: %s (%r)" % (problem, name))
    for rule in module.params["lifecycle_rules"] or []:
        actions = ("expiration_days", "noncurrent_version_expiration_days", "abort_incomplete_multipart_upload_days")
        if not any(rule.get(a) for a in actions):
            module.fail_json(
                msg="lifecycle_rules: rule %r has no action; set at least one of %s" % (rule["id"], ", ".join(actions))
            )
        for action in actions:
            if rule.get(action) is not None and rule[action] < 1:
                module.fail_json(msg="lifecycle_rules: rule %r: %s must be at least 1" % (rule["id"], action))
    logging = module.params["access_logging"]
    if logging and logging.get("enabled", True) and logging.get("target_bucket") == name:
        module.fail_json(msg="access_logging.target_bucket: a bucket must not log to itself; use a separate log bucket")
    if module.params["policy"]:
        try:
            policy = json.loads(module.params["policy"])
        except ValueError as e:
            module.fail_json(msg="policy: not valid JSON: %s" % e)
        if not isinstance(policy, (dict, list)):
            module.fail_json(msg="policy: expected a policy document or a list of statements")


def main():
    argument_spec = dict(
        name=dict(type="str", required=True, aliases=["bucket"]),
        state=dict(type="str", default="present", choices=["present", "absent"]),
        sse_algorithm=dict(type="str", default="aws:kms", choices=["aws:kms", "AES256"]),
        kms_key_id=dict(type="str"),
        bucket_key_enabled=dict(type="bool", default=True),
        public_access_block=dict(type="bool", default=True),
        object_ownership=dict(
            type="str",
            default="BucketOwnerEnforced",
            choices=["BucketOwnerEnforced", "BucketOwnerPreferred", "ObjectWriter"],
        ),
        require_tls=dict(type="bool", default=True),
        policy=dict(type="json"),
        versioning=dict(type="bool", default=True),
        lifecycle_rules=dict(
            type="list",
            elements="dict",
            options=dict(
                id=dict(type="str", required=True),
                prefix=dict(type="str", default=""),
                enabled=dict(type="bool", default=True),
                expiration_days=dict(type="int"),
                noncurrent_version_expiration_days=dict(type="int"),
                abort_incomplete_multipart_upload_days=dict(type="int"),
            ),
        ),
        access_logging=dict(
            type="dict",
            options=dict(
                enabled=dict(type="bool", default=True),
                target_bucket=dict(type="str"),
                target_prefix=dict(type="str", default=""),
            ),
            required_if=[("enabled", True, ["target_bucket"])],
        ),
        tags=dict(type="dict", aliases=["resource_tags"]),
        purge_tags=dict(type="bool", default=True),
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    validate(module)

    manager = BucketManager(module)
    try:
        result = manager.present() if module.params["state"] == "present" else manager.absent()
    except AnsibleAWSError as e:
        module.fail_json_aws_error(e)
    if not module._diff:
        result.pop("diff", None)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
