"""Benchmarks: `python -m bench.run [--quick]` (see bench/run.py). Not run by the test suite."""
