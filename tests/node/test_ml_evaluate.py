"""Deterministic evaluation."""

import math

import pytest
import torch

from ape_arena.ml.evaluate import deterministic_kernels, evaluate
from ape_arena.ml.gpt import GPTConfig

CONFIG = GPTConfig(n_layer=2, n_head=2, n_embd=16, block_size=8, dropout=0.5)


@pytest.fixture(scope="module")
def model():
    torch.manual_seed(0)
    return CONFIG.build()


def windows(batch_size):
    data = torch.randint(0, 256, (12, 9), generator=torch.Generator().manual_seed(1))
    return [(w[:, :-1], w[:, 1:]) for w in data.split(batch_size)]


def test_counts_and_is_deterministic(model):
    model.train()  # evaluate must switch dropout off itself
    first = evaluate(model, windows(4), "cpu")
    second = evaluate(model, windows(4), "cpu")
    assert first == second
    assert first.count == 12 * 8
    assert 0 <= first.correct <= first.count
    # An untrained model is close to uniform over 256 bytes.
    assert first.mean_loss == pytest.approx(math.log(256), rel=0.05)


def test_batching_and_precision_barely_matter(model):
    reference = evaluate(model, windows(12), "cpu", precision="fp64").loss_sum
    for batch_size in (1, 5):
        assert evaluate(model, windows(batch_size), "cpu").loss_sum == pytest.approx(
            reference, rel=1e-6
        )


def test_unknown_precision_is_refused(model):
    with pytest.raises(ValueError, match="precision must be one of"):
        evaluate(model, windows(4), "cpu", precision="fp8")


def test_deterministic_kernels_restores_settings():
    before = torch.are_deterministic_algorithms_enabled()
    with deterministic_kernels():
        assert torch.are_deterministic_algorithms_enabled()
    assert torch.are_deterministic_algorithms_enabled() == before
