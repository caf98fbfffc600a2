"""Flask-side access to the app's geocoder and service area, for any blueprint's views.

Services never import this module; views call ``get_geocoder()`` / ``get_service_area()`` and
pass the results to ``louise.geo.service.resolve_address``. Tests may put their own geocoder
into ``app.extensions["louise.geocoder"]``.
"""

from __future__ import annotations

from flask import current_app

from louise.geo.geocoders import (
    Geocoder,
    ServiceArea,
    geocoder_from_config,
    service_area_from_config,
)

GEOCODER_KEY = "louise.geocoder"
SERVICE_AREA_KEY = "louise.service_area"


def get_geocoder() -> Geocoder:
    """The app's geocoder, built from its config on first use (the gazetteer loads once)."""
    extensions = current_app.extensions
    geocoder = extensions.get(GEOCODER_KEY)
    if geocoder is None:
        geocoder = geocoder_from_config(current_app.config)
        extensions[GEOCODER_KEY] = geocoder
    return geocoder


def get_service_area() -> ServiceArea:
    """The app's service area (``SERVICE_AREA_BBOX``)."""
    extensions = current_app.extensions
    area = extensions.get(SERVICE_AREA_KEY)
    if area is None:
        area = service_area_from_config(current_app.config)
        extensions[SERVICE_AREA_KEY] = area
    return area
