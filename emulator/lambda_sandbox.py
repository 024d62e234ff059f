"""Execution environments of Python functions for ``emulator.lambda_runtime``: extracted packages and
warm worker processes.

A function runs in a separate Python process (``sys.executable`` running ``emulator/lambda_worker.py``)
with its package extracted to a temporary directory on ``sys.path``, the function's environment
variables and the variables the Lambda runtime sets (region, function name, memory, log group, fake
credentials the emulator accepts, ``AWS_ENDPOINT_URL`` pointing at the emulator). As on Lambda, an
environment is reused by later invocations of the same function, code and configuration (module state
and the handler's cached clients survive), serves one invocation at a time, is discarded when an
invocation times out, crashes or fails to initialise, and is shut down after a while without work or
when the function's code or configuration changes.

Not modelled: the memory limit (Max Memory Used is reported, nothing is killed for exceeding it), the
/tmp size, layers, extensions, and runtimes other than Python (the caller falls back to moto).
"""

from __future__ import annotations

import atexit
import contextlib
import datetime
import hashlib
import io
import json
import os
import select
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import threading
import time
import uuid
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from emulator import endpoint

WORKER_SCRIPT = Path(__file__).with_name("lambda_worker.py")
# An idle environment is shut down after this many seconds (Lambda keeps them for minutes).
IDLE_SECONDS = 300.0
# The Lambda runtime's reserved variables: a function's own variables cannot override them.
RESERVED_VARIABLES = frozenset(
    (
        "_HANDLER", "_X_AMZN_TRACE_ID", "AWS_DEFAULT_REGION", "AWS_REGION", "AWS_EXECUTION_ENV",
        "AWS_LAMBDA_FUNCTION_NAME", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "AWS_LAMBDA_FUNCTION_VERSION",
        "AWS_LAMBDA_INITIALIZATION_TYPE", "AWS_LAMBDA_LOG_GROUP_NAME", "AWS_LAMBDA_LOG_STREAM_NAME",
        "AWS_ACCESS_KEY", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
        "AWS_LAMBDA_RUNTIME_API", "LAMBDA_TASK_ROOT", "LAMBDA_RUNTIME_DIR",
    )
)  # fmt: skip


@dataclass(frozen=True)
class FunctionSpec:
    """What an execution environment is made of; environments are shared only between equal specs."""

    function_arn: str
    function_name: str
    region: str
    version: str
    handler: str
    runtime: str
    memory_size: int
    timeout: int
    log_group_name: str
    code_sha256: str
    environment: tuple[tuple[str, str], ...] = ()


@dataclass
class Outcome:
    """One invocation's result: the payload Lambda answers with and what goes to CloudWatch Logs."""

    request_id: str
    payload: bytes
    function_error: str | None = None  # "Unhandled" when the function failed
    log_lines: list[str] = field(default_factory=list)
    log_stream_name: str = ""
    started_ms: int = 0
    duration_ms: float = 0.0
    init_ms: float | None = None
    max_memory_mb: int = 0
    timed_out: bool = False


class _Worker:
    """One worker process and its two pipes."""

    def __init__(self, spec: FunctionSpec, task_dir: Path, env: dict[str, str]):
        self.spec = spec
        request_read, self._request_write = os.pipe()
        self._result_read, result_write = os.pipe()
        try:
            self.process = subprocess.Popen(
                [sys.executable, "-I", "-u", str(WORKER_SCRIPT), str(task_dir), str(request_read), str(result_write)],
                cwd=task_dir,
                env=env,
                stdin=subprocess.DEVNULL,
                pass_fds=(request_read, result_write),
                start_new_session=True,  # a timeout kills the handler's child processes too
            )
        finally:
            os.close(request_read)
            os.close(result_write)
        self.idle_since = time.monotonic()
        self.dead = False

    def invoke(self, request: dict, deadline: float) -> tuple[dict | None, str]:
        """(answer, "ok"), or (None, "timeout" | "exited"); a worker that timed out is killed."""
        body = json.dumps(request).encode()
        try:
            os.write(self._request_write, struct.pack(">I", len(body)) + body)
            header = self._read(4, deadline)
            if header is not None:
                answer = self._read(struct.unpack(">I", header)[0], deadline)
                if answer is not None:
                    return json.loads(answer), "ok"
        except OSError:
            pass
        reason = "timeout" if time.monotonic() >= deadline and self.process.poll() is None else "exited"
        self.kill()
        return None, reason

    def _read(self, size: int, deadline: float) -> bytes | None:
        chunks, remaining = [], size
        while remaining:
            wait = deadline - time.monotonic()
            if wait <= 0:
                return None
            ready = select.select([self._result_read], [], [], wait)[0]
            if not ready:
                return None
            chunk = os.read(self._result_read, remaining)
            if not chunk:
                return None
            chunks.append(chunk)
            remaining -= len(chunk)
        return b"".join(chunks)

    def exit_status(self) -> str:
        """How the process ended, as Lambda words it ('exit status 1', 'signal: killed')."""
        code = self.process.poll()
        if code is None:
            return "unknown"
        if code < 0:
            name = {signal.SIGKILL: "killed", signal.SIGSEGV: "segmentation fault"}.get(-code)
            return f"signal: {name or signal.Signals(-code).name.lower()}"
        return f"exit status {code}"

    def kill(self) -> None:
        if not self.dead:
            self.dead = True
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.process.pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=5)
        for fd in (self._request_write, self._result_read):
            with contextlib.suppress(OSError):
                os.close(fd)
        self._request_write = self._result_read = -1


class Sandbox:
    """The extracted packages and the idle environments of every function."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._root: Path | None = None
        self._packages: dict[str, Path] = {}
        self._idle: dict[FunctionSpec, list[_Worker]] = {}
        self._busy: set[_Worker] = set()

    # ------------------------------------------------------------------ files
    def _root_dir(self) -> Path:
        if self._root is None:
            self._root = Path(tempfile.mkdtemp(prefix="tap-lambda-"))
            (self._root / "logs").mkdir()
        return self._root

    def _package(self, code: bytes) -> Path:
        digest = hashlib.sha256(code).hexdigest()
        with self._lock:
            found = self._packages.get(digest)
            if found is not None:
                return found
            target = self._root_dir() / "code" / digest[:32]
            staging = target.with_name(target.name + ".tmp")
            shutil.rmtree(staging, ignore_errors=True)
            staging.mkdir(parents=True)
            with zipfile.ZipFile(io.BytesIO(code)) as archive:
                archive.extractall(staging)  # extractall drops absolute and ../ member paths
            staging.rename(target)
            self._packages[digest] = target
            return target

    # ------------------------------------------------------------------ environments
    def _environment(self, spec: FunctionSpec, task_dir: Path) -> dict[str, str]:
        env = {
            "PATH": os.environ.get("PATH", os.defpath),
            "LANG": "en_US.UTF-8",
            "TZ": ":UTC",
            "AWS_ENDPOINT_URL": endpoint.url(),
            # Never read a developer's AWS configuration or an instance's metadata.
            "AWS_CONFIG_FILE": os.devnull,
            "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
            "AWS_EC2_METADATA_DISABLED": "true",
        }
        env.update({k: v for k, v in spec.environment if k not in RESERVED_VARIABLES})
        env.update(
            {
                "_HANDLER": spec.handler,
                "AWS_EXECUTION_ENV": f"AWS_Lambda_{spec.runtime}",
                "AWS_REGION": spec.region,
                "AWS_DEFAULT_REGION": spec.region,
                "AWS_LAMBDA_FUNCTION_NAME": spec.function_name,
                "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(spec.memory_size),
                "AWS_LAMBDA_FUNCTION_VERSION": spec.version,
                "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand",
                "AWS_LAMBDA_LOG_GROUP_NAME": spec.log_group_name,
                "AWS_ACCESS_KEY_ID": endpoint.ACCESS_KEY_ID,
                "AWS_SECRET_ACCESS_KEY": endpoint.SECRET_ACCESS_KEY,
                "LAMBDA_TASK_ROOT": str(task_dir),
                "LAMBDA_RUNTIME_DIR": str(WORKER_SCRIPT.parent),
            }
        )
        return env

    def _acquire(self, spec: FunctionSpec, code: bytes) -> tuple[_Worker, bool]:
        retired: list[_Worker] = []
        with self._lock:
            now = time.monotonic()
            for other, workers in list(self._idle.items()):
                stale = other.function_arn == spec.function_arn and other != spec
                for worker in list(workers):
                    if stale or now - worker.idle_since > IDLE_SECONDS or worker.process.poll() is not None:
                        workers.remove(worker)
                        retired.append(worker)
                if not workers:
                    del self._idle[other]
            warm = self._idle.get(spec)
            worker = warm.pop() if warm else None
            if worker is not None:
                self._busy.add(worker)
        for old in retired:
            old.kill()
        if worker is not None:
            return worker, False
        task_dir = self._package(code)
        worker = _Worker(spec, task_dir, self._environment(spec, task_dir))
        with self._lock:
            self._busy.add(worker)
        return worker, True

    def _release(self, worker: _Worker) -> None:
        with self._lock:
            self._busy.discard(worker)
            if not worker.dead and worker.process.poll() is None:
                worker.idle_since = time.monotonic()
                self._idle.setdefault(worker.spec, []).append(worker)
                return
        worker.kill()

    def shutdown(self) -> None:
        """Kill every environment and remove the extracted packages (at exit)."""
        with self._lock:
            workers = [w for ws in self._idle.values() for w in ws] + list(self._busy)
            self._idle.clear()
            self._busy.clear()
            root, self._root = self._root, None
            self._packages.clear()
        for worker in workers:
            worker.kill()
        if root is not None:
            shutil.rmtree(root, ignore_errors=True)

    # ------------------------------------------------------------------ invocation
    def invoke(
        self,
        spec: FunctionSpec,
        code: bytes,
        payload: str,
        invoked_function_arn: str,
        request_id: str | None = None,
        client_context: dict | None = None,
    ) -> Outcome:
        request_id = request_id or str(uuid.uuid4())
        started = time.time()
        stream = f"{time.strftime('%Y/%m/%d', time.gmtime(started))}/[{spec.version}]{uuid.uuid4().hex}"
        outcome = Outcome(request_id=request_id, payload=b"", log_stream_name=stream, started_ms=int(started * 1000))
        worker, cold = self._acquire(spec, code)
        log_path = self._root_dir() / "logs" / f"{request_id}.log"
        request = {
            "request_id": request_id,
            "payload": payload,
            "deadline_ms": int((started + spec.timeout) * 1000),
            "invoked_function_arn": invoked_function_arn,
            "log_path": str(log_path),
            "log_stream_name": stream,
            "client_context": client_context,
            "identity": None,
        }
        answer, reason = None, "exited"
        try:
            answer, reason = worker.invoke(request, time.monotonic() + spec.timeout)
            if answer is not None and answer.get("fatal"):
                worker.kill()  # a failed init: Lambda starts a new environment next time
        finally:
            self._release(worker)
        outcome.duration_ms = (time.time() - started) * 1000
        output = _read_and_remove(log_path)

        if reason == "timeout":
            outcome.timed_out = True
            message = f"Task timed out after {spec.timeout:.2f} seconds"
            outcome.payload = _json(
                {"errorType": "Sandbox.Timedout", "errorMessage": f"RequestId: {request_id} Error: {message}"}
            )
            outcome.function_error = "Unhandled"
            output += f"{_iso_now()} {request_id} {message}\n"
        elif answer is None:
            status = worker.exit_status()
            outcome.payload = _json(
                {
                    "errorType": "Runtime.ExitError",
                    "errorMessage": f"RequestId: {request_id} Error: Runtime exited with error: {status}",
                }
            )
            outcome.function_error = "Unhandled"
            output += f"RequestId: {request_id} Error: Runtime exited with error: {status}\nRuntime.ExitError\n"
        elif "error" in answer:
            outcome.payload = _json(answer["error"])
            outcome.function_error = "Unhandled"
        else:
            text = answer.get("payload", "")
            outcome.payload = text.encode("latin-1") if answer.get("binary") else text.encode()
        if answer is not None:
            outcome.init_ms = answer.get("init_ms") if cold else None
            outcome.max_memory_mb = max(1, int(answer.get("max_memory_kb", 0)) // 1024)
        outcome.log_lines = _log_lines(spec, outcome, output, cold)
        return outcome


def _json(value: dict) -> bytes:
    return json.dumps(value).encode()


def _iso_now() -> str:
    return datetime.datetime.now(datetime.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _read_and_remove(path: Path) -> str:
    try:
        text = path.read_bytes().decode("utf-8", "replace")
    except FileNotFoundError:
        return ""
    path.unlink(missing_ok=True)
    return text


def _log_lines(spec: FunctionSpec, outcome: Outcome, output: str, cold: bool) -> list[str]:
    """What Lambda writes to the invocation's log stream: platform lines around the function's output."""
    rid = outcome.request_id
    lines = []
    if cold:
        lines.append(f"INIT_START Runtime Version: {spec.runtime.replace('python', 'python:')}.emulator")
    lines.append(f"START RequestId: {rid} Version: {spec.version}")
    timeout_line = None
    for line in output.split("\n"):
        if not line:
            continue
        if outcome.timed_out and line.endswith("Task timed out after %.2f seconds" % spec.timeout):
            timeout_line = line
            continue
        lines.append(line)
    lines.append(f"END RequestId: {rid}")
    report = (
        f"REPORT RequestId: {rid}\tDuration: {outcome.duration_ms:.2f} ms\t"
        f"Billed Duration: {max(1, int(outcome.duration_ms + 0.999))} ms\tMemory Size: {spec.memory_size} MB\t"
        f"Max Memory Used: {outcome.max_memory_mb} MB\t"
    )
    if outcome.init_ms is not None:
        report += f"Init Duration: {outcome.init_ms:.2f} ms\t"
    if outcome.timed_out:
        report += "Status: timeout"
    lines.append(report)
    if timeout_line:
        lines.append(timeout_line)
    return lines


SANDBOX = Sandbox()
atexit.register(SANDBOX.shutdown)
