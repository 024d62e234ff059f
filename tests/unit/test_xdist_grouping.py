"""make test relies on pytest-xdist's --dist loadgroup: the tests of one xdist_group share module-scoped stacks
(a deployed dev stack, a global database) and must run on one worker. pytest 9.2 with pytest-xdist 3.8 ignored
the marks silently (each worker built every stack again); this guards the pinned pair."""

from __future__ import annotations

import subprocess
import sys
import textwrap


def test_the_tests_of_one_xdist_group_run_on_one_worker(tmp_path):
    (tmp_path / "test_grouped.py").write_text(textwrap.dedent("""
        import os
        import pytest

        pytestmark = [pytest.mark.xdist_group("stack")]

        @pytest.mark.parametrize("i", range(6))
        def test_member(i):
            with open(os.environ["WORKERS_FILE"], "a") as out:
                out.write(os.environ["PYTEST_XDIST_WORKER"] + "\\n")
    """))
    (tmp_path / "test_free.py").write_text("import pytest\n\n@pytest.mark.parametrize('i', range(6))\n"
                                           "def test_free(i):\n    pass\n")
    workers = tmp_path / "workers.txt"
    run = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-n", "2",
                          "--dist", "loadgroup", str(tmp_path)], cwd=tmp_path, capture_output=True, text=True,
                         env={"WORKERS_FILE": str(workers), "PATH": "/usr/bin:/bin"}, timeout=120, check=False)
    assert run.returncode == 0, run.stdout + run.stderr
    assert len(set(workers.read_text().split())) == 1, workers.read_text()
