"""CallRecorder: which AWS operations a module made, for tests that count reads and writes."""

from __future__ import annotations

WRITE_PREFIXES = (
    "Create", "Update", "Put", "Delete", "Tag", "Untag", "Add", "Remove", "Set", "Associate", "Disassociate",
    "Attach", "Detach",
)  # fmt: skip


class CallRecorder:
    """Records (service, operation) of every botocore call made in this process."""

    def __init__(self):
        self.calls: list[tuple[str, str]] = []

    def install(self, monkeypatch):
        import botocore.client

        original = botocore.client.BaseClient._make_api_call
        recorder = self

        def record(client, operation_name, api_params):
            recorder.calls.append((client.meta.service_model.service_name, operation_name))
            return original(client, operation_name, api_params)

        monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", record)
        return self

    def writes(self) -> list[tuple[str, str]]:
        return [c for c in self.calls if c[1].startswith(WRITE_PREFIXES)]

    def clear(self):
        self.calls.clear()
