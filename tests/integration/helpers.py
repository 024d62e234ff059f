"""Helpers for integration tests: inventories written like the project's own."""

from __future__ import annotations

from pathlib import Path

import yaml

REPO_ROOT = Path(__file__).resolve().parents[2]
REGIONS = {"us-east-1": "10.0.0.0/16", "us-east-2": "10.1.0.0/16", "eu-west-1": "10.2.0.0/16"}
# The prod stack of the security tests (conftest.prod_stack): three regions no other test uses, the
# first the primary; each data bucket replicates to the next region's.
PROD_STACK_REGIONS = {"il-central-1": "10.90.0.0/16", "ca-west-1": "10.91.0.0/16", "ap-southeast-4": "10.92.0.0/16"}
# The emulator's account: S3 bucket names carry it (names are global across AWS accounts).
ACCOUNT = "123456789012"


def data_bucket(env: str, region: str) -> str:
    return f"tap-data-{env}-{region}-{ACCOUNT}"


def log_bucket(env: str, region: str) -> str:
    """The access-log bucket; the primary region's also holds the deployment records."""
    return f"tap-logs-{env}-{region}-{ACCOUNT}"


def make_inventory(directory: Path, env: str, regions: dict, primary: str | None = None, emulator: bool = True) -> Path:
    """Write an inventory like inventories/<env> (group_vars linked to the project's) and return its dir."""
    directory.mkdir(parents=True, exist_ok=True)
    children = {
        env: {
            "children": {
                "regions": {
                    "hosts": {
                        region: ({"vpc_cidr": cidr} if cidr is not None else None) for region, cidr in regions.items()
                    }
                },
                "controller": {"hosts": {"localhost": None}},
            }
        },
        "primary": {"hosts": {(primary or next(iter(regions), "us-east-1")): None}} if regions else {},
    }
    if emulator:
        children["emulator"] = {"children": {env: None}}
    (directory / "hosts.yml").write_text(yaml.safe_dump({"all": {"children": children}}, sort_keys=False))
    link = directory / "group_vars"
    if not link.exists():
        link.symlink_to(REPO_ROOT / "group_vars")
    return directory
