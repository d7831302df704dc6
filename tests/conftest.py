"""Suite-wide settings: hypothesis profiles and the project paths."""

import os

from hypothesis import HealthCheck, settings

# `ci`: quick and derandomized, so a CI run is repeatable; what `make test` uses.
settings.register_profile(
    "ci",
    max_examples=25,
    stateful_step_count=25,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    print_blob=True,
)
# `dev`: the default for a plain `pytest` run: a little more, and random.
settings.register_profile(
    "dev",
    max_examples=50,
    stateful_step_count=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    print_blob=True,
)
# `campaign`: the long fuzzing run, `make fuzz`.
settings.register_profile(
    "campaign",
    max_examples=2_000,
    stateful_step_count=80,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    print_blob=True,
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))
