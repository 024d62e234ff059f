"""Command line: python -m emulator {start|stop|status|serve|url}."""

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
    args = parser.parse_args(argv)

    if args.command == "serve":
        from emulator.server import serve

        serve(args.state_dir, port=args.port)
        return 0
    if args.command == "start":
        try:
            url = control.start(args.state_dir)
        except control.EmulatorError as exc:
            print(f"emulator: {exc}", file=sys.stderr)
            return 1
        print(f"emulator: AWS emulator answering at {url} (stop it with `make down`)")
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
