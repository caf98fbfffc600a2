"""Real gunicorn with two workers: /metrics sums every worker's counts in multiprocess mode
(``PROMETHEUS_MULTIPROC_DIR``), and each worker writes JSON access lines with request ids."""

from __future__ import annotations

import json
import re
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from tests.bookings.server import fresh_database, gunicorn

TOKEN = "metrics-" + "t" * 32
REQUESTS = 30


@pytest.mark.slow
def test_two_gunicorn_workers_are_counted_together_and_log_json(tmp_path):
    prom_dir = tmp_path / "prometheus"
    prom_dir.mkdir()
    env = {
        "PROMETHEUS_MULTIPROC_DIR": str(prom_dir),
        "LOUISE_METRICS_TOKEN": TOKEN,
        "LOUISE_LOG_FORMAT": "json",
    }
    log_path = tmp_path / "gunicorn.log"
    with fresh_database(tmp_path) as url, gunicorn(url, log_path, workers=2, env=env) as base:

        def probe(n: int) -> str:
            # a new connection each time, six at once: both workers are kept busy
            r = requests.get(f"{base}/readyz", headers={"X-Request-Id": f"scrape-{n}"}, timeout=30)
            assert r.status_code == 200
            return r.headers["X-Request-Id"]

        with ThreadPoolExecutor(max_workers=6) as pool:
            ids = list(pool.map(probe, range(REQUESTS)))
        assert ids == [f"scrape-{n}" for n in range(REQUESTS)]
        assert requests.get(f"{base}/metrics", timeout=30).status_code == 401
        r = requests.get(
            f"{base}/metrics", headers={"Authorization": f"Bearer {TOKEN}"}, timeout=30
        )
        assert r.status_code == 200, r.text
    count = re.search(
        r'^louise_http_request_duration_seconds_count\{method="GET",route="/readyz",'
        r'status="2xx"\} (\S+)$',
        r.text,
        re.MULTILINE,
    )
    assert count is not None, r.text[:2000]
    assert float(count.group(1)) == REQUESTS  # every worker's requests, not one worker's
    entries = [
        json.loads(line)
        for line in log_path.read_text(errors="replace").splitlines()
        if line.startswith("{")
    ]
    readyz = [e for e in entries if e.get("logger") == "louise.access" and e["path"] == "/readyz"]
    assert sorted(e["request_id"] for e in readyz) == sorted(ids)
    assert {e["status"] for e in readyz} == {200}
    workers = {p.name.rsplit("_", 1)[-1] for p in prom_dir.glob("histogram_*.db")}
    assert len(workers) == 2, workers  # both workers answered and wrote their values
