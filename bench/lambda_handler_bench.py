"""Micro-benchmark: the Lambda handler (files/lambda/processor.py) in-process against moto.

    python -m bench.lambda_handler_bench [--seconds 1.5] [--url http://127.0.0.1:PORT] [--json out.json]

Starts a private emulator (or uses --url), creates a bucket and a table with unique names,
then calls the handler as Lambda would, for a bounded time per event kind, and prints
events per second and latency percentiles. The numbers measure the handler plus the moto
server round trips on this machine (one HTTP call per API event, two per S3 event), not AWS.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import json
import os
import statistics
import sys
import tempfile
import threading
import time
import types
import uuid
from pathlib import Path
from urllib.parse import quote_plus

REPO_ROOT = Path(__file__).resolve().parent.parent
PROCESSOR_PATH = REPO_ROOT / "files" / "lambda" / "processor.py"
REGION = "us-west-2"

# Never reach real AWS, whatever the caller's environment holds.
SAFE_ENV = {
    "AWS_ACCESS_KEY_ID": "tap-emulator",
    "AWS_SECRET_ACCESS_KEY": "tap-emulator-key",
    "AWS_CONFIG_FILE": "/dev/null",
    "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
    "AWS_EC2_METADATA_DISABLED": "true",
}


@contextlib.contextmanager
def emulator(url: str | None):
    if url:
        yield url
        return
    sys.path.insert(0, str(REPO_ROOT))
    from emulator import control

    with tempfile.TemporaryDirectory(prefix="tap-bench-lambda-") as state_dir, control.running(Path(state_dir)) as u:
        # control.stop() polls the pid until it disappears; the server is our child, so reap it
        # or its zombie keeps the pid alive until stop()'s 10 s timeout.
        pid = int((Path(state_dir) / "pid").read_text())

        def reap():
            with contextlib.suppress(ChildProcessError, OSError):
                os.waitpid(pid, 0)

        threading.Thread(target=reap, daemon=True).start()
        yield u


def load_processor():
    spec = importlib.util.spec_from_file_location("tap_lambda_processor_bench", PROCESSOR_PATH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def s3_event(bucket: str, key: str) -> dict:
    return {"Records": [{
        "eventVersion": "2.1", "eventSource": "aws:s3", "awsRegion": REGION, "eventName": "ObjectCreated:Put",
        "s3": {"bucket": {"name": bucket}, "object": {"key": quote_plus(key, safe="/"), "size": 1024}},
    }]}


def api_event(body: str) -> dict:
    return {
        "version": "2.0", "routeKey": "POST /process", "rawPath": "/bench/process", "isBase64Encoded": False,
        "requestContext": {"http": {"method": "POST", "path": "/bench/process"}, "stage": "bench"},
        "body": body,
    }


def measure(name: str, handler, events: list, seconds: float) -> dict:
    latencies, count, started = [], 0, time.perf_counter()
    deadline = started + seconds
    while True:
        event = events[count % len(events)]
        t0 = time.perf_counter()
        result = handler(event, types.SimpleNamespace(aws_request_id=str(uuid.uuid4())))
        latencies.append(time.perf_counter() - t0)
        count += 1
        if result.get("statusCode") not in (200, 400):
            raise RuntimeError(f"{name}: unexpected result {result}")
        if time.perf_counter() >= deadline:
            break
    elapsed = time.perf_counter() - started
    latencies.sort()
    return {
        "kind": name,
        "events": count,
        "seconds": round(elapsed, 3),
        "events_per_second": round(count / elapsed, 1),
        "p50_ms": round(statistics.median(latencies) * 1000, 2),
        "p95_ms": round(latencies[min(len(latencies) - 1, int(len(latencies) * 0.95))] * 1000, 2),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.lambda_handler_bench", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=1.5, help="measuring time per event kind (default 1.5)")
    parser.add_argument("--url", help="use this running emulator instead of starting a private one")
    parser.add_argument("--json", type=Path, help="also write the results to this file")
    args = parser.parse_args(argv)

    os.environ.update(SAFE_ENV)
    os.environ.pop("AWS_PROFILE", None)
    os.environ.pop("AWS_SESSION_TOKEN", None)
    suffix = uuid.uuid4().hex[:8]
    bucket, table = f"tap-bench-lambda-{suffix}", f"sessions-bench-{suffix}"

    with emulator(args.url) as url:
        import boto3

        os.environ.update(AWS_ENDPOINT_URL=url, AWS_REGION=REGION, AWS_DEFAULT_REGION=REGION, REGION=REGION,
                          TABLE_NAME=table, BUCKET_NAME=bucket, ENVIRONMENT="bench", LOG_LEVEL="WARNING")
        s3 = boto3.client("s3", region_name=REGION)
        ddb = boto3.client("dynamodb", region_name=REGION)
        s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": REGION})
        ddb.create_table(
            TableName=table, BillingMode="PAY_PER_REQUEST",
            AttributeDefinitions=[{"AttributeName": "session_id", "AttributeType": "S"}],
            KeySchema=[{"AttributeName": "session_id", "KeyType": "HASH"}],
        )
        keys = [f"bench/session {i} é.json" for i in range(20)]
        for key in keys:
            s3.put_object(Bucket=bucket, Key=key, Body=json.dumps({"n": key}).encode().ljust(1024))

        processor = load_processor()  # LOG_LEVEL=WARNING: the per-event INFO lines are not measured
        processor._reset_clients()
        for key in keys:  # warm-up: clients, connections, and every key stored once
            processor.handler(s3_event(bucket, key), types.SimpleNamespace(aws_request_id="warm-up"))

        results = [
            measure("s3 (GetObject + PutItem)", processor.handler, [s3_event(bucket, k) for k in keys], args.seconds),
            measure("api 200 (GetItem)", processor.handler,
                    [api_event(json.dumps({"session_id": k})) for k in keys], args.seconds),
            measure("api 400 (no AWS call)", processor.handler, [api_event("{not json")], min(args.seconds, 0.5)),
        ]

    print(f"Lambda handler in-process against moto ({url}), {args.seconds:g} s per kind")
    print(f"{'event kind':<28}{'events':>8}{'events/s':>10}{'p50 ms':>9}{'p95 ms':>9}")
    for r in results:
        print(f"{r['kind']:<28}{r['events']:>8}{r['events_per_second']:>10}{r['p50_ms']:>9}{r['p95_ms']:>9}")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
