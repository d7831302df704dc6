"""The `classify` kind end to end: demo data, training, cross-entropy scoring, bad submissions."""

import json
import math

import numpy as np
import pytest
from safetensors.torch import load, save_file

from ape_arena.kinds.base import DataError, SpecError
from ape_arena.kinds.classify import ClassifyKind
from ape_arena.kinds.scores import INVALID_SCORE, agree, to_score
from ape_arena.model_rules import CONFIG_NAME, WEIGHTS_NAME

classify = ClassifyKind()
TASK = {"max_params": 2_000, "in_dim": 8, "n_classes": 3, "eval_batch_size": 64}
CHOICES = {"hidden": [32], "steps": 60, "batch_size": 32, "lr": 1e-2, "log_every": 10}


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    root = tmp_path_factory.mktemp("classify")
    data = classify.build_demo_data(root / "data", seed=1, size=1_000, kind_params=TASK)
    result = classify.train(data / "train", root / "model", CHOICES, "cpu", kind_params=TASK)
    return root, result


def score(model_dir, eval_dir, precision="fp32", **overrides):
    return classify.score(model_dir, eval_dir, {**TASK, **overrides}, "cpu", precision=precision)


def test_trains_and_scores(trained):
    root, result = trained
    assert result.losses[-1][1] < result.losses[0][1]
    scored = score(root / "model", root / "data" / "eval")
    assert scored.valid
    assert scored.metric < math.log(3)  # better than a uniform guess
    assert scored.extras["examples"] == 200
    assert 1 / 3 < scored.extras["accuracy"] <= 1


def test_scoring_is_deterministic_and_validators_agree(trained):
    root, _ = trained
    first = score(root / "model", root / "data" / "eval")
    assert first == score(root / "model", root / "data" / "eval")
    reference = to_score(score(root / "model", root / "data" / "eval", precision="fp64"))
    for batch in (1, 7, 200):
        other = to_score(score(root / "model", root / "data" / "eval", eval_batch_size=batch))
        assert agree(other, reference, 10)


@pytest.mark.parametrize(
    "change, fragment",
    [
        ({"hidden": [256]}, "over max_params 2,000"),
        ({"in_dim": 9}, "the task has 8 features and 3 classes"),
        ({"arch": "gpt"}, "arch must be one of mlp"),
        ({"dropout": "none"}, "dropout must be a number"),
    ],
)
def test_bad_configs_score_invalid(trained, tmp_path, change, fragment):
    root, _ = trained
    config = json.loads((root / "model" / CONFIG_NAME).read_text())
    (tmp_path / CONFIG_NAME).write_text(json.dumps({**config, **change}))
    (tmp_path / WEIGHTS_NAME).write_bytes((root / "model" / WEIGHTS_NAME).read_bytes())
    scored = score(tmp_path, root / "data" / "eval")
    assert not scored.valid and fragment in scored.reason
    assert to_score(scored) == INVALID_SCORE


def test_nan_weights_score_invalid(trained, tmp_path):
    root, _ = trained
    (tmp_path / CONFIG_NAME).write_bytes((root / "model" / CONFIG_NAME).read_bytes())
    tensors = load((root / "model" / WEIGHTS_NAME).read_bytes())
    tensors["head.bias"][0] = math.inf
    save_file(tensors, tmp_path / WEIGHTS_NAME)
    assert "NaN or infinite" in score(tmp_path, root / "data" / "eval").reason


def test_eval_data_problems_are_the_task_s_not_the_model_s(trained, tmp_path):
    root, _ = trained
    np.savez(tmp_path / "eval.npz", X=np.zeros((4, 8), np.float32), y=np.array([0, 1, 2, 3]))
    with pytest.raises(DataError, match=r"labels must lie in 0\.\.2"):
        score(root / "model", tmp_path)
    with pytest.raises(SpecError, match="n_classes must be between"):
        score(root / "model", root / "data" / "eval", n_classes=1)
