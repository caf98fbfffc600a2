"""Addresses and geocoding: normalisation, providers (offline gazetteer, Nominatim), distances.

Import from the submodules (``louise.geo.service``, ``louise.geo.schemas`` …); this package
module stays empty so that importing ``louise.geo.distance`` pulls in neither Flask nor
SQLAlchemy.
"""
