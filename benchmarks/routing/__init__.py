"""Routing benchmarks: Li & Lim PDPTW and realistic evenings (see docs/benchmarks.md)."""
