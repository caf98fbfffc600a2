"""The service skeleton: health, readiness, the one error shape, OpenAPI and offline docs."""

from __future__ import annotations

import pytest

from louise import create_app
from louise.config import ConfigError, config_for_tests, load_config


def _is_error_shape(body: dict, code: int) -> None:
    assert body["code"] == code
    assert isinstance(body["status"], str) and body["status"]
    assert isinstance(body["error"], str) and body["error"]
    assert isinstance(body["message"], str) and body["message"]


def test_healthz_is_alive(client):
    r = client.get("/healthz")
    assert r.status_code == 200 and r.json == {"status": "ok"}


def test_readyz_is_ready_with_a_database(client):
    r = client.get("/readyz")
    assert r.status_code == 200 and r.json == {"status": "ready"}


def test_readyz_answers_503_when_the_database_is_unreachable(tmp_path):
    unreachable = create_app(
        config_for_tests("postgresql+psycopg://nobody@127.0.0.1:1/none?connect_timeout=1")
    )
    r = unreachable.test_client().get("/readyz")
    assert r.status_code == 503
    _is_error_shape(r.json, 503)


def test_flask_404_uses_the_error_shape(client):
    r = client.get("/api/v1/does-not-exist")
    assert r.status_code == 404
    _is_error_shape(r.json, 404)


def test_flask_405_uses_the_error_shape(client):
    r = client.delete("/healthz")
    assert r.status_code == 405
    _is_error_shape(r.json, 405)


def test_validation_error_names_each_bad_field(client):
    r = client.post("/api/v1/auth/register", json={"email": "not-an-email", "password": 5})
    assert r.status_code == 422
    _is_error_shape(r.json, 422)
    assert set(r.json["errors"]["json"]) == {"email", "password", "name"}
    assert "email" in r.json["message"]


def test_invalid_json_body_is_a_400(client):
    r = client.post(
        "/api/v1/auth/register", data="{not json", headers={"Content-Type": "application/json"}
    )
    assert r.status_code == 400
    _is_error_shape(r.json, 400)


def test_non_json_body_is_a_415(client):
    r = client.post("/api/v1/auth/register", data="email=a@b.de", content_type="text/plain")
    assert r.status_code == 415
    _is_error_shape(r.json, 415)


def test_oversized_body_is_a_413(client, app):
    big = '{"name": "' + "x" * (app.config["MAX_CONTENT_LENGTH"] + 10) + '"}'
    r = client.post("/api/v1/auth/register", data=big, headers={"Content-Type": "application/json"})
    assert r.status_code == 413
    _is_error_shape(r.json, 413)


def test_unhandled_exception_is_a_json_500_without_internals(database_url):
    app = create_app(config_for_tests(database_url))
    app.config["PROPAGATE_EXCEPTIONS"] = False

    @app.get("/boom")
    def boom():
        raise RuntimeError("secret internals")

    r = app.test_client().get("/boom")
    assert r.status_code == 500
    _is_error_shape(r.json, 500)
    assert "secret" not in r.get_data(as_text=True)


def test_openapi_document_lists_the_error_shape_and_error_answers(client):
    spec = client.get("/api/openapi.json").json
    assert spec["openapi"].startswith("3.")
    assert {"code", "status", "error", "message", "errors"} <= set(
        spec["components"]["schemas"]["Error"]["properties"]
    )
    login = spec["paths"]["/api/v1/auth/login"]["post"]
    assert {"401", "422"} <= set(login["responses"])
    for path, item in spec["paths"].items():
        for method, op in item.items():
            if method == "parameters":
                continue
            assert op.get("summary"), f"{method.upper()} {path} has no summary"
            assert "default" in op["responses"] or any(
                c.startswith(("4", "5")) for c in op["responses"]
            ), f"{method.upper()} {path} documents no error"


def test_interactive_docs_work_offline(client):
    page = client.get("/api/docs")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "http://" not in html.replace("http://localhost", "") or "cdn" not in html
    assert "/api/docs/static/swagger-ui-bundle.js" in html
    for asset in ("swagger-ui-bundle.js", "swagger-ui.css", "swagger-ui-standalone-preset.js"):
        r = client.get(f"/api/docs/static/{asset}")
        assert r.status_code == 200 and len(r.data) > 1000
        r.close()


def test_production_refuses_to_start_without_a_secret(monkeypatch, tmp_path):
    monkeypatch.delenv("LOUISE_SECRET_KEY", raising=False)
    monkeypatch.setenv("LOUISE_ENV", "production")
    with pytest.raises(ConfigError, match="LOUISE_SECRET_KEY"):
        load_config(str(tmp_path))


def test_production_refuses_a_weak_secret(monkeypatch, tmp_path):
    monkeypatch.setenv("LOUISE_ENV", "production")
    monkeypatch.setenv("LOUISE_SECRET_KEY", "changeme")
    with pytest.raises(ConfigError, match="too short"):
        load_config(str(tmp_path))


def test_development_generates_a_random_secret(monkeypatch, tmp_path):
    monkeypatch.delenv("LOUISE_SECRET_KEY", raising=False)
    monkeypatch.setenv("LOUISE_ENV", "development")
    a, b = load_config(str(tmp_path)), load_config(str(tmp_path))
    assert len(a["SECRET_KEY"]) >= 32 and a["SECRET_KEY"] != b["SECRET_KEY"]


def test_database_url_defaults_to_sqlite_in_the_instance_folder(monkeypatch, tmp_path):
    monkeypatch.delenv("LOUISE_DATABASE_URL", raising=False)
    cfg = load_config(str(tmp_path))
    assert cfg["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path}/louise.sqlite3"
