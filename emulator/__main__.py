"""Command line: python -m emulator {start|stop|status|serve|reset} [--profile aws ...]."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from emulator import control


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m emulator", description=__doc__)
    parser.add_argument("command", choices=["start", "stop", "status", "serve", "reset"])
    parser.add_argument("--state-dir", type=Path, default=control.DEFAULT_STATE_DIR)
    parser.add_argument("--port", type=int, default=0, help="serve only; 0 picks a free port")
    behaviour = parser.add_argument_group("behaviour profile (start only; see emulator/profile.py)")
    behaviour.add_argument("--profile", choices=["default", "aws"], default=None,
                           help="aws: AWS's latency, transitional states, propagation, rules and faults")
    behaviour.add_argument("--seed", type=int, help="seed of the profile's random choices (jitter, faults)")
    behaviour.add_argument("--time-scale", type=float, help="AWS seconds per real second (default 60)")
    behaviour.add_argument("--latency-ms", type=float, help="added to every AWS call")
    behaviour.add_argument("--jitter", type=float, help="latency spread, a fraction (default 0.2)")
    behaviour.add_argument("--throttle-rate", type=float, help="share of calls answered with a throttling error")
    behaviour.add_argument("--error-rate", type=float, help="share of calls answered with a 5xx")
    args = parser.parse_args(argv)
    settings = {
        key: value
        for key, value in (
            ("name", args.profile),
            ("seed", args.seed),
            ("time_scale", args.time_scale),
            ("latency_ms", args.latency_ms),
            ("jitter", args.jitter),
            ("throttle_rate", args.throttle_rate),
            ("error_rate", args.error_rate),
        )
        if value is not None
    }

    if args.command == "serve":
        from emulator.server import serve

        serve(args.state_dir, port=args.port)
        return 0
    if args.command == "start":
        try:
            url = control.start(args.state_dir, settings=settings or None)
        except control.EmulatorError as exc:
            print(f"emulator: {exc}", file=sys.stderr)
            return 1
        active = control.get_profile(url)
        print(f"emulator: AWS emulator answering at {url}, profile {active['name']} (stop it with `make down`)")
        return 0
    if args.command == "stop":
        stopped = control.stop(args.state_dir)
        print("emulator: stopped" if stopped else "emulator: was not running")
        return 0
    url = control.current_url(args.state_dir)
    if args.command == "reset" and url:
        control.reset(url)
        print(f"emulator: reset {url}")
        return 0
    if url:
        print(f"emulator: running at {url}")
        return 0
    print("emulator: not running (start it with `make up`)", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
