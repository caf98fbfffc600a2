"""What a rate limit costs per request: ``POST /api/v1/auth/login`` (two limits: account and
address) answered 422 before any password check, in-process through Flask's test client, with
the limits off, in memory, in Redis and with Redis down (fail open). Prints measured numbers.

    python -m benchmarks.security.ratelimit [--requests 3000] [--redis redis://127.0.0.1:6379/0]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from louise import create_app
from louise.config import config_for_tests

NOBODY_LISTENS = "redis://127.0.0.1:6390/0"
BODY = {"email": "bench@example.test"}  # no password: 422 after the limits, before argon2


def _timings(settings: dict[str, Any], requests: int) -> list[float]:
    with tempfile.TemporaryDirectory() as tmp:
        config = config_for_tests(f"sqlite:///{Path(tmp) / 'unused.sqlite3'}")
        config.update(
            {
                "RATELIMIT_LOGIN_ACCOUNT": "1000000/minute",  # measured, never reached
                "RATELIMIT_LOGIN_IP": "1000000/minute",
                **settings,
            }
        )
        client = create_app(config).test_client()
        for _ in range(50):  # warm up (imports, first connection)
            client.post("/api/v1/auth/login", json=BODY)
        times = []
        for _ in range(requests):
            start = time.perf_counter()
            response = client.post("/api/v1/auth/login", json=BODY)
            times.append(time.perf_counter() - start)
            assert response.status_code == 422, response.json
        return times


def _row(name: str, times: list[float], base: float | None) -> str:
    ordered = sorted(times)
    p50 = statistics.median(ordered) * 1e6
    p99 = ordered[int(len(ordered) * 0.99) - 1] * 1e6
    extra = f"{p50 - base:+8.0f}" if base is not None else "       —"
    return f"| {name:<28} | {p50:8.0f} | {p99:8.0f} | {extra} |"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/0")
    args = parser.parse_args()
    prefix = f"louise-bench-{uuid.uuid4().hex[:8]}"
    cases = [
        ("limits off", {"RATELIMIT_ENABLED": False}),
        ("memory://", {"RATELIMIT_ENABLED": True, "RATELIMIT_STORAGE_URI": "memory://"}),
        (
            "Redis (moving-window)",
            {
                "RATELIMIT_ENABLED": True,
                "RATELIMIT_STORAGE_URI": args.redis,
                "RATELIMIT_KEY_PREFIX": prefix,
            },
        ),
        (
            "Redis, fixed-window",
            {
                "RATELIMIT_ENABLED": True,
                "RATELIMIT_STORAGE_URI": args.redis,
                "RATELIMIT_KEY_PREFIX": prefix,
                "RATELIMIT_STRATEGY": "fixed-window",
            },
        ),
        (
            "Redis down (fail open)",
            {"RATELIMIT_ENABLED": True, "RATELIMIT_STORAGE_URI": NOBODY_LISTENS},
        ),
    ]
    print(f"POST /api/v1/auth/login (422), {args.requests} requests each, in-process, µs")
    print("| storage | p50 | p99 | p50 vs off |")
    print("| --- | ---: | ---: | ---: |")
    base = None
    try:
        for name, settings in cases:
            times = _timings(settings, args.requests)
            print(_row(name, times, base), flush=True)
            if base is None:
                base = statistics.median(times) * 1e6
    finally:
        import redis

        connection = redis.Redis.from_url(args.redis)
        keys = list(connection.scan_iter(match=f"*{prefix}*"))
        if keys:
            connection.delete(*keys)
        connection.close()


if __name__ == "__main__":
    main()
