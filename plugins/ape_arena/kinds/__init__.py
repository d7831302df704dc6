"""Task kinds: what a node does off-chain for each kind of task.

- `base`: the `TaskKind` interface, `ScoreResult` and the errors kinds raise.
- `common`: `KindParams` and `TrainParams`, the typed parameters every kind
  extends, and `fit_and_save`, one training run from data to saved model.
- `registry`: `get_kind(name)` over the `ape_arena.kinds` entry points.
- `lm`, `classify`: the two built-in kinds.
- `scores`: metric <-> contract integer, and the contract's agreement rule.
- `data`: readers for users' data files.

Nothing here imports Ape or the chain code.
"""
