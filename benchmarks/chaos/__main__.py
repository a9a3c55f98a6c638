"""`make chaos`: drive returns through the HTTP API of one process per service while killing
processes (SIGKILL) and restarting them, then check that nothing was lost, doubled, stuck or
over the cap.

Usage: python -m benchmarks.chaos [--mode services|broker|api|cluster|all] [--returns N] ...
"""

from __future__ import annotations

import argparse
import asyncio
import atexit
import logging
import signal
import sys
from collections import defaultdict
from types import FrameType

from benchmarks.chaos.processes import kill_everything
from benchmarks.chaos.run import MODES, Options, Result, Run


def parse(argv: list[str]) -> tuple[list[str], Options]:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.chaos", description=__doc__)
    parser.add_argument("--mode", choices=[*MODES, "all"], default="services")
    parser.add_argument("--returns", type=int, default=500, help="cases to register")
    parser.add_argument("--clients", type=int, default=8, help="concurrent HTTP clients")
    parser.add_argument(
        "--kill-every", default="1.5-3.5", help="seconds between kills, random in LOW-HIGH"
    )
    parser.add_argument("--min-kills", type=int, default=20, help="kill at least this often")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--drain-timeout", type=float, default=180.0, help="seconds")
    parser.add_argument("--load-timeout", type=float, default=1800.0, help="seconds")
    parser.add_argument(
        "--start-timeout",
        type=float,
        default=300.0,
        help="seconds the API process may take to answer /health (longer on a loaded machine)",
    )
    parser.add_argument(
        "--postgres",
        metavar="URL",
        help="a PostgreSQL server on 127.0.0.1 (e.g. postgresql://postgres@127.0.0.1:5432/postgres):"
        " a fresh database is created for each run, shared by the services",
    )
    parser.add_argument(
        "--keep", action="store_true", help="keep the data directory even when the run passes"
    )
    args = parser.parse_args(argv)
    low, _, high = args.kill_every.partition("-")
    kill_every = (float(low), float(high or low))
    if not 0 < kill_every[0] <= kill_every[1]:
        parser.error("--kill-every: LOW-HIGH seconds, 0 < LOW <= HIGH")
    if args.returns < 1 or args.clients < 1 or args.min_kills < 0:
        parser.error("--returns and --clients must be positive, --min-kills not negative")
    modes = list(MODES) if args.mode == "all" else [args.mode]
    return modes, Options(
        returns=args.returns,
        clients=args.clients,
        kill_every=kill_every,
        min_kills=args.min_kills,
        seed=args.seed,
        drain_timeout=args.drain_timeout,
        load_timeout=args.load_timeout,
        start_timeout=args.start_timeout,
        postgres=args.postgres,
        keep=args.keep,
    )


def say(message: str) -> None:
    print(message, flush=True)


def print_result(result: Result) -> None:
    verdict = "PASSED" if result.passed else "FAILED"
    kills = ", ".join(f"{n} x{k}" for n, k in sorted(result.kills.items())) or "none"
    say(
        f"\n=== mode {result.mode}: {verdict} in {result.seconds:.0f}s (load {result.load_seconds:.0f}s)"
    )
    say(f"kills: {kills}")
    for name, value in sorted(result.counts.items()):
        say(f"  client: {name}: {value}")
    for reason, value in sorted(result.rejections.items()):
        say(f"  client: commitments refused ({reason}): {value}")
    width = max((len(k) for k in result.figures), default=10)
    for name, value in result.figures.items():
        say(f"  {name.ljust(width)}  {value}")
    say(f"  API /health after the drain: {result.health}")
    if result.exit_codes:
        odd = {n: c for n, c in result.exit_codes.items() if c not in (0, None)}
        say(f"  exit codes on SIGTERM at the end: {odd or 'all 0'}")
    if result.problems:
        grouped: dict[str, list[str]] = defaultdict(list)
        for p in result.problems:
            grouped[p.kind].append(p.what)
        for kind, whats in grouped.items():
            say(f"  {kind.upper()} ({len(whats)}):")
            for what in whats[:25]:
                say(f"    - {what}")
            if len(whats) > 25:
                say(f"    ... and {len(whats) - 25} more")
    if result.data_dir is not None:
        say(f"  data, logs and databases kept in {result.data_dir}")


def print_summary(results: list[Result]) -> None:
    names = list(dict.fromkeys(k for r in results for k in r.figures))
    width = max((len(n) for n in names), default=10)
    say("\n" + "figure".ljust(width) + "".join(f"  {r.mode:>9}" for r in results))
    say("kills".ljust(width) + "".join(f"  {sum(r.kills.values()):>9}" for r in results))
    for name in names:
        say(name.ljust(width) + "".join(f"  {r.figures.get(name, '-'):>9}" for r in results))
    say("result".ljust(width) + "".join(f"  {'pass' if r.passed else 'FAIL':>9}" for r in results))


def _terminate(signum: int, _frame: FrameType | None) -> None:
    raise SystemExit(128 + signum)


async def main(modes: list[str], options: Options) -> list[Result]:
    results = []
    for mode in modes:
        result = await Run(mode, options, say).execute()
        print_result(result)
        results.append(result)
    return results


def cli(argv: list[str] | None = None) -> int:
    modes, options = parse(sys.argv[1:] if argv is None else argv)
    logging.basicConfig(
        level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    atexit.register(kill_everything)
    signal.signal(signal.SIGTERM, _terminate)
    try:
        results = asyncio.run(main(modes, options))
    except KeyboardInterrupt:
        say("interrupted: every process of the run is killed")
        kill_everything()
        return 130
    if len(results) > 1:
        print_summary(results)
    failed = [r.mode for r in results if not r.passed]
    say(f"\nchaos: {'FAILED in ' + ', '.join(failed) if failed else 'passed'}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(cli())
