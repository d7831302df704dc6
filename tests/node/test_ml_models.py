"""Model configs, the GPT and MLP modules, and reading model directories safely."""

import json
import pickle

import pytest
import torch
from safetensors.torch import load, save_file

from ape_arena.ml.fields import ConfigError
from ape_arena.ml.gpt import GPTConfig
from ape_arena.ml.mlp import MLPConfig
from ape_arena.ml.models import (
    CONFIG_NAME,
    WEIGHTS_NAME,
    InvalidModelError,
    config_from_dict,
    load_model_dir,
    save_model_dir,
)

TINY_GPT = GPTConfig(n_layer=2, n_head=2, n_embd=16, block_size=8)
TINY_MLP = MLPConfig(in_dim=5, n_classes=3, hidden=(7, 4))


@pytest.mark.parametrize(
    "config",
    [
        TINY_GPT,
        GPTConfig(n_layer=3, n_head=4, n_embd=32, block_size=16, bias=True),
        TINY_MLP,
        MLPConfig(in_dim=2, n_classes=2, hidden=()),
    ],
    ids=["gpt", "gpt-bias", "mlp", "mlp-linear"],
)
def test_config_round_trip_and_param_count(config):
    data = json.loads(json.dumps(config.to_dict()))
    assert data["arch"] == config.ARCH
    assert config_from_dict(data) == config
    # The count from the shape alone matches the built module exactly.
    assert config.num_params() == sum(p.numel() for p in config.build().parameters())


def test_gpt_ties_output_to_token_embedding():
    model = TINY_GPT.build()
    names = set(model.state_dict())
    assert "tok_emb.weight" in names
    assert not any("head" in name for name in names)
    assert model.num_params() == TINY_GPT.num_params()


def test_gpt_is_causal():
    torch.manual_seed(0)
    model = TINY_GPT.build().eval()
    tokens = torch.randint(0, 256, (1, 8))
    changed = tokens.clone()
    changed[0, 5:] = (changed[0, 5:] + 1) % 256
    with torch.no_grad():
        before, after = model(tokens), model(changed)
    assert torch.equal(before[0, :5], after[0, :5])
    assert not torch.equal(before[0, 5:], after[0, 5:])


def test_gpt_refuses_longer_than_block():
    with pytest.raises(ValueError, match="exceeds block_size"):
        TINY_GPT.build()(torch.zeros(1, 9, dtype=torch.long))


@pytest.mark.parametrize(
    "data, fragment",
    [
        ([], "must be a JSON object"),
        ({"arch": "rnn"}, "arch must be one of gpt, mlp"),
        ({"n_layer": 1}, "arch must be one of"),
        ({**TINY_GPT.to_dict(), "n_experts": 8}, "unknown key"),
        ({**TINY_GPT.to_dict(), "n_layer": 0}, "n_layer must be between"),
        ({**TINY_GPT.to_dict(), "n_layer": True}, "n_layer must be an integer"),
        ({**TINY_GPT.to_dict(), "n_layer": 2.0}, "n_layer must be an integer"),
        ({**TINY_GPT.to_dict(), "n_embd": 17}, "multiple of n_head"),
        ({**TINY_GPT.to_dict(), "block_size": 10**9}, "block_size must be between"),
        ({**TINY_GPT.to_dict(), "bias": 1}, "bias must be true or false"),
        ({**TINY_GPT.to_dict(), "dropout": float("nan")}, "dropout must be between"),
        ({k: v for k, v in TINY_GPT.to_dict().items() if k != "n_head"}, "n_head is required"),
        ({**TINY_MLP.to_dict(), "hidden": [4, -1]}, r"hidden\[1\]"),
        ({**TINY_MLP.to_dict(), "hidden": 4}, "hidden must be a list"),
        ({**TINY_MLP.to_dict(), "n_classes": 1}, "n_classes must be between"),
    ],
)
def test_config_errors(data, fragment):
    with pytest.raises(ConfigError, match=fragment):
        config_from_dict(data)


def test_config_checks_apply_to_code_built_configs():
    with pytest.raises(ConfigError, match="multiple of n_head"):
        GPTConfig(n_layer=1, n_head=3, n_embd=16, block_size=8)


def test_save_and_load_round_trip(tmp_path):
    torch.manual_seed(0)
    model = TINY_GPT.build()
    save_model_dir(model, TINY_GPT, tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == [CONFIG_NAME, WEIGHTS_NAME]
    loaded, config = load_model_dir(tmp_path, max_params=TINY_GPT.num_params())
    assert config == TINY_GPT
    assert not loaded.training
    for name, tensor in model.state_dict().items():
        assert torch.equal(loaded.state_dict()[name], tensor)


@pytest.fixture
def saved_mlp(tmp_path):
    torch.manual_seed(0)
    save_model_dir(TINY_MLP.build(), TINY_MLP, tmp_path)
    return tmp_path


def _tensors(model_dir):
    # Read from bytes, not a memory map: the file is rewritten next.
    return load((model_dir / WEIGHTS_NAME).read_bytes())


def _break_weights(model_dir, change):
    tensors = _tensors(model_dir)
    change(tensors)
    save_file(tensors, model_dir / WEIGHTS_NAME)


@pytest.mark.parametrize(
    "change, fragment",
    [
        (lambda t: t.pop("head.bias"), "missing head.bias"),
        (lambda t: t.update(extra=torch.zeros(1)), "unexpected extra"),
        (lambda t: t.update({"head.bias": torch.zeros(4)}), r"shape \[4\], the config needs \[3\]"),
        (lambda t: t.update({"head.bias": torch.zeros(3, dtype=torch.float64)}), "dtype F64"),
        (lambda t: t.update({"head.bias": torch.zeros(3, dtype=torch.int32)}), "dtype I32"),
        (lambda t: t["head.weight"].__setitem__((0, 0), float("nan")), "NaN or infinite"),
    ],
    ids=["missing", "extra", "shape", "float64", "int", "nan"],
)
def test_mismatched_tensors_are_invalid(saved_mlp, change, fragment):
    _break_weights(saved_mlp, change)
    with pytest.raises(InvalidModelError, match=fragment):
        load_model_dir(saved_mlp)


def test_half_precision_weights_load_as_float32(saved_mlp):
    _break_weights(saved_mlp, lambda t: t.update({k: v.bfloat16() for k, v in t.items()}))
    model, _ = load_model_dir(saved_mlp)
    assert {p.dtype for p in model.parameters()} == {torch.float32}


def test_pickle_disguised_as_safetensors_is_never_unpickled(saved_mlp):
    class Boom:
        def __reduce__(self):
            return (pytest.fail, ("the scorer unpickled a submission",))

    torch.save({"head.bias": Boom()}, saved_mlp / WEIGHTS_NAME, pickle_module=pickle)
    with pytest.raises(InvalidModelError, match="not a readable safetensors file"):
        load_model_dir(saved_mlp)


@pytest.mark.parametrize(
    "write, fragment",
    [
        (lambda d: (d / CONFIG_NAME).unlink(), "config.json is missing"),
        (lambda d: (d / WEIGHTS_NAME).unlink(), "model.safetensors is missing"),
        (lambda d: (d / CONFIG_NAME).write_text("{not json"), "not valid JSON"),
        (lambda d: (d / CONFIG_NAME).write_bytes(b"\xff\xfe"), "not valid JSON"),
        (lambda d: (d / CONFIG_NAME).write_text(" " * 70_000 + "{}"), "over 65,536"),
        (lambda d: (d / CONFIG_NAME).write_text('{"arch": "mlp"}'), "in_dim is required"),
        (lambda d: (d / WEIGHTS_NAME).write_bytes(b"\x00" * 8), "not a readable safetensors"),
        (lambda d: (d / WEIGHTS_NAME).write_bytes(b"\x00" * (3 << 20)), "over the"),
    ],
    ids=[
        "no-config",
        "no-weights",
        "bad-json",
        "bad-utf8",
        "huge-config",
        "bad-config",
        "truncated",
        "oversized",
    ],
)
def test_broken_directories_are_invalid(saved_mlp, write, fragment):
    write(saved_mlp)
    with pytest.raises(InvalidModelError, match=fragment):
        load_model_dir(saved_mlp)


def test_params_are_counted_before_loading(saved_mlp):
    # A config over the limit is refused even though its weights are absent.
    (saved_mlp / WEIGHTS_NAME).unlink()
    big = MLPConfig(in_dim=5, n_classes=3, hidden=(4096, 4096))
    (saved_mlp / CONFIG_NAME).write_text(json.dumps(big.to_dict()))
    with pytest.raises(InvalidModelError, match="over max_params 1,000"):
        load_model_dir(saved_mlp, max_params=1_000)


def test_disallowed_arch_is_invalid(saved_mlp):
    with pytest.raises(InvalidModelError, match="arch must be one of gpt"):
        load_model_dir(saved_mlp, archs=["gpt"])
