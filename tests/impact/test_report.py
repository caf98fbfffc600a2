"""The city's monthly report: a PDF parsed back with pypdf (month, totals, factor sources),
German by default, English on request."""

from __future__ import annotations

import io

import pytest
from pypdf import PdfReader

from louise.impact.kpis import GroupBy, kpis
from louise.impact.ledger import build_ledger
from louise.impact.report_texts import number, percent
from tests.impact.test_ledger import SETTINGS
from tests.support.dispatch import MONDAY


def pdf_text(path) -> str:
    reader = PdfReader(io.BytesIO(path.read_bytes()))
    return "\n".join(page.extract_text() for page in reader.pages)


@pytest.fixture()
def built(db_session, published):
    build_ledger(db_session, MONDAY, SETTINGS)
    return published


def test_the_report_has_the_month_the_totals_and_the_sources(app, db_session, built, tmp_path):
    out = tmp_path / "bericht.pdf"
    result = app.test_cli_runner().invoke(
        args=["impact-report", "--month", "2026-11", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert result.output.startswith("impact report 2026-11 (de): ")
    text = pdf_text(out)
    total = kpis(db_session, MONDAY.replace(day=1), MONDAY.replace(day=30), GroupBy.MONTH).total
    f = total.figures
    assert "Wirkungsbericht November 2026" in text
    assert "Auf einen Blick" in text and "vermiedene Transporter-km" in text
    assert f"{number(f.bike_km, 1, 'de')}" in text  # e.g. 12,3
    assert number(f.van_km_avoided, 1, "de") in text
    assert number(f.co2e_avoided_kg, 1, "de") in text
    assert percent(f.on_time_rate, "de") in text or f.on_time_rate is None
    assert "Umweltbundesamt" in text and "ADAC" in text and "2023" in text
    assert "Emissionsfaktoren (Version" in text
    assert "Nach Stadtteil" in text and "Verlauf nach Kalenderwochen" in text


def test_the_report_in_english(app, built, tmp_path):
    out = tmp_path / "report.pdf"
    result = app.test_cli_runner().invoke(
        args=["impact-report", "--month", "2026-11", "--out", str(out), "--lang", "en"]
    )
    assert result.exit_code == 0, result.output
    text = pdf_text(out)
    assert "impact report November 2026" in text
    assert "At a glance" in text and "Van km avoided" in text and "By district" in text
    assert "Wirkungsbericht" not in text


def test_a_month_without_bookings_withholds_every_figure(app, db_session, tmp_path):
    out = tmp_path / "leer.pdf"
    result = app.test_cli_runner().invoke(
        args=["impact-report", "--month", "2026-02", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert "figures withheld" in result.output
    text = pdf_text(out)
    assert "Februar 2026" in text and "Standardfaktoren" in text


def test_a_bad_month_is_refused(app, tmp_path):
    result = app.test_cli_runner().invoke(
        args=["impact-report", "--month", "2026-13", "--out", str(tmp_path / "x.pdf")]
    )
    assert result.exit_code == 2 and "--month" in result.output
