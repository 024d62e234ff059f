#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: tap.multiregion contributors
# Apache License 2.0 (see LICENSE)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: s3_secure_bucket
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.tags
  - amazon.aws.boto3
  - tap.multiregion.attributes
short_description: Configure one S3 bucket completely (encryption, access, policy, versioning, lifecycle, logging, tags)
version_added: 0.1.0
description:
  - Creates or updates one S3 bucket and all of its security settings in a single invocation, or empties
    (every object version and delete marker) and deletes it.
  - Reads every managed setting once (all at the same time), compares normalized forms with what is wanted and
    writes only the settings that differ. A run with nothing to change makes no write call and returns
    C(changed=false).
  - Managed settings are default encryption (SSE-KMS with a bucket key, or SSE-S3), the public access block,
    object ownership, the bucket policy (optionally with a TLS-only statement), versioning, lifecycle rules,
    server access logging, cross-region replication (only with O(replication)) and tags.
  - The bucket's notification configuration, ACLs, CORS, website and object lock settings are never read or
    changed, so other tasks may own them.
  - S3 bucket names are global across all AWS accounts. A name that another account owns (C(HeadBucket) answers
    403) fails the run before anything is written, with O(state=present) and O(state=absent) alike.
options:
  name:
    description: Name of the bucket.
    type: str
    required: true
    aliases: [bucket]
  state:
    description:
      - C(present) creates the bucket if needed and converges every managed setting.
      - C(absent) deletes every object version and delete marker, then the bucket. Objects that arrive while it is
        deleted (late server access logs) are deleted too and the deletion is retried, for up to five minutes.
    type: str
    choices: [present, absent]
    default: present
  settings:
    description:
      - Manage only these settings of an existing bucket; the others are neither read nor written.
      - Default (unset) is every setting the options describe, and a missing bucket is created.
      - With O(settings) the bucket must exist (in check mode a missing bucket is planned as an empty one), for
        example to add O(replication) in a later play, once the destination bucket of another region exists.
    type: list
    elements: str
    choices: [object_ownership, public_access_block, encryption, policy, versioning, lifecycle_rules,
              access_logging, replication, tags]
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
  replication:
    description:
      - Cross-region replication of the bucket's SSE-KMS encrypted objects to a bucket of another region, as
        one replication rule (V2 schema, with filter and priority) that re-encrypts every replica with the
        destination's KMS key and never replicates delete markers. When unset, replication is left as it is.
      - The bucket needs versioning. The destination bucket must exist and have versioning enabled when the rule
        is written (S3 answers C(InvalidRequest) otherwise); a destination whose versioning was enabled moments
        ago is retried for two minutes.
      - The replication role must let C(s3.amazonaws.com) assume it and allow reading this bucket's object
        versions, replicating into the destination, C(kms:Decrypt) with this bucket's key and C(kms:Encrypt) with
        the destination key.
    type: dict
    suboptions:
      enabled:
        description: C(false) removes the bucket's replication configuration.
        type: bool
        default: true
      role_arn:
        description: ARN of the IAM role S3 assumes to replicate. Required when enabled.
        type: str
      destination_bucket_arn:
        description: ARN of the destination bucket (C(arn:aws:s3:::name)). Required when enabled.
        type: str
      destination_kms_key_arn:
        description: ARN of the KMS key in the destination's region that encrypts the replicas. Required when enabled.
        type: str
      rule_id:
        description: ID of the replication rule.
        type: str
        default: replicate-to-partner-region
      priority:
        description: Priority of the rule (S3 requires one for rules with a filter).
        type: int
        default: 1
      prefix:
        description: Key prefix of the objects replicated; empty for the whole bucket.
        type: str
        default: ''
notes:
  - Retries throttling and transient errors with jittered back-off; right after C(CreateBucket) a C(NoSuchBucket)
    answer is retried too.
  - Read calls of a run with nothing to change are C(HeadBucket) and then, at the same time, one read per managed
    setting.
  - O(state=absent) deletes data irreversibly (all object versions).
author:
  - tap.multiregion maintainers (!UNKNOWN)
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
    lifecycle_rules:
      - id: expire-access-logs
        expiration_days: 90
        noncurrent_version_expiration_days: 7
        abort_incomplete_multipart_upload_days: 1
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

- name: Replicate the data bucket to the partner region, once that region's data bucket exists
  tap.multiregion.s3_secure_bucket:
    name: tap-data-prod-eu-west-1
    settings: [replication]
    replication:
      role_arn: arn:aws:iam::123456789012:role/tap-s3-replication-prod-eu-west-1
      destination_bucket_arn: arn:aws:s3:::tap-data-prod-us-east-1
      destination_kms_key_arn: arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab

- name: Empty and delete a bucket
  tap.multiregion.s3_secure_bucket:
    name: tap-data-dev-eu-west-1
    state: absent
"""

RETURN = r"""
bucket:
  description: The bucket and its managed settings after the run (what they would be, in check mode).
  returned: when O(state=present)
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
      returned: when managed
      sample:
        block_public_acls: true
        ignore_public_acls: true
        block_public_policy: true
        restrict_public_buckets: true
    object_ownership:
      description: Object ownership setting.
      type: str
      returned: when managed
      sample: BucketOwnerEnforced
    policy:
      description: The bucket policy document.
      type: dict
      returned: when managed
    versioning:
      description: C(Enabled), C(Suspended) or C(Disabled).
      type: str
      returned: when managed
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
    replication:
      description: The replication rule, empty when there is none.
      type: dict
      returned: when managed
      sample: {rule_id: replicate-to-partner-region, destination_bucket_arn: "arn:aws:s3:::tap-data-prod-us-east-2"}
    tags:
      description: Tags of the bucket.
      type: dict
      returned: when managed
changes:
  description: One sentence per change made (or, in check mode, that would be made), naming the resource and attribute.
  returned: always
  type: list
  elements: str
  sample:
    - create bucket tap-data-dev-us-east-1 (us-east-1)
    - "bucket tap-data-dev-us-east-1: versioning Suspended -> Enabled"
deleted_objects:
  description: Number of object versions and delete markers removed by O(state=absent).
  returned: when O(state=absent) and the bucket existed (not in check mode)
  type: int
  sample: 3
"""

import json

try:
    import botocore.exceptions
except ImportError:
    pass  # Handled by AnsibleAWSModule

from ansible_collections.amazon.aws.plugins.module_utils.s3 import validate_bucket_name
from ansible_collections.amazon.aws.plugins.module_utils.tagging import ansible_dict_to_boto3_tag_list

from ansible_collections.tap.multiregion.plugins.module_utils import policies
from ansible_collections.tap.multiregion.plugins.module_utils import s3_bucket as cfg
from ansible_collections.tap.multiregion.plugins.module_utils.base import AwsResource
from ansible_collections.tap.multiregion.plugins.module_utils.base import Failure
from ansible_collections.tap.multiregion.plugins.module_utils.base import Propagation
from ansible_collections.tap.multiregion.plugins.module_utils.base import error_code

NOT_FOUND = ("404", "NoSuchBucket", "NotFound")
FORBIDDEN = ("403", "AccessDenied", "Forbidden")
# Server access logs (and replicas from a partner region) keep arriving for a while after a bucket
# was emptied; DeleteBucket then answers BucketNotEmpty: empty again and retry, for this long.
LATE_OBJECTS = Propagation(["BucketNotEmpty"], seconds=300, delay=2.0)
# A destination whose versioning was just enabled is not yet accepted as replication destination.
DESTINATION_VERSIONING = Propagation(["InvalidRequest"], ["must have versioning enabled"], seconds=120, delay=5.0)
# What S3 reports for a bucket on which nothing was configured yet (the public access block is
# written whatever the region's default).
UNCONFIGURED = {
    "public_access_block": None,
    "encryption": {},
    "policy": None,
    "versioning": "Disabled",
    "lifecycle_rules": [],
    "access_logging": {},
    "replication": {},
    "tags": {},
}


class SecureBucket(AwsResource):
    SERVICE = "s3"
    RETRY_CODES = ("OperationAborted",)

    def __init__(self, module):
        super(SecureBucket, self).__init__(module)
        self.name = self.params["name"]
        self.label = "bucket %s" % self.name
        self.s3 = self.client()
        self.partition = getattr(self.s3.meta, "partition", None) or "aws"
        self.arn = cfg.bucket_arn(self.partition, self.name)

    # ------------------------------------------------------------------ validation

    def validate(self):
        p = self.params
        problem = validate_bucket_name(self.name)
        if problem:
            raise self.invalid("name", self.name, problem)
        actions = ("expiration_days", "noncurrent_version_expiration_days", "abort_incomplete_multipart_upload_days")
        for rule in p["lifecycle_rules"] or []:
            if not any(rule.get(a) for a in actions):
                raise Failure("lifecycle_rules: rule %r has no action; set at least one of %s"
                              % (rule["id"], ", ".join(actions)))
            for action in actions:
                if rule.get(action) is not None and rule[action] < 1:
                    raise Failure("lifecycle_rules: rule %r: %s must be at least 1" % (rule["id"], action))
        logging = p["access_logging"]
        if logging and logging.get("enabled", True) and logging.get("target_bucket") == self.name:
            raise Failure("access_logging.target_bucket: a bucket must not log to itself; use a separate log bucket")
        self.policy = None
        if p["policy"]:
            try:
                self.policy = json.loads(p["policy"])
            except ValueError as e:
                raise Failure("policy: not valid JSON: %s" % e)
            if not isinstance(self.policy, (dict, list)):
                raise Failure("policy: expected a policy document or a list of statements")
        replication = p["replication"]
        if replication and replication.get("enabled", True):
            destination = cfg.bucket_of_arn(replication["destination_bucket_arn"])
            if destination is None:
                raise self.invalid("replication.destination_bucket_arn", replication["destination_bucket_arn"],
                                   "give the ARN of an S3 bucket (arn:<partition>:s3:::<name>)")
            if destination == self.name:
                raise Failure("replication.destination_bucket_arn: a bucket must not replicate to itself")
            if not p["versioning"] and "versioning" in self.managed():
                raise Failure("replication: needs versioning=true (S3 replicates only from a versioned bucket)")

    def managed(self):
        return set(self.params["settings"] or cfg.SETTINGS)

    # ------------------------------------------------------------------ reads

    def head(self):
        """True when the bucket exists in this region; None when it does not; Failure when it is not ours."""
        try:
            head = self.read("look up %s" % self.label, self.s3.head_bucket, Bucket=self.name, missing=NOT_FOUND)
        except Failure as failure:
            if error_code(failure.error) in FORBIDDEN:
                raise Failure(cfg.foreign_owner_message(self.name, self.params["state"]))
            raise
        if head is None:
            return None
        headers = head.get("ResponseMetadata", {}).get("HTTPHeaders", {})
        bucket_region = head.get("BucketRegion") or headers.get("x-amz-bucket-region")
        if bucket_region and self.region and bucket_region != self.region:
            raise Failure(
                "Bucket %s exists in region %s, not in %s; bucket names are global, choose another name"
                % (self.name, bucket_region, self.region)
            )
        return True

    def current(self, settings):
        """The managed settings of the bucket, normalized, read at the same time."""

        def reader(setting):
            method, missing, normalize = cfg.READS[setting]
            what = "read the %s of %s" % (cfg.ATTRIBUTES[setting], self.label)
            return lambda: normalize(self.read(what, getattr(self.s3, method), Bucket=self.name, missing=missing) or {})

        order = [s for s in cfg.SETTINGS if s in settings]
        values = self.concurrently(*[reader(s) for s in order])
        return dict((setting, values[i]) for i, setting in enumerate(order))

    # ------------------------------------------------------------------ desired state

    def desired(self):
        """Normalized settings we manage (unset options are not managed); versioning is resolved later."""
        p = self.params
        want = {
            "object_ownership": p["object_ownership"],
            "public_access_block": cfg.desired_public_access_block(p["public_access_block"]),
            "encryption": cfg.desired_encryption(p["sse_algorithm"], p["kms_key_id"], p["bucket_key_enabled"]),
            "versioning": p["versioning"],
        }
        policy_doc = cfg.desired_policy(self.arn, self.policy, p["require_tls"])
        if policy_doc is not None:
            want["policy"] = policy_doc
        if p["lifecycle_rules"] is not None:
            want["lifecycle_rules"] = cfg.normalize_lifecycle_rules(
                [cfg.lifecycle_rule_from_option(rule) for rule in p["lifecycle_rules"]]
            )
        if p["access_logging"] is not None:
            want["access_logging"] = cfg.desired_logging(p["access_logging"])
        if p["replication"] is not None:
            want["replication"] = cfg.desired_replication(p["replication"])
        if p["tags"] is not None:
            want["tags"] = dict((k, str(v)) for k, v in p["tags"].items())
        managed = self.managed()
        return dict((k, v) for k, v in want.items() if k in managed)

    @staticmethod
    def equal(setting, have, want):
        if setting == "encryption":
            return cfg.encryption_equal(have, want)
        if setting == "policy":
            return have is not None and policies.policies_equal(have, want)
        return have == want

    # ------------------------------------------------------------------ writes

    def change(self, setting, before, after, s3):
        """Write one setting; the sentence names the setting with its value before and after."""
        method, kwargs = cfg.write_request(setting, after)
        if setting == "replication" and after:
            kwargs["propagation"] = DESTINATION_VERSIONING
        return self.write(cfg.change_sentence(self.label, setting, before, after), getattr(s3, method),
                          Bucket=self.name, **kwargs)

    def sync_bucket_tags(self, current, desired, s3):
        """PutBucketTagging replaces the whole set: each of sync_tags' writes puts the set as it is then."""
        kept = dict((k, v) for k, v in current.items() if not k.startswith("aws:"))

        def put(tags):
            if tags:
                s3.put_bucket_tagging(Bucket=self.name, Tagging={"TagSet": ansible_dict_to_boto3_tag_list(tags)},
                                      aws_retry=True)
            else:
                s3.delete_bucket_tagging(Bucket=self.name, aws_retry=True)

        def untag(keys):
            for key in keys:
                kept.pop(key, None)
            put(kept)

        def tag(to_set):
            kept.update(to_set)
            put(kept)

        return self.sync_tags(self.label, current, desired, tag=tag, untag=untag)

    def converge(self, want, have, s3=None):
        """Write every managed setting that differs; returns the settings after the run."""
        s3 = s3 or self.s3
        if "versioning" in want:
            want["versioning"] = cfg.desired_versioning(want["versioning"], have.get("versioning", "Disabled"))
        after = dict((setting, have.get(setting)) for setting in want)
        for setting in cfg.SETTINGS:
            # Tags follow below; a new bucket got its ownership from CreateBucket (not in have).
            if setting == "tags" or setting not in want or setting not in have:
                continue
            if not self.equal(setting, have[setting], want[setting]):
                self.change(setting, have[setting], want[setting], s3)
                after[setting] = want[setting]
        if "tags" in want:
            after["tags"] = self.sync_bucket_tags(have.get("tags") or {}, want["tags"], s3)
        return after

    # ------------------------------------------------------------------ present

    def present(self):
        want = self.desired()
        if self.head() is None:
            if self.params["settings"] is None:
                return self.create(want)
            if not self.check_mode:
                raise Failure("%s does not exist: settings %s manage an existing bucket; create it first"
                              % (self.label, ", ".join(self.params["settings"])))
            have = dict((s, UNCONFIGURED.get(s)) for s in want)
            have.pop("object_ownership", None)
            before = {}
        else:
            have = self.current(set(want))
            before = dict(have, name=self.name)
        after = self.converge(want, have)
        self.set_diff(before, dict(after, name=self.name))
        return {"bucket": self.view(after)}

    def create(self, want):
        params = {"Bucket": self.name, "ObjectOwnership": want["object_ownership"]}
        if self.region and self.region != "us-east-1":
            params["CreateBucketConfiguration"] = {"LocationConstraint": self.region}
        self.write("create %s (%s)" % (self.label, self.region), self.s3.create_bucket, **params)
        self.wait_until(
            "%s to exist" % self.label,
            lambda: self.read("look up %s" % self.label, self.s3.head_bucket, Bucket=self.name, missing=NOT_FOUND),
            timeout=120, poll=1.0,
        )
        # S3 is eventually consistent right after CreateBucket: the first writes retry NoSuchBucket.
        fresh = self.client(retry_codes=("NoSuchBucket", "OperationAborted"))
        after = self.converge(want, dict(UNCONFIGURED), s3=fresh)
        after["object_ownership"] = want["object_ownership"]
        self.set_diff({}, dict(after, name=self.name))
        return {"bucket": self.view(after)}

    def view(self, settings):
        return cfg.bucket_view(self.name, self.arn, self.region, settings)

    # ------------------------------------------------------------------ absent

    def empty(self, late=False):
        """Delete every object version and delete marker; returns how many (check mode: the first page)."""
        removed = 0
        while True:
            page = self.read("list the object versions of %s" % self.label, self.s3.list_object_versions,
                             Bucket=self.name, MaxKeys=1000)
            objects = [
                {"Key": item["Key"], "VersionId": item["VersionId"]}
                for item in page.get("Versions", []) + page.get("DeleteMarkers", [])
            ]
            if not objects:
                return removed
            response = self.write(
                "%s: delete %d %sobject versions" % (self.label, len(objects), "late " if late else ""),
                self.s3.delete_objects, Bucket=self.name, Delete={"Objects": objects, "Quiet": True},
            )
            removed += len(objects)
            if self.check_mode:
                return removed
            errors = (response or {}).get("Errors") or []
            if errors:
                first = errors[0]
                raise Failure(
                    "empty %s: %d object version(s) could not be deleted, first: %s (%s)"
                    % (self.label, len(errors), first.get("Key"), first.get("Message") or first.get("Code")),
                    errors=errors[:20],
                )

    def absent(self):
        if self.head() is None:
            self.set_diff({}, {})
            return {}
        removed = [self.empty()]

        def delete_bucket(**kwargs):
            try:
                return self.s3.delete_bucket(**kwargs)
            except botocore.exceptions.ClientError as e:
                if error_code(e) == "BucketNotEmpty":
                    late = self.empty(late=True)
                    removed.append(late)
                    self.progress("%s: %d objects arrived after it was emptied (late access logs); emptied again"
                                  % (self.label, late))
                raise

        self.write("delete %s" % self.label, delete_bucket, Bucket=self.name, propagation=LATE_OBJECTS)
        self.set_diff({"name": self.name}, {})
        return {} if self.check_mode else {"deleted_objects": sum(removed)}


def main():
    argument_spec = dict(
        name=dict(type="str", required=True, aliases=["bucket"]),
        state=dict(type="str", default="present", choices=["present", "absent"]),
        settings=dict(type="list", elements="str", choices=list(cfg.SETTINGS)),
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
        replication=dict(
            type="dict",
            options=dict(
                enabled=dict(type="bool", default=True),
                role_arn=dict(type="str"),
                destination_bucket_arn=dict(type="str"),
                destination_kms_key_arn=dict(type="str", no_log=False),
                rule_id=dict(type="str", default="replicate-to-partner-region"),
                priority=dict(type="int", default=1),
                prefix=dict(type="str", default=""),
            ),
            required_if=[("enabled", True, ["role_arn", "destination_bucket_arn", "destination_kms_key_arn"])],
        ),
    )
    SecureBucket.main(argument_spec, tags=True)


if __name__ == "__main__":
    main()
