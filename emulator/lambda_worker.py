"""One Lambda execution environment: the process ``emulator.lambda_sandbox`` starts for a Python function.

Not an extension and not imported by the emulator: it runs as ``python -I -u lambda_worker.py <task dir>
<request fd> <result fd>`` with the function's environment, imports the handler (``Handler`` setting,
``module.function``) from the extracted package on first use and then serves invocations, one at a
time, like the Lambda Python runtime (awslambdaric): a context object, the runtime's root log handler,
error results ``{errorMessage, errorType, requestId, stackTrace}`` and the ``[ERROR]`` log line.

Protocol, on two pipes (never stdin/stdout, which belong to the handler): each message is a 4-byte
big-endian length and JSON. Request ``{request_id, payload, deadline_ms, invoked_function_arn,
log_path, log_stream_name, client_context, identity}``; answer ``{payload}`` (the marshalled result)
or ``{error, fatal}`` (fatal: the environment must be discarded, as Lambda resets it after a failed
init), plus ``max_memory_kb`` and ``init_ms``. While an invocation runs, file descriptors 1 and 2
write to ``log_path``, so everything the handler prints (also from C code or child processes) lands in
that invocation's log.
"""

from __future__ import annotations

import decimal
import importlib
import json
import logging
import math
import os
import resource
import struct
import sys
import time
import traceback

ERROR_LOG_LINE_TERMINATE = "\r"
ERROR_LOG_IDENT = "\u00a0"

_request_id: str | None = None


class FaultError(Exception):
    """A runtime fault (Runtime.* error type), as awslambdaric's FaultException."""

    def __init__(self, error_type: str, message: str, trace: list[str] | None = None):
        super().__init__(message)
        self.error_type = error_type
        self.message = message
        self.trace = trace


class Context:
    """The context object of the Python runtime (attribute names and types as awslambdaric's)."""

    def __init__(self, request: dict):
        self.aws_request_id = request["request_id"]
        self.log_group_name = os.environ.get("AWS_LAMBDA_LOG_GROUP_NAME")
        self.log_stream_name = request.get("log_stream_name")
        self.function_name = os.environ.get("AWS_LAMBDA_FUNCTION_NAME")
        # A string, as in the real runtime (it comes from the environment).
        self.memory_limit_in_mb = os.environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE")
        self.function_version = os.environ.get("AWS_LAMBDA_FUNCTION_VERSION")
        self.invoked_function_arn = request.get("invoked_function_arn")
        self.client_context = request.get("client_context")
        self.identity = request.get("identity")
        self.tenant_id = None
        self._deadline_ms = int(request["deadline_ms"])

    def get_remaining_time_in_millis(self) -> int:
        remaining = self._deadline_ms - int(time.time() * 1000)
        return remaining if remaining > 0 else 0

    def log(self, message) -> None:
        sys.stdout.write(str(message))

    def __repr__(self) -> str:
        return (
            f"LambdaContext([aws_request_id={self.aws_request_id},log_group_name={self.log_group_name},"
            f"log_stream_name={self.log_stream_name},function_name={self.function_name},"
            f"memory_limit_in_mb={self.memory_limit_in_mb},function_version={self.function_version},"
            f"invoked_function_arn={self.invoked_function_arn},client_context={self.client_context},"
            f"identity={self.identity},tenant_id={self.tenant_id}])"
        )


class _Encoder(json.JSONEncoder):
    """Decimals as numbers, as the runtime's simplejson marshaller writes them."""

    def default(self, o):
        if isinstance(o, decimal.Decimal):
            if o.is_nan():
                return math.nan
            return float(o) if o != o.to_integral_value() else int(o)
        return super().default(o)


class _RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.aws_request_id = _request_id or ""
        return True


class _StdoutHandler(logging.Handler):
    def emit(self, record: logging.LogRecord) -> None:
        sys.stdout.write(self.format(record))


def _setup_logging() -> None:
    """The runtime's root handler: ``[LEVEL]\\t<time>Z\\t<request id>\\t<message>``, root level WARNING."""
    logging.Formatter.converter = time.gmtime
    handler = _StdoutHandler()
    handler.setFormatter(
        logging.Formatter(
            "[%(levelname)s]\t%(asctime)s.%(msecs)03dZ\t%(aws_request_id)s\t%(message)s\n", "%Y-%m-%dT%H:%M:%S"
        )
    )
    handler.addFilter(_RequestIdFilter())
    logging.getLogger().addHandler(handler)


def _read_message(fd: int) -> dict | None:
    header = _read_exactly(fd, 4)
    if header is None:
        return None
    body = _read_exactly(fd, struct.unpack(">I", header)[0])
    return None if body is None else json.loads(body)


def _read_exactly(fd: int, size: int) -> bytes | None:
    chunks, remaining = [], size
    while remaining:
        chunk = os.read(fd, remaining)
        if not chunk:
            return None
        chunks.append(chunk)
        remaining -= len(chunk)
    return b"".join(chunks)


def _write_message(fd: int, message: dict) -> None:
    body = json.dumps(message).encode()
    data = struct.pack(">I", len(body)) + body
    while data:
        written = os.write(fd, data)
        data = data[written:]


def _load_handler(name: str):
    try:
        module_name, function_name = name.rsplit(".", 1)
    except ValueError as exc:
        raise FaultError("Runtime.MalformedHandlerName", f"Bad handler '{name}': {exc}")
    try:
        if module_name.split(".")[0] in sys.builtin_module_names:
            raise FaultError(
                "Runtime.BuiltInModuleConflict", f"Cannot use built-in module {module_name} as a handler module"
            )
        module = importlib.import_module(module_name.replace("/", "."))
    except ImportError as exc:
        raise FaultError("Runtime.ImportModuleError", f"Unable to import module '{module_name}': {exc}")
    except SyntaxError as exc:
        trace = [f'  File "{exc.filename}" Line {exc.lineno}\n    {exc.text}']
        raise FaultError("Runtime.UserCodeSyntaxError", f"Syntax error in module '{module_name}': {exc}", trace)
    try:
        return getattr(module, function_name)
    except AttributeError:
        raise FaultError("Runtime.HandlerNotFound", f"Handler '{function_name}' missing on module '{module_name}'")


def _error(message: str, error_type: str, trace: list[str] | None, request_id: str | None) -> dict:
    return {
        "errorMessage": message or "",
        "errorType": error_type or "",
        "requestId": request_id if request_id is not None else "",
        "stackTrace": trace or [],
    }


def _user_trace(tb) -> list[str]:
    """The traceback without this runtime's own frames (as the runtime drops bootstrap.py's)."""
    frames = traceback.extract_tb(tb)
    here = os.path.abspath(__file__)
    frames = [f for f in frames if os.path.abspath(f.filename) != here] or frames
    return traceback.format_list(frames)


def _log_error(error: dict) -> None:
    """The runtime's ``[ERROR] Type: message`` log entry, one event (lines joined by \\r)."""
    description = "[ERROR]"
    if error.get("errorType"):
        description += " " + error["errorType"]
    if error.get("errorMessage"):
        description += (":" if error.get("errorType") else "") + " " + error["errorMessage"]
    lines = [description]
    if error.get("stackTrace") is not None:
        lines.append("Traceback (most recent call last):")
        for element in error["stackTrace"]:
            for line in element.splitlines() or [""]:
                stripped = line.lstrip(" ")
                lines.append(ERROR_LOG_IDENT * (len(line) - len(stripped)) + stripped)
    sys.stdout.write(ERROR_LOG_LINE_TERMINATE.join(lines) + "\n")


def _redirect_output(log_path: str) -> None:
    sys.stdout.flush()
    sys.stderr.flush()
    fd = os.open(log_path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    os.dup2(fd, 1)
    os.dup2(fd, 2)
    os.close(fd)


def main(argv: list[str]) -> int:
    global _request_id
    task_dir, request_fd, result_fd = argv[1], int(argv[2]), int(argv[3])
    os.chdir(task_dir)
    sys.path.insert(0, task_dir)
    handler_name = os.environ.get("_HANDLER", "")
    _setup_logging()
    handler = None

    while True:
        request = _read_message(request_fd)
        if request is None:  # the emulator closed the pipe: the environment is shut down
            return 0
        _redirect_output(request["log_path"])
        _request_id = request["request_id"]
        os.environ["AWS_LAMBDA_LOG_STREAM_NAME"] = request.get("log_stream_name") or ""
        answer: dict = {"init_ms": None}
        try:
            if handler is None:
                started = time.monotonic()
                try:
                    handler = _load_handler(handler_name)
                finally:
                    answer["init_ms"] = (time.monotonic() - started) * 1000
            event = json.loads(request["payload"]) if request["payload"] else {}
            result = handler(event, Context(request))
            if isinstance(result, bytes):
                answer["payload"] = result.decode("latin-1")
                answer["binary"] = True
            else:
                try:
                    answer["payload"] = _Encoder().encode(result)
                except Exception as exc:
                    raise FaultError("Runtime.MarshalError", f"Unable to marshal response: {exc}")
        except FaultError as fault:
            # Errors of the init phase carry no request id, as in the real runtime.
            during_init = handler is None
            answer["error"] = _error(fault.message, fault.error_type, fault.trace, None if during_init else _request_id)
            answer["fatal"] = during_init
        except Exception:
            kind, value, tb = sys.exc_info()
            during_init = handler is None  # the module raised while being imported
            answer["error"] = _error(str(value), kind.__name__, _user_trace(tb), None if during_init else _request_id)
            answer["fatal"] = during_init
        if "error" in answer:
            _log_error(answer["error"])
        sys.stdout.flush()
        sys.stderr.flush()
        answer["max_memory_kb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        _write_message(result_fd, answer)
        if answer.get("fatal"):
            return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
