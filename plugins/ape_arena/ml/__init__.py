"""Pure-torch models, training and evaluation for AIArena's task kinds.

Nothing here imports Ape or the chain code: the package is usable (and
tested) on its own. Submodules:

- `gpt`, `mlp`: model configs (JSON with an "arch" tag) and modules.
- `models`: model directories (config.json + model.safetensors), read safely.
- `train`: the resumable training loop (AdamW, warmup + cosine, bf16, DDP).
- `evaluate`: deterministic summed cross-entropy.
"""
