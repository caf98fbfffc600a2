"""The OpenAPI document describes every shop and offer endpoint."""

from __future__ import annotations

from flask.testing import FlaskClient

WRITES = {
    ("/api/v1/merchants", "post"),
    ("/api/v1/merchants/{merchant_id}", "patch"),
    ("/api/v1/merchants/{merchant_id}/opening-hours", "put"),
    ("/api/v1/merchants/{merchant_id}/exceptions", "post"),
    ("/api/v1/merchants/{merchant_id}/exceptions/{exception_id}", "delete"),
    ("/api/v1/merchants/{merchant_id}/offers", "post"),
    ("/api/v1/offers/{offer_id}", "patch"),
    ("/api/v1/offers/{offer_id}", "delete"),
}


def test_every_endpoint_has_a_summary_and_writes_document_401_and_403(
    client: FlaskClient,
) -> None:
    paths = client.get("/api/openapi.json").get_json()["paths"]
    ours = {
        (path, method): op
        for path, ops in paths.items()
        if path.startswith(("/api/v1/merchants", "/api/v1/offers"))
        for method, op in ops.items()
        if method in {"get", "post", "put", "patch", "delete"}
    }

    assert len(ours) == 15  # with the shop's month of impact (louise/impact/shop_api.py)
    assert all(op.get("summary") for op in ours.values())
    for key in WRITES:
        assert {"401", "403"} <= set(ours[key]["responses"]), key
        assert ours[key]["security"] == [{"bearerAuth": []}]
    assert "409" in ours[("/api/v1/merchants", "post")]["responses"]
    assert "404" in ours[("/api/v1/offers/{offer_id}", "patch")]["responses"]
    assert "security" not in ours[("/api/v1/offers", "get")]
    impact = ours[("/api/v1/merchants/{merchant_id}/impact", "get")]
    assert impact["security"] == [{"bearerAuth": []}]
    assert {"200", "401", "403", "404", "422"} <= set(impact["responses"])
    assert [p["name"] for p in impact["parameters"] if p["in"] == "query"] == ["month"]
