"""Task-spec and training parameters: typed per kind, each default and bound declared once."""

import pytest

from ape_arena.kinds.base import SpecError, TrainParamsError
from ape_arena.kinds.classify import ClassifyKind, ClassifyKindParams, ClassifyTrainParams
from ape_arena.kinds.common import run_identity
from ape_arena.kinds.lm import LMKind, LMKindParams, LMTrainParams
from ape_arena.ml.fields import ConfigError
from ape_arena.ml.gpt import MAX_LAYERS, GPTConfig

lm, classify = LMKind(), ClassifyKind()

# What task.json holds for a spec that sets nothing: existing tasks carry exactly these keys.
LM_TASK = {"max_params": 10_000_000, "block_size": 256, "eval_batch_size": 32, "tolerance_bps": 50}
CLASSIFY_TASK = {
    **{"max_params": 1_000_000, "in_dim": 16, "n_classes": 4},
    **{"eval_batch_size": 256, "tolerance_bps": 50},
}
SHARED_TRAIN = {"min_lr_ratio": 0.1, "grad_clip": 1.0, "seed": 0, "checkpoint_every": 100}
LM_TRAIN = {
    **{"n_layer": 4, "n_head": 4, "n_embd": 128, "block_size": 256, "bias": False},
    **{"dropout": 0.0, "steps": 200, "lr": 1e-3, "warmup_steps": 20, "weight_decay": 0.1},
    **{"batch_size": 16, "log_every": 10, "compile": True, **SHARED_TRAIN},
}
CLASSIFY_TRAIN = {
    **{"hidden": [64, 64], "dropout": 0.0, "steps": 300, "lr": 3e-3, "warmup_steps": 10},
    **{"weight_decay": 0.01, "batch_size": 64, "log_every": 10, "compile": False, **SHARED_TRAIN},
}


def test_spec_defaults_keep_the_task_document_s_shape():
    assert lm.validate_params({}) == LM_TASK
    assert classify.validate_params({}) == CLASSIFY_TASK
    assert LMKindParams().to_dict() == LM_TASK


def test_training_defaults():
    assert lm.validate_train_params({}).to_dict() == LM_TRAIN
    assert classify.validate_train_params({}).to_dict() == CLASSIFY_TRAIN
    assert ClassifyTrainParams().hidden == (64, 64)


def test_the_lm_context_defaults_to_the_task_s_window():
    assert LMTrainParams().block_size is None
    assert lm.validate_train_params({}, {"block_size": 64}).block_size == 64
    assert lm.validate_train_params({"block_size": 128}, {"block_size": 64}).block_size == 128


def test_values_are_normalised_however_they_are_given():
    params = lm.validate_train_params({"lr": 1, "dropout": 0})
    assert isinstance(params.lr, float) and isinstance(params.dropout, float)
    assert classify.validate_train_params({"hidden": [8, 4]}).hidden == (8, 4)
    typed = ClassifyTrainParams(hidden=[8], steps=5)
    assert classify.validate_train_params(typed) == typed


@pytest.mark.parametrize(
    "build, message",
    [
        (lambda: LMTrainParams(n_layer=0), "n_layer must be between 1 and 256, not 0"),
        (lambda: LMTrainParams(steps=True), "steps must be an integer, not True"),
        (lambda: LMTrainParams(lr=float("nan")), "lr must be between 1e-08 and 1, not nan"),
        (lambda: LMTrainParams(compile="yes"), "compile must be true or false, not 'yes'"),
        (lambda: ClassifyTrainParams(hidden=[8, 0]), r"hidden\[1\] must be an integer between"),
        (lambda: lm.validate_train_params({"layers": 2}), "has unknown key.* layers"),
        (lambda: lm.validate_train_params([2]), "must be a JSON object, not list"),
        (lambda: lm.validate_train_params(ClassifyTrainParams()), "not ClassifyTrainParams"),
        (lambda: lm.validate_train_params({"n_embd": 30}), "multiple of n_head"),
    ],
)
def test_a_bad_choice_is_one_sentence_of_the_kinds_error(build, message):
    with pytest.raises(TrainParamsError, match=f"^training parameters: .*{message}"):
        build()


@pytest.mark.parametrize(
    "build, message",
    [
        (lambda: LMKindParams(block_size=0), "block_size must be between 1 and 65,536, not 0"),
        (lambda: ClassifyKindParams(n_classes=1), "n_classes must be between 2 and"),
        (lambda: lm.validate_params({"tolerance_bps": 10_001}), "tolerance_bps must be between"),
        (lambda: classify.validate_params({"block_size": 8}), "unknown key.* block_size"),
    ],
)
def test_a_bad_spec_is_a_spec_error(build, message):
    with pytest.raises(SpecError, match=f"^task spec: .*{message}"):
        build()


def test_a_trainer_s_shape_meets_the_bounds_a_submitted_model_meets():
    with pytest.raises(ConfigError, match="n_layer must be between 1 and 256"):
        GPTConfig(n_layer=MAX_LAYERS + 1, n_head=1, n_embd=8, block_size=8)
    with pytest.raises(TrainParamsError, match="n_layer must be between 1 and 256"):
        lm.validate_train_params({"n_layer": MAX_LAYERS + 1})
    assert lm.validate_train_params({"n_layer": MAX_LAYERS}).n_layer == MAX_LAYERS


def test_a_checkpoint_s_identity_leaves_out_how_a_run_is_watched():
    params = lm.validate_train_params({})
    identity = run_identity("lm", {"arch": "gpt"}, params, b"data")
    assert set(identity["train"]) == set(LM_TRAIN) - {"checkpoint_every", "log_every", "compile"}
