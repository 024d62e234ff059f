"""Without the in-process runner (TAP_INPROCESS=0, or an ansible-core it does not know) our modules run as
normal module processes and give the same result."""

from __future__ import annotations

import json

PLAYBOOK = """
- hosts: localhost
  gather_facts: false
  connection: local
  vars:
    ansible_python_interpreter: "{{ ansible_playbook_python }}"
  tasks:
    - name: Look up the caller
      tap.multiregion.caller_identity:
        region: us-east-1
        endpoint_url: "{{ lookup('env', 'TAP_EMULATOR_URL') }}"
        access_key: tap-emulator
        secret_key: tap-emulator-key
      register: caller
    - name: Keep the result
      ansible.builtin.copy:
        content: "{{ caller | to_json }}"
        dest: "{{ lookup('env', 'RESULT_FILE') }}"
        mode: "0600"
"""


def caller_of(run, result_file) -> dict:
    assert run.rc == 0, run.output
    return json.loads(result_file.read_text())


def test_a_module_process_gives_what_the_in_process_runner_gives(run_playbook, tmp_path):
    playbook = tmp_path / "caller.yml"
    playbook.write_text(PLAYBOOK)
    first, second = tmp_path / "in-process.json", tmp_path / "process.json"
    in_process = caller_of(run_playbook(str(playbook), "localhost,", env={"RESULT_FILE": str(first)}), first)
    as_process = caller_of(
        run_playbook(str(playbook), "localhost,", env={"RESULT_FILE": str(second), "TAP_INPROCESS": "0"}), second
    )
    for result in (in_process, as_process):
        assert result["account"] == "123456789012" and result["partition"] == "aws"
        assert result["changed"] is False and result["changes"] == []
    assert {k: v for k, v in in_process.items() if k != "invocation"} == {
        k: v for k, v in as_process.items() if k != "invocation"
    }
