"""The longer fuzzing run reads schemathesis' summary; this is the summary of a real run."""

from __future__ import annotations

from benchmarks.api.fuzz import _cases_from, _mismatches, demo_logins

SUMMARY = """\
Schema validation mismatch: 4 operations mostly rejected generated data due to validation \
errors, indicating schema constraints don't match API validation

  - GET /api/v1/merchants/{merchant_id}/offers
  - GET /api/v1/slots
  - POST /api/v1/bookings

💡 Check your schema constraints - API validation may be stricter than documented

=================================== SUMMARY ====================================

Test cases:
  214 generated, 214 passed

Seed: not used in the deterministic mode
"""


def test_the_summary_gives_cases_and_the_operations_that_refused_valid_data():
    assert _cases_from(SUMMARY) == 214
    assert _mismatches(SUMMARY) == [
        "GET /api/v1/merchants/{merchant_id}/offers",
        "GET /api/v1/slots",
        "POST /api/v1/bookings",
    ]
    assert _cases_from("no summary") == -1
    assert _mismatches("no summary") == []


def test_every_role_logs_in_with_a_demo_account():
    assert demo_logins() == {
        "customer": "anna.becker@louise.test",
        "merchant": "cobbler@louise.test",
        "courier": "jonas.nowak@louise.test",
        "dispatcher": "dispatch@louise.test",
        "admin": "admin@louise.test",
    }
