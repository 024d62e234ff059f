"""S3 bucket replication gaps of moto 5.2.5.

* GetBucketReplication answers a fixed shape: it drops ``SourceSelectionCriteria`` and the rule's
  ``Filter``, and always reports ``DeleteMarkerReplication`` Disabled. AWS answers the rules as they
  were put, so a module comparing the configuration it wrote with what it reads back saw a
  difference on every run. Here the stored rules are answered as put.
* PutBucketReplication does not look at the destination. AWS refuses a destination bucket that
  does not exist (``InvalidRequest``: "Destination bucket must exist.") or whose versioning is not
  enabled (``InvalidRequest``: "Destination bucket must have versioning enabled."), which is what
  makes the order of the regions matter when each region's bucket replicates to another region's.
"""

from __future__ import annotations

from typing import Any


def _rules(replication: dict[str, Any]) -> list[dict[str, Any]]:
    rules = replication.get("Rule") or []
    return [rules] if isinstance(rules, dict) else list(rules)


def _empty_as_text(value: Any) -> Any:
    # An empty XML element (<Prefix></Prefix>) parses as None; AWS answers it as an empty string.
    if isinstance(value, dict):
        return {key: _empty_as_text(item) for key, item in value.items()}
    return "" if value is None else value


def _as_put(rule: dict[str, Any]) -> dict[str, Any]:
    """A rule parsed from the request's XML (strings) in the shape GetBucketReplication answers."""
    answer = _empty_as_text(rule)
    if "Priority" in answer:
        answer["Priority"] = int(answer["Priority"])
    return answer


def install() -> None:
    from moto.core.responses import ActionResult
    from moto.s3.exceptions import ReplicationConfigurationNotFoundError, S3ClientError
    from moto.s3.models import S3Backend
    from moto.s3.responses import S3Response

    original_put = S3Backend.put_bucket_replication

    def put_bucket_replication(self: Any, bucket_name: str, replication: dict[str, Any]) -> None:
        for rule in _rules(replication):
            destination = (rule.get("Destination") or {}).get("Bucket") or ""
            name = destination.split(":::", 1)[-1]
            target = self.buckets.get(name)
            if target is None:
                raise S3ClientError("InvalidRequest", "Destination bucket must exist.")
            if not target.is_versioned:
                raise S3ClientError("InvalidRequest", "Destination bucket must have versioning enabled.")
        original_put(self, bucket_name, replication)

    def get_bucket_replication(self: Any) -> Any:
        self.data["Action"] = "GetBucketReplication"
        replication = self.backend.get_bucket_replication(self.bucket_name)
        if not replication:
            raise ReplicationConfigurationNotFoundError(bucket_name=self.bucket_name)
        rules = [_as_put(rule) for rule in _rules(replication)]
        return self.serialized(
            ActionResult({"ReplicationConfiguration": {"Role": replication["Role"], "Rules": rules}})
        )

    S3Backend.put_bucket_replication = put_bucket_replication
    S3Response.get_bucket_replication = get_bucket_replication
