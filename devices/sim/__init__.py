"""Simulated devices that speak the real bytes, for tests, benchmarks and the demo."""
