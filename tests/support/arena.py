"""The titanoboa deployment the tests play tasks on: `ape_arena.sim.arena`,
compiled from this checkout's contracts."""

from ape_arena.sim import arena as _arena
from support.paths import CONTRACTS

_arena.CONTRACTS = CONTRACTS

from ape_arena.sim.arena import (  # noqa: E402, F401
    INVALID_SCORE,
    PHASE_CANCELLED,
    PHASE_EVAL_REVEAL,
    PHASE_FINALIZE,
    PHASE_FINALIZED,
    PHASE_MODEL_REVEAL,
    PHASE_NONE,
    PHASE_SCORE_COMMIT,
    PHASE_SCORE_REVEAL,
    PHASE_SUBMIT,
    ROLE_TRAINER,
    ROLE_VALIDATOR,
    Arena,
    TaskTerms,
    eval_commitment,
    h,
    model_commitment,
    partial,
    score_commitment,
)
