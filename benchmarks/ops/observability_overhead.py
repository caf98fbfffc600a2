"""What request ids, the access line and the latency histogram cost per request.

    python -m benchmarks.ops.observability_overhead            # 5000 requests per variant
    python -m benchmarks.ops.observability_overhead --requests 20000

In one process, through Flask's test client (no network, no gunicorn), ``GET /healthz`` is
answered by the same app twice: with louise's observability hooks (``louise/observability.py``)
and JSON access lines written to /dev/null, and with those hooks removed. The difference is
the hooks' cost per request; everything printed is measured. ``--log-format text`` and
``--log-level WARNING`` (no access lines) show which part costs what.
"""

from __future__ import annotations

import argparse
import logging
import statistics
import tempfile
import time
from pathlib import Path

from louise import create_app, logs
from louise.config import config_for_tests


def _per_request_us(client: object, n: int, rounds: int) -> list[float]:
    results = []
    for _ in range(rounds):
        started = time.perf_counter()
        for _ in range(n):
            client.get("/healthz")  # type: ignore[attr-defined]
        results.append((time.perf_counter() - started) / n * 1e6)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=5000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--log-format", choices=logs.LOG_FORMATS, default="json")
    parser.add_argument("--log-level", default="INFO", help="WARNING: no access lines")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp, open("/dev/null", "w") as devnull:
        url = f"sqlite:///{Path(tmp) / 'bench.sqlite3'}"
        logs.configure_logging(args.log_format, args.log_level, stream=devnull)
        with_hooks = create_app(config_for_tests(url))
        bare = create_app(config_for_tests(url))
        ours = {"_start_request", "_finish_request", "_end_request"}
        for funcs in (
            bare.before_request_funcs,
            bare.after_request_funcs,
            bare.teardown_request_funcs,
        ):
            funcs[None] = [f for f in funcs.get(None, []) if f.__name__ not in ours]

        for app in (with_hooks, bare):  # warm up
            _per_request_us(app.test_client(), 500, 1)
        hooked: list[float] = []
        plain: list[float] = []
        hooked_client, plain_client = with_hooks.test_client(), bare.test_client()
        for _ in range(args.rounds):  # alternating, so a busy moment hits both alike
            hooked += _per_request_us(hooked_client, args.requests, 1)
            plain += _per_request_us(plain_client, args.requests, 1)
        logging.getLogger().handlers.clear()

    med_hooked, med_plain = statistics.median(hooked), statistics.median(plain)
    print(
        f"GET /healthz, {args.requests} requests x {args.rounds} rounds, test client, "
        f"log format {args.log_format}, level {args.log_level}"
    )
    rounds = {name: ", ".join(f"{x:.0f}" for x in xs) for name, xs in (("h", hooked), ("p", plain))}
    print(f"  with observability : median {med_hooked:7.1f} us/request  (rounds {rounds['h']})")
    print(f"  hooks removed      : median {med_plain:7.1f} us/request  (rounds {rounds['p']})")
    print(
        f"  overhead           : {med_hooked - med_plain:7.1f} us/request "
        f"({(med_hooked / med_plain - 1) * 100:.0f} %)"
    )


if __name__ == "__main__":
    main()
