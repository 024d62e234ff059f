"""Secrets hygiene: no secret value reaches the output (even at -vvv --diff), outputs or deployment records.

Two full deploys run at -vvv --diff, side by side:
  * dev: a second run over the converged dev stack (RDS-managed master passwords, every describe path);
  * prod (two regions): a fresh Aurora global database, whose master password the aurora_cluster module
    generates itself (Secrets Manager GetRandomPassword), hands to CreateDBCluster and stores in the secret
    tap/aurora-global-prod/master: the one place a password passes through our code.
Then every secret value the emulator holds (GetSecretValue of every secret in every region used) and the
emulator's fake secret key are searched for in the complete output of all runs, the outputs files and
the deployment records.
"""

from __future__ import annotations

import json
import re
from concurrent.futures import ThreadPoolExecutor

import pytest
from integration.helpers import REGIONS, make_inventory
from integration.helpers import log_bucket

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("dev_stack")]

PROD_REGIONS = {"us-east-1": "10.0.0.0/16", "eu-west-1": "10.2.0.0/16"}
PROD_PRIMARY = "us-east-1"
EMULATOR_SECRET_KEY = "tap-emulator-key"
SECRET_FIELDS = re.compile(r"(?i)pass|secret|token|key")
MIN_LENGTH = 6  # shorter values (e.g. a port) would match anywhere by chance


def secret_values(aws, regions) -> dict[str, str]:
    """{description: value} of every secret value held in the regions, never printed by the test."""
    values = {"the emulator's secret access key": EMULATOR_SECRET_KEY}
    for region in sorted(regions):
        client = aws("secretsmanager", region)
        for page in client.get_paginator("list_secrets").paginate():
            for secret in page["SecretList"]:
                string = client.get_secret_value(SecretId=secret["ARN"]).get("SecretString") or ""
                where = f"secret {secret['Name']} ({region})"
                values[f"the value of {where}"] = string
                try:
                    fields = json.loads(string)
                except ValueError:
                    continue
                if isinstance(fields, dict):
                    for name, value in fields.items():
                        if SECRET_FIELDS.search(name) and isinstance(value, str):
                            values[f"field {name} of {where}"] = value
    return {what: value for what, value in values.items() if len(value) >= MIN_LENGTH}


def printed_forms(value: str) -> set[str]:
    """The value as it would look when printed raw, JSON-escaped or in a single-quoted YAML scalar."""
    return {value, json.dumps(value)[1:-1], value.replace("'", "''")}


def deployment_records(aws, env: str, primary: str) -> dict[str, str]:
    s3 = aws("s3", primary)
    bucket = log_bucket(env, primary)
    records = {}
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=f"deployments/{env}/"):
        for obj in page.get("Contents", []):
            body = s3.get_object(Bucket=bucket, Key=obj["Key"])["Body"].read().decode("utf-8", "replace")
            records[f"deployment record s3://{bucket}/{obj['Key']}"] = body
    return records


@pytest.fixture(scope="module")
def verbose_runs(dev_stack, run_playbook, tmp_path_factory):
    base = tmp_path_factory.mktemp("secrets_hygiene")
    prod_inventory = make_inventory(base / "prod-inventory", "prod", PROD_REGIONS, primary=PROD_PRIMARY)
    prod_outputs = base / "outputs"
    with ThreadPoolExecutor(max_workers=2) as pool:
        dev = pool.submit(
            run_playbook,
            "site.yml",
            "inventories/local",
            "-vvv",
            "--diff",
            env={"TAP_OUTPUTS_DIR": str(dev_stack["outputs_dir"])},
        )
        prod = pool.submit(
            run_playbook, "site.yml", str(prod_inventory), "-vvv", "--diff", env={"TAP_OUTPUTS_DIR": str(prod_outputs)}
        )
        runs = {"dev": dev.result(), "prod": prod.result()}
    for env, run in runs.items():
        assert run.rc == 0, f"{env} deploy at -vvv failed:\n{run.output[-5000:]}"
    return {"runs": runs, "outputs": {"dev": dev_stack["outputs_dir"] / "dev.json", "prod": prod_outputs / "prod.json"}}


def test_prod_deploy_stored_a_generated_master_password(verbose_runs, aws):
    """The prod run really went through the path where our module handles a password."""
    for region in PROD_REGIONS:
        secret = aws("secretsmanager", region).get_secret_value(SecretId="tap/aurora-global-prod/master")
        fields = json.loads(secret["SecretString"])
        assert fields["username"] == "tapadmin" and len(fields["password"]) >= 16
    run = verbose_runs["runs"]["prod"]
    assert "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER" in run.output  # -vvv did print module invocations


def test_no_secret_value_in_output_outputs_or_records(verbose_runs, dev_stack, aws):
    secrets = secret_values(aws, set(REGIONS) | set(PROD_REGIONS))
    assert any("tap/aurora-global-prod/master" in what for what in secrets)
    haystacks = {
        "dev first deploy output": dev_stack["run"].output,
        "dev -vvv --diff re-run output": verbose_runs["runs"]["dev"].output,
        "prod -vvv --diff deploy output": verbose_runs["runs"]["prod"].output,
    }
    for env, path in verbose_runs["outputs"].items():
        assert path.is_file(), f"no outputs file for {env}"
        haystacks[f"outputs file {path.name}"] = path.read_text()
    records = {**deployment_records(aws, "dev", "us-east-1"), **deployment_records(aws, "prod", PROD_PRIMARY)}
    assert records, "no deployment record was written"
    haystacks.update(records)

    leaks = []
    for where, text in haystacks.items():
        for what, value in secrets.items():
            for form in printed_forms(value):
                if form in text:
                    line = text[: text.index(form)].count("\n") + 1
                    leaks.append(f"{what} appears in the {where} (line {line})")
                    break
    # The message names the secret and the place, never the value.
    assert not leaks, "secret values leaked:\n" + "\n".join(leaks)
