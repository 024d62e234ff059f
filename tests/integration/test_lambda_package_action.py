"""tap.multiregion.lambda_package under a real ansible-playbook run (controller only, no AWS)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]

PLAYBOOK = """
- name: Package the data processor
  hosts: localhost
  gather_facts: false
  tasks:
    - name: Build the package (localhost)
      tap.multiregion.lambda_package:
      register: package

    - name: Record the result (localhost)
      ansible.builtin.copy:
        content: "{{ package | to_json }}"
        dest: "{{ result_file }}"
        mode: "0644"
      check_mode: false
"""


def run(playbook: Path, *args: str) -> tuple[int, dict, str]:
    env = dict(os.environ, ANSIBLE_CONFIG=str(REPO_ROOT / "ansible.cfg"), ANSIBLE_NOCOLOR="1")
    result_file = playbook.parent / "result.json"
    result_file.unlink(missing_ok=True)
    cmd = [
        str(Path(sys.executable).parent / "ansible-playbook"),
        str(playbook),
        "-i",
        "localhost,",
        "-c",
        "local",
        "-e",
        f"result_file={result_file}",
        "-e",
        f"ansible_python_interpreter={sys.executable}",
        *args,
    ]
    proc = subprocess.run(cmd, cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=120, check=False)
    output = proc.stdout + proc.stderr
    assert result_file.exists(), output
    return proc.returncode, json.loads(result_file.read_text()), output


@pytest.mark.slow
def test_lambda_package_action_builds_once_and_supports_check_mode(tmp_path):
    playbook = tmp_path / "package.yml"
    playbook.write_text(PLAYBOOK)
    zip_path = tmp_path / ".build" / "lambda.zip"

    rc, check, output = run(playbook, "--check")
    assert rc == 0, output
    assert check["changed"] is True and not zip_path.exists()

    rc, first, output = run(playbook)
    assert rc == 0, output
    assert first["changed"] is True and first["path"] == str(zip_path) and zip_path.exists()
    assert first["sha256"] == check["sha256"]

    rc, second, output = run(playbook)
    assert rc == 0, output
    assert second["changed"] is False and second["sha256"] == first["sha256"]
