"""The `lm` kind end to end: demo data, training, bits-per-byte scoring, bad submissions."""

import json
import math
import pickle

import numpy as np
import pytest
import torch
from safetensors.torch import load, save_file

from ape_arena.kinds.base import SpecError, TrainParamsError
from ape_arena.kinds.lm import LMKind, eval_windows
from ape_arena.kinds.scores import INVALID_SCORE, agree, to_score
from ape_arena.ml.train import TrainingError
from ape_arena.model_rules import CONFIG_NAME, WEIGHTS_NAME

lm = LMKind()
TASK = {"max_params": 60_000, "block_size": 32, "eval_batch_size": 4, "tolerance_bps": 10}
CHOICES = {
    "n_layer": 2,
    "n_head": 2,
    "n_embd": 32,
    "steps": 30,
    "batch_size": 8,
    "lr": 3e-3,
    "warmup_steps": 3,
    "log_every": 5,
}


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    root = tmp_path_factory.mktemp("lm")
    data = lm.build_demo_data(root / "data", seed=0, size=40_000)
    result = lm.train(
        data / "train", root / "model", CHOICES, "cpu", root / "ckpt", kind_params=TASK
    )
    return root, result


@pytest.fixture
def submission(trained, tmp_path):
    """A copy of the trained model a test may break."""
    root, _ = trained
    for name in (CONFIG_NAME, WEIGHTS_NAME):
        (tmp_path / name).write_bytes((root / "model" / name).read_bytes())
    return tmp_path


def score(model_dir, eval_dir, **overrides):
    return lm.score(model_dir, eval_dir, {**TASK, **overrides}, "cpu")


def test_trains_and_scores(trained):
    root, result = trained
    assert result.steps == 30
    assert result.losses[-1][1] < result.losses[0][1]
    assert json.loads((root / "model" / CONFIG_NAME).read_text())["arch"] == "gpt"
    scored = score(root / "model", root / "data" / "eval")
    assert scored.valid and scored.reason is None
    # Better than the 8 bits of a uniform guess over bytes.
    assert 0 < scored.metric < 8
    assert scored.extras["tokens"] == scored.extras["bytes"] == 4_000 - 1
    assert scored.extras["params"] <= TASK["max_params"]
    assert scored.metric == pytest.approx(scored.extras["loss_nats"] / math.log(2))
    assert 0 < to_score(scored) < INVALID_SCORE


def test_scoring_is_bit_exact_across_runs(trained):
    root, _ = trained
    first = score(root / "model", root / "data" / "eval")
    second = score(root / "model", root / "data" / "eval")
    assert first == second
    assert to_score(first) == to_score(second)


def test_validators_on_different_setups_agree(trained):
    """fp32 at several eval batch sizes against an fp64 reference: the fixed-point
    scores agree under the contract's rule, and in practice differ by a few units."""
    root, _ = trained
    model, data = root / "model", root / "data" / "eval"
    reference = to_score(lm.score(model, data, TASK, "cpu", precision="fp64"))
    for precision, batch in (("fp32", 4), ("fp32", 1), ("fp32", 7), ("fp64", 3)):
        params = {**TASK, "eval_batch_size": batch}
        scored = to_score(lm.score(model, data, params, "cpu", precision=precision))
        assert agree(scored, reference, TASK["tolerance_bps"])
        assert abs(scored - reference) <= 10


def test_windows_predict_every_byte_but_the_first_once():
    data = np.arange(10, dtype=np.uint8)
    batches = list(eval_windows(data, block_size=4, batch_size=1))
    inputs = torch.cat([x.flatten() for x, _ in batches]).tolist()
    targets = torch.cat([y.flatten() for _, y in batches]).tolist()
    assert inputs == list(range(9))
    assert targets == list(range(1, 10))
    assert [tuple(x.shape) for x, _ in batches] == [(1, 4), (1, 4), (1, 1)]


def test_resuming_a_finished_run_reproduces_the_weights(trained, tmp_path):
    root, _ = trained
    result = lm.train(
        root / "data" / "train", tmp_path, CHOICES, "cpu", root / "ckpt", kind_params=TASK
    )
    assert (result.start_step, result.steps) == (30, 30)
    before, after = _read(root / "model"), _read(tmp_path)
    assert all(torch.equal(before[name], after[name]) for name in before)
    with pytest.raises(TrainingError, match="different run"):
        lm.train(
            root / "data" / "train",
            tmp_path,
            {**CHOICES, "lr": 1e-3},
            "cpu",
            root / "ckpt",
            kind_params=TASK,
        )


def _read(model_dir):
    # From bytes, not a memory map: the tests rewrite the file afterwards.
    return load((model_dir / WEIGHTS_NAME).read_bytes())


def _config(model_dir, **changes):
    path = model_dir / CONFIG_NAME
    path.write_text(json.dumps({**json.loads(path.read_text()), **changes}))


def _weights(model_dir, change):
    tensors = _read(model_dir)
    change(tensors)
    save_file(tensors, model_dir / WEIGHTS_NAME)


def _pickle(model_dir):
    torch.save(_read(model_dir), model_dir / WEIGHTS_NAME, pickle_module=pickle)


@pytest.mark.parametrize(
    "breakage, fragment",
    [
        (lambda d: _config(d, n_embd=64), "over max_params 60,000"),
        (lambda d: _config(d, n_layer=3), "missing blocks.2"),
        (lambda d: _config(d, block_size=16), "block_size 16 is below the task's eval window 32"),
        (lambda d: _config(d, vocab_size=512), "vocab_size must be 256"),
        (lambda d: _config(d, arch="mlp"), "arch must be one of gpt"),
        (lambda d: _config(d, heads=2), "unknown key"),
        (lambda d: (d / CONFIG_NAME).write_text("gpt, 2 layers"), "not valid JSON"),
        (lambda d: (d / CONFIG_NAME).unlink(), "config.json is missing"),
        (lambda d: _pickle(d), "not a readable safetensors file"),
        (lambda d: _weights(d, lambda t: t["ln_out.weight"].fill_(math.nan)), "NaN or infinite"),
        # Finite weights whose logits overflow: the loss is not finite.
        (lambda d: _weights(d, lambda t: t["ln_out.weight"].fill_(3e38)), "the model's loss is"),
        (lambda d: _weights(d, lambda t: t.pop("tok_emb.weight")), "missing tok_emb.weight"),
    ],
    ids=[
        "over-max-params",
        "layer-missing",
        "short-context",
        "vocab",
        "arch",
        "extra-key",
        "not-json",
        "no-config",
        "pickle",
        "nan-weights",
        "inf-loss",
        "missing-tensor",
    ],
)
def test_bad_submissions_score_invalid(trained, submission, breakage, fragment):
    root, _ = trained
    breakage(submission)
    scored = score(submission, root / "data" / "eval")
    assert not scored.valid and scored.metric is None
    assert fragment in scored.reason
    assert to_score(scored) == INVALID_SCORE


def test_spec_and_choice_errors():
    with pytest.raises(SpecError, match="unknown key"):
        lm.validate_params({"max_param": 10})
    with pytest.raises(SpecError, match="block_size must be between"):
        lm.validate_params({"block_size": 0})
    with pytest.raises(TrainParamsError, match="over max_params 60,000"):
        lm.validate_train_params({**CHOICES, "n_embd": 128}, TASK)
    with pytest.raises(TrainParamsError, match="below the task's eval window"):
        lm.validate_train_params({**CHOICES, "block_size": 8}, TASK)
    with pytest.raises(TrainParamsError, match="unknown key"):
        lm.validate_train_params({"layers": 2})
    assert lm.validate_train_params(CHOICES, TASK).block_size == TASK["block_size"]
