"""Emulator feature: KMS key-state operations accept a key ARN, as AWS does.

moto 5.x resolves ``KeyId`` given as an ARN for most operations, but ``EnableKey``,
``DisableKey``, ``ScheduleKeyDeletion`` and ``CancelKeyDeletion`` index its key table with the
raw value, so an ARN (what amazon.aws.kms_key passes) ends in an HTTP 500. This extension,
installed in the emulator's server process by `emulator.extensions.install()`, turns a key ARN
into the key id before those four operations, so scheduling a key for deletion (with its
pending window) and recovering it run the real-AWS code path.
"""

from __future__ import annotations

import functools
from typing import Any

OPERATIONS = ("enable_key", "disable_key", "schedule_key_deletion", "cancel_key_deletion")


def install() -> None:
    from moto.kms.models import KmsBackend

    for name in OPERATIONS:
        original = getattr(KmsBackend, name)
        if getattr(original, "_accepts_key_arn", False):
            continue

        @functools.wraps(original)
        def accepting_arn(self: KmsBackend, key_id: str, *args: Any, _original=original, **kwargs: Any) -> Any:
            return _original(self, KmsBackend.get_key_id(key_id), *args, **kwargs)

        accepting_arn._accepts_key_arn = True  # type: ignore[attr-defined]
        setattr(KmsBackend, name, accepting_arn)
