"""Dispatch benchmarks: planning a whole day through the app's service (DB in, DB out)."""
