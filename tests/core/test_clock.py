"""``LOUISE_CLOCK`` fixes the app's clock (for a demo on a chosen day); a bad value stops the
app at start with a message naming the setting."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from louise import clock, create_app
from louise.config import ConfigError, config_for_tests, load_config


def test_a_fixed_clock_answers_its_instant_in_utc(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LOUISE_CLOCK", "2026-12-01T10:00:00+01:00")
    assert clock.now() == datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
    assert clock.now().utcoffset() == timedelta(0)
    monkeypatch.setenv("LOUISE_CLOCK", "2026-07-01T16:30:00Z")
    assert clock.now() == datetime(2026, 7, 1, 16, 30, tzinfo=UTC)


def test_without_the_setting_the_clock_is_the_real_time(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LOUISE_CLOCK", raising=False)
    before = datetime.now(UTC)
    moment = clock.now()
    assert before <= moment <= datetime.now(UTC)
    monkeypatch.setenv("LOUISE_CLOCK", "")
    assert before <= clock.now() <= datetime.now(UTC)


def test_the_config_shows_the_fixed_clock(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    monkeypatch.setenv("LOUISE_CLOCK", "2026-12-01T10:00:00+01:00")
    assert load_config(str(tmp_path))["CLOCK"] == datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
    monkeypatch.delenv("LOUISE_CLOCK")
    assert load_config(str(tmp_path))["CLOCK"] is None


@pytest.mark.parametrize(
    "raw",
    [
        "tomorrow",
        "2026-12-01",  # a day, not an instant
        "2026-12-01T10:00:00",  # no offset: ambiguous
        "2026-13-01T10:00:00+01:00",
        "01.12.2026 10:00",
    ],
)
def test_a_bad_clock_stops_the_app_at_start(
    monkeypatch: pytest.MonkeyPatch, tmp_path, raw: str
) -> None:
    monkeypatch.setenv("LOUISE_CLOCK", raw)
    with pytest.raises(ConfigError, match=r"LOUISE_CLOCK .*2026-12-01T10:00:00\+01:00"):
        load_config(str(tmp_path))
    with pytest.raises(ConfigError, match="LOUISE_CLOCK"):
        create_app(config_for_tests(f"sqlite:///{tmp_path}/x.sqlite3"))
