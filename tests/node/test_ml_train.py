"""The training loop: schedule, learning, atomic resumable checkpoints."""

import math
from itertools import pairwise

import pytest
import torch

from ape_arena.ml.gpt import GPTConfig
from ape_arena.ml.mlp import MLPConfig
from ape_arena.ml.train import (
    CHECKPOINT_FILE,
    TrainConfig,
    TrainingError,
    dist_info,
    lr_at,
    train,
)

CONFIG = GPTConfig(n_layer=2, n_head=2, n_embd=16, block_size=8, dropout=0.1)
CORPUS = torch.randint(0, 256, (512,), generator=torch.Generator().manual_seed(0))


class Crash(Exception):
    """Stands in for the process being killed."""


def batches(step, crash_at=None):
    if step == crash_at:
        raise Crash
    starts = torch.randint(0, 500, (4,), generator=torch.Generator().manual_seed(step))
    windows = torch.stack([CORPUS[s : s + 9] for s in starts.tolist()])
    return windows[:, :-1], windows[:, 1:]


def fresh_model():
    torch.manual_seed(0)
    return CONFIG.build()


def test_schedule_warms_up_then_decays_to_the_floor():
    config = TrainConfig(steps=100, lr=1.0, warmup_steps=10, min_lr_ratio=0.1)
    assert lr_at(0, config) == pytest.approx(0.1)
    assert lr_at(9, config) == pytest.approx(1.0)
    assert lr_at(10, config) == pytest.approx(1.0)
    assert lr_at(99, config) == pytest.approx(0.1)
    rates = [lr_at(s, config) for s in range(10, 100)]
    assert all(a >= b for a, b in pairwise(rates))


def test_learns_a_separable_problem():
    torch.manual_seed(0)
    features = torch.randn(256, 4)
    labels = (features[:, 0] > 0).long()
    model = MLPConfig(in_dim=4, n_classes=2, hidden=(16,)).build()
    result = train(
        model,
        lambda step: (features, labels),
        TrainConfig(steps=60, lr=1e-2, log_every=1),
        "cpu",
    )
    first, last = result.losses[0][1], result.losses[-1][1]
    assert result.steps == 60 and result.start_step == 0
    assert last < first * 0.5
    assert not model.training


def test_resume_after_a_crash_gives_the_same_weights(tmp_path):
    config = TrainConfig(steps=4, lr=1e-2, warmup_steps=1, checkpoint_every=2, log_every=1)
    reference = fresh_model()
    train(reference, batches, config, "cpu")

    model = fresh_model()
    with pytest.raises(Crash):
        train(model, lambda s: batches(s, crash_at=2), config, "cpu", tmp_path)
    assert torch.load(tmp_path / CHECKPOINT_FILE, weights_only=True)["step"] == 2
    assert [p.name for p in tmp_path.iterdir()] == [CHECKPOINT_FILE]  # no temp file left

    # A new process: a fresh model, resumed from the checkpoint.
    resumed = fresh_model()
    torch.manual_seed(1234)  # the RNG state comes from the checkpoint, not from here
    result = train(resumed, batches, config, "cpu", tmp_path)
    assert (result.start_step, result.steps) == (2, 4)
    for name, tensor in reference.state_dict().items():
        assert torch.equal(resumed.state_dict()[name], tensor), name


def test_finished_run_resumes_as_a_no_op(tmp_path):
    config = TrainConfig(steps=2, checkpoint_every=1)
    model = fresh_model()
    train(model, batches, config, "cpu", tmp_path)
    again = fresh_model()
    result = train(again, batches, config, "cpu", tmp_path)
    assert (result.start_step, result.steps, result.final_loss) == (2, 2, None)
    for name, tensor in model.state_dict().items():
        assert torch.equal(again.state_dict()[name], tensor)


def test_checkpoint_of_another_run_is_refused(tmp_path):
    config = TrainConfig(steps=2)
    train(fresh_model(), batches, config, "cpu", tmp_path, run_info={"lr": 1})
    with pytest.raises(TrainingError, match=r"different run .*differs in lr"):
        train(fresh_model(), batches, config, "cpu", tmp_path, run_info={"lr": 2})


def test_diverging_loss_stops_training():
    def nan_loss(model, batch):
        return model(batch[0]).sum() * math.nan

    with pytest.raises(TrainingError, match="loss became nan at step 1"):
        train(fresh_model(), batches, TrainConfig(steps=3, log_every=1), "cpu", loss_fn=nan_loss)


def test_single_process_by_default(monkeypatch):
    for name in ("RANK", "LOCAL_RANK", "WORLD_SIZE"):
        monkeypatch.delenv(name, raising=False)
    info = dist_info()
    assert (info.rank, info.world_size, info.is_main) == (0, 1, True)
