"""Swagger UI at /api/docs in headless Chromium, served over HTTP with its real headers: it
renders, runs a request, and the browser reports no Content-Security-Policy violation."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask import Flask
from werkzeug.serving import make_server

from louise import create_app
from louise.config import config_for_tests
from louise.extensions import db

TRY_OFFERS = """
(async () => {
  const pause = (ms) => new Promise((done) => setTimeout(done, ms));
  const find = async (root, selector) => {
    for (let i = 0; i < 50; i++) {
      const found = root.querySelector(selector);
      if (found) return found;
      await pause(100);
    }
    throw new Error('not found: ' + selector);
  };
  const block = await find(document, '#operations-merchants-get_api_v1_offers');
  (await find(block, '.opblock-summary-control')).click();
  (await find(block, '.try-out__btn')).click();
  (await find(block, '.execute')).click();
  const status = '.live-responses-table tr.response .response-col_status';
  return (await find(block, status)).textContent.trim();
})()
"""


@pytest.fixture()
def live_server(database_url: str) -> Iterator[str]:
    """The app on a loopback port, in a thread (one page load: no gunicorn needed)."""
    app: Flask = create_app(config_for_tests(database_url))
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=10)
    server.server_close()
    db.engine_for(app).dispose()


def _wait_for(browser: Any, expression: str, timeout: float = 20) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = browser.evaluate(expression)
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"never true: {expression}")


@pytest.mark.slow
def test_swagger_ui_works_under_its_csp_in_chromium(
    chromium: Callable[[], Any], live_server: str
) -> None:
    browser = chromium()
    browser.open(f"{live_server}/api/docs")
    operations = _wait_for(browser, "document.querySelectorAll('.opblock').length")
    assert operations > 50
    assert browser.evaluate("document.querySelector('.info .title').textContent").startswith(
        "louise"
    )
    ran = browser.call(
        "Runtime.evaluate", {"expression": TRY_OFFERS, "awaitPromise": True, "returnByValue": True}
    )
    assert ran["result"]["value"] == "200"
    browser.evaluate("document.querySelector('.btn.authorize').click()")
    _wait_for(browser, "!!document.querySelector('.modal-ux')")
    # CSP violations are console errors in Chromium ("Refused to ...", "violates ..."): none
    assert browser.errors() == []
