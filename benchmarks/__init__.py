"""Benchmarks: scripts that print one JSON object per measurement (``python -m benchmarks``)."""
