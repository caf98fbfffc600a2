"""Request ids, the access log, JSON lines and /metrics (docs/operations.md)."""

from __future__ import annotations

import io
import json
import logging
import re
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from prometheus_client import REGISTRY

from louise import create_app, logs
from louise.config import ConfigError, config_for_tests, load_config

HEX32 = re.compile(r"[0-9a-f]{32}")
METRICS_TOKEN = "scrape-me-" + "m" * 30


def access_records(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "louise.access"]


def sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


@pytest.fixture()
def root_logging() -> Iterator[None]:
    """Restore the root logger's handlers and level after a test that configures logging."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


# --- request ids ---------------------------------------------------------------------------


def test_a_sane_request_id_comes_back_unchanged(client):
    r = client.get("/healthz", headers={"X-Request-Id": "lb-4f1c.2026:ab_CD-9"})
    assert r.headers["X-Request-Id"] == "lb-4f1c.2026:ab_CD-9"


def test_an_error_answer_carries_the_request_id_too(client):
    r = client.get("/api/v1/merchants/999999", headers={"X-Request-Id": "trace-404"})
    assert r.status_code == 404
    assert r.headers["X-Request-Id"] == "trace-404"


def test_without_a_request_id_each_request_gets_a_fresh_one(client):
    first = client.get("/healthz").headers["X-Request-Id"]
    second = client.get("/healthz").headers["X-Request-Id"]
    assert HEX32.fullmatch(first) and HEX32.fullmatch(second)
    assert first != second


@pytest.mark.parametrize(
    "bad",
    [
        "x" * 129,  # too long
        "two words",
        "<script>alert(1)</script>",
        'id";drop',
        "-starts-with-a-dash",
        "zürich",
        "",
    ],
)
def test_a_malformed_request_id_is_replaced(client, bad):
    r = client.get("/healthz", headers={"X-Request-Id": bad})
    assert HEX32.fullmatch(r.headers["X-Request-Id"]), r.headers["X-Request-Id"]


# --- the access log and the log context ----------------------------------------------------


def test_one_access_line_per_request_with_the_id_and_no_query_string(client, caplog):
    caplog.set_level(logging.INFO)
    r = client.get(
        "/api/v1/offers?q=anna.schmidt@example.test&limit=5", headers={"X-Request-Id": "rid-1"}
    )
    assert r.status_code == 200
    [line] = access_records(caplog)
    assert line.request_id == "rid-1"
    assert (line.method, line.path, line.route, line.status) == (
        "GET",
        "/api/v1/offers",
        "/api/v1/offers",
        200,
    )
    assert isinstance(line.duration_ms, float) and line.duration_ms >= 0
    assert line.user_id is None
    assert "example.test" not in caplog.text and "limit=5" not in caplog.text


def test_the_access_line_names_the_user_id_but_not_the_token(
    client, caplog, make_user, auth_headers
):
    user = make_user("customer", email="erika.muster@example.test")
    headers = auth_headers(user)
    caplog.set_level(logging.INFO)
    r = client.get("/api/v1/me", headers=headers)
    assert r.status_code == 200
    [line] = access_records(caplog)
    assert line.user_id == str(user.id)
    token = headers["Authorization"].removeprefix("Bearer ")
    assert token not in caplog.text and "erika.muster" not in caplog.text


def test_a_tracking_token_in_the_path_is_masked(client, caplog):
    caplog.set_level(logging.INFO)
    client.get("/api/v1/track/very-secret-tracking-token-123")
    [line] = access_records(caplog)
    assert line.path == "/api/v1/track/***"
    assert line.route == "/api/v1/track/<string:token>"
    assert "very-secret-tracking-token-123" not in caplog.text


def test_every_line_logged_during_a_request_carries_its_id(client, caplog):
    caplog.set_level(logging.DEBUG)
    # a failed login writes its own lines (auth) before the access line
    client.post(
        "/api/v1/auth/login",
        json={"email": "nobody@example.test", "password": "wrong password 123"},
        headers={"X-Request-Id": "rid-login"},
    )
    during = [r for r in caplog.records if r.name.startswith("louise")]
    assert during, "the request wrote no lines"
    assert {r.request_id for r in during} == {"rid-login"}
    # outside a request the id is the placeholder, and the context is clean again
    logging.getLogger("louise.test").warning("after the request")
    assert caplog.records[-1].request_id == logs.NO_REQUEST
    assert logs.current_request_id() is None


def test_an_unhandled_error_is_logged_with_the_request_id(database_url, caplog):
    app = create_app({**config_for_tests(database_url), "PROPAGATE_EXCEPTIONS": False})

    @app.get("/boom")
    def boom() -> str:
        raise RuntimeError("kaputt")

    caplog.set_level(logging.INFO)
    r = app.test_client().get("/boom", headers={"X-Request-Id": "rid-boom"})
    assert r.status_code == 500 and r.json["error"] == "internal_error"
    assert r.headers["X-Request-Id"] == "rid-boom"
    errors = [rec for rec in caplog.records if rec.levelno >= logging.ERROR]
    assert errors and all(rec.request_id == "rid-boom" for rec in errors)
    assert any(rec.exc_info and "kaputt" in str(rec.exc_info[1]) for rec in errors)
    [line] = access_records(caplog)
    assert line.status == 500 and line.request_id == "rid-boom"


def test_json_format_writes_one_object_per_line(client, root_logging):
    stream = io.StringIO()
    logs.configure_logging("json", "INFO", stream=stream)
    client.get("/healthz", headers={"X-Request-Id": "rid-json"})
    [entry] = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert entry["request_id"] == "rid-json"
    assert entry["logger"] == "louise.access" and entry["level"] == "INFO"
    assert entry["message"] == "GET /healthz 200"
    assert (entry["method"], entry["path"], entry["status"]) == ("GET", "/healthz", 200)
    assert datetime.fromisoformat(entry["time"]).tzinfo is not None


def test_text_format_shows_the_id_in_brackets(client, root_logging):
    stream = io.StringIO()
    logs.configure_logging("text", "INFO", stream=stream)
    logs.configure_logging("text", "INFO", stream=stream)  # twice: still one handler
    client.get("/healthz", headers={"X-Request-Id": "rid-text"})
    [line] = stream.getvalue().splitlines()
    assert "INFO [rid-text] louise.access: GET /healthz 200" in line


def test_log_format_defaults_to_json_in_production_and_text_elsewhere(tmp_path):
    secret = {"SECRET_KEY": "s" * 40}
    assert load_config(str(tmp_path), {"LOUISE_ENV": "production", **secret})["LOG_FORMAT"] == (
        "json"
    )
    assert load_config(str(tmp_path), {"LOUISE_ENV": "development"})["LOG_FORMAT"] == "text"


def test_an_unknown_log_format_stops_the_start(tmp_path, monkeypatch):
    monkeypatch.setenv("LOUISE_LOG_FORMAT", "xml")
    with pytest.raises(ConfigError, match="LOUISE_LOG_FORMAT must be json or text"):
        load_config(str(tmp_path))


# --- /metrics ------------------------------------------------------------------------------


def test_metrics_do_not_exist_without_a_token_configured(client):
    r = client.get("/metrics")
    assert r.status_code == 404 and r.json["error"] == "not_found"


def test_metrics_refuse_a_wrong_or_missing_token(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "METRICS_TOKEN", METRICS_TOKEN)
    assert client.get("/metrics").status_code == 401
    r = client.get("/metrics", headers={"Authorization": "Bearer not-the-token"})
    assert r.status_code == 401 and r.json["error"] == "unauthorized"
    assert r.headers["WWW-Authenticate"].startswith("Bearer")


def test_metrics_label_latency_by_url_rule_not_raw_path(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "METRICS_TOKEN", METRICS_TOKEN)
    labels = {"route": "/api/v1/merchants/<int:merchant_id>", "method": "GET", "status": "4xx"}
    before = sample("louise_http_request_duration_seconds_count", **labels)
    assert client.get("/api/v1/merchants/987654321").status_code == 404
    assert client.get("/api/v1/merchants/987654322").status_code == 404
    assert sample("louise_http_request_duration_seconds_count", **labels) == before + 2
    r = client.get("/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"})
    assert r.status_code == 200 and r.content_type.startswith("text/plain")
    body = r.get_data(as_text=True)
    assert "louise_http_request_duration_seconds_bucket{" in body
    assert 'route="/api/v1/merchants/<int:merchant_id>"' in body
    assert "987654321" not in body  # the raw path never becomes a label


def test_metrics_count_bookings_created_by_channel(book, offers, make_user):
    before = sample("louise_bookings_created_total", channel="app")
    assert book(make_user("customer"), offers["product"]).status_code == 201
    assert sample("louise_bookings_created_total", channel="app") == before + 1
    # a refused booking is not counted
    assert book(make_user("customer"), 999999).status_code in (404, 422)
    assert sample("louise_bookings_created_total", channel="app") == before + 1


def _clock() -> datetime:
    return datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def test_metrics_count_plan_runs_planner_time_and_unassigned_legs(
    db_session, fleet, book, offers, make_user
):
    from louise.dispatch import service
    from tests.support.bookings import MONDAY
    from tests.support.dispatch import HOMES, HUB

    for lat, lon in HOMES[:2]:
        r = book(make_user("customer"), offers["product"], address={"lat": lat, "lon": lon})
        assert r.status_code == 201, r.json
    drafts = sample("louise_plan_runs_total", outcome="draft")
    failed = sample("louise_plan_runs_total", outcome="failed")
    solves = sample("louise_planner_wall_seconds_count")
    unassigned = sample("louise_plan_unassigned_legs_total")
    dispatcher = make_user("dispatcher")
    settings = service.PlanningSettings(hub=HUB, time_limit=0.5, threads=1)

    plan = service.request_plan(db_session, dispatcher, MONDAY, _clock())
    plan = service.run_plan(db_session, plan.id, settings, _clock)
    assert plan.status.value == "draft", plan.error
    assert sample("louise_plan_runs_total", outcome="draft") == drafts + 1
    assert sample("louise_planner_wall_seconds_count") == solves + 1
    assert sample("louise_planner_wall_seconds_sum") > 0
    assert sample("louise_plan_unassigned_legs_total") == unassigned + len(plan.unassigned)
    assert sample("louise_plan_last_unassigned_legs") == len(plan.unassigned)

    class DiskFull(Exception):
        pass

    def crashing_writer(*_args: object, **_kw: object) -> None:
        raise DiskFull("disk full")

    again = service.request_plan(db_session, dispatcher, MONDAY, _clock())
    with pytest.raises(DiskFull):
        service.run_plan(db_session, again.id, settings, _clock, stop_writer=crashing_writer)
    assert sample("louise_plan_runs_total", outcome="failed") == failed + 1
    assert sample("louise_plan_runs_total", outcome="draft") == drafts + 1


def test_an_early_refusal_still_answers_the_request_id(client, caplog):
    caplog.set_level(logging.INFO)
    r = client.post(
        "/api/v1/auth/login",
        data="email=a",
        headers={"Content-Type": "text/plain", "X-Request-Id": "rid-415"},
    )
    assert r.status_code == 415
    assert r.headers["X-Request-Id"] == "rid-415"
    [line] = access_records(caplog)
    assert (line.status, line.request_id) == (415, "rid-415")


def test_no_access_line_when_the_level_is_above_info(client, caplog):
    caplog.set_level(logging.WARNING)
    assert client.get("/healthz").headers["X-Request-Id"]
    assert access_records(caplog) == []


def test_a_line_break_in_the_path_cannot_forge_a_log_line(client, caplog):
    caplog.set_level(logging.INFO)
    client.get("/api/v1/nothing%0A2026-11-30 INFO [admin] louise.access: GET /ok 200")
    [line] = access_records(caplog)
    assert "\n" not in line.getMessage() and "\\n" in line.path
