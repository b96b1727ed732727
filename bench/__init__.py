"""Benchmarks: `make bench…` targets that print their figures."""
