"""Benchmarks (`make bench-gas`). A regular package: cchecksum installs a
top-level `benchmarks` package that would otherwise shadow this folder."""
