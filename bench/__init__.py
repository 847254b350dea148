"""Benchmarks: `python -m bench.run [--quick] [--only SECTION,...]` (see bench/run.py); `--quick` is
run by the test suite as a smoke test (tests/e2e/test_bench_smoke.py)."""
