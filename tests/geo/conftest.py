from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.geo.fake_nominatim import FakeNominatim, running_fake_nominatim


@pytest.fixture()
def fake_nominatim() -> Iterator[FakeNominatim]:
    with running_fake_nominatim() as fake:
        yield fake
