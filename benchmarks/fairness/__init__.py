"""Fairness benchmark (`make bench-fairness`, `python -m benchmarks.fairness`).

A Monte Carlo harness on the real contracts (titanoboa): see run.py and
docs/fairness.md.
"""
