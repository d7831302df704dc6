"""Model weights are safetensors only: pickles and torch.save archives are refused unread."""

import json
import pickle
import struct
from pathlib import Path

import pytest
import torch
from safetensors.torch import save_file

from ape_arena.artifacts import (
    MANIFEST_NAME,
    ArtifactError,
    LocalStore,
    check_model_dir,
    check_weights_file,
)

NOT_SAFETENSORS = "is not a safetensors file"
NEVER_UNPICKLED = "model weights must be safetensors, pickles are never loaded"
CONFIG = {"arch": "byte_lm", "d_model": 8, "n_layers": 1}


def tensors() -> dict[str, torch.Tensor]:
    generator = torch.Generator().manual_seed(0)
    return {
        "embed.weight": torch.randn(16, 8, generator=generator),
        "head.bias": torch.zeros(16, dtype=torch.bfloat16),
        "scale": torch.tensor([3.0], dtype=torch.float16),
    }


def write_safetensors(path: Path, header: dict, data: bytes, *, pad_to: int = 0) -> Path:
    """A safetensors file written by hand, with the header padded by spaces to `pad_to` bytes."""
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * max(0, pad_to - len(text))
    path.write_bytes(struct.pack("<Q", len(text)) + text + data)
    return path


def model_dir(root: Path) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    save_file(tensors(), root / "model.safetensors", metadata={"format": "pt"})
    (root / "config.json").write_text(json.dumps(CONFIG))
    return root


class WouldRunCode:
    """A pickle that creates a file if it is ever unpickled."""

    def __init__(self, sentinel: Path) -> None:
        self.sentinel = sentinel

    def __reduce__(self):
        return (Path.touch, (self.sentinel,))


# --- weights files -----------------------------------------------------------------------


def test_valid_safetensors_is_accepted(tmp_path):
    path = tmp_path / "model.safetensors"
    save_file(tensors(), path, metadata={"format": "pt"})
    info = check_weights_file(path)
    assert {name: (t.dtype, t.shape) for name, t in info.tensors.items()} == {
        "embed.weight": ("F32", (16, 8)),
        "head.bias": ("BF16", (16,)),
        "scale": ("F16", (1,)),
    }
    assert info.num_params == 16 * 8 + 16 + 1
    assert dict(info.metadata) == {"format": "pt"}


def test_torch_save_zip_named_safetensors_is_refused(tmp_path):
    path = tmp_path / "model.safetensors"
    torch.save(tensors(), path)
    assert path.read_bytes()[:4] == b"PK\x03\x04"
    with pytest.raises(ArtifactError) as error:
        check_weights_file(path)
    message = str(error.value)
    assert NOT_SAFETENSORS in message and "zip archive" in message and NEVER_UNPICKLED in message


def test_legacy_torch_save_pickle_is_refused(tmp_path):
    path = tmp_path / "model.safetensors"
    torch.save(tensors(), path, _use_new_zipfile_serialization=False)
    with pytest.raises(ArtifactError, match="protocol 2 pickle") as error:
        check_weights_file(path)
    assert NEVER_UNPICKLED in str(error.value)


@pytest.mark.parametrize("protocol", [2, 3, 4, 5])
def test_raw_pickle_is_refused_and_never_unpickled(tmp_path, protocol):
    sentinel = tmp_path / "pwned"
    path = tmp_path / "model.safetensors"
    path.write_bytes(pickle.dumps({"w": WouldRunCode(sentinel)}, protocol=protocol))
    with pytest.raises(ArtifactError, match=f"protocol {protocol} pickle") as error:
        check_weights_file(path)
    assert NEVER_UNPICKLED in str(error.value)
    assert not sentinel.exists()


def test_header_length_that_looks_like_a_pickle_opcode_is_fine(tmp_path):
    # 0x0280 = 640: the file starts with 0x80 0x02, the bytes of a protocol 2 pickle.
    header = {"w": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}}
    path = write_safetensors(tmp_path / "w.safetensors", header, b"\0" * 8, pad_to=0x280)
    assert path.read_bytes()[:2] == b"\x80\x02"
    assert check_weights_file(path).num_params == 2


F32_PAIR = {"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}}


@pytest.mark.parametrize(
    "header, data, fragment",
    [
        (F32_PAIR, b"\0" * 7, "cover 8 bytes but the file holds 7"),
        (F32_PAIR, b"\0" * 9, "cover 8 bytes but the file holds 9"),
        ({"a": {"dtype": "F32", "shape": [3], "data_offsets": [0, 8]}}, b"\0" * 8, "wrong number"),
        (
            {
                "a": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]},
                "b": {"dtype": "F32", "shape": [1], "data_offsets": [8, 12]},
            },
            b"\0" * 12,
            "leaves a gap",
        ),
        ({"a": {"dtype": "F32", "shape": [-2], "data_offsets": [0, 8]}}, b"\0" * 8, "shape"),
        ({"a": {"dtype": "F32", "shape": [2], "data_offsets": [8, 0]}}, b"\0" * 8, "data_offsets"),
        ({"a": {"dtype": "F32", "shape": [2]}}, b"\0" * 8, "dtype, shape and data_offsets"),
        ({"a": {"dtype": "C64", "shape": [1], "data_offsets": [0, 8]}}, b"\0" * 8, "'C64'"),
        ({"__metadata__": {"k": 1}, **F32_PAIR}, b"\0" * 8, "map of strings"),
        ([1, 2], b"", "not a JSON object"),
    ],
)
def test_malformed_safetensors_is_refused(tmp_path, header, data, fragment):
    path = write_safetensors(tmp_path / "model.safetensors", header, data)
    with pytest.raises(ArtifactError) as error:
        check_weights_file(path)
    assert fragment in str(error.value)


@pytest.mark.parametrize(
    "content, fragment",
    [
        (b"", "shorter than the 8-byte header length"),
        (b"\x05\0\0\0", "shorter than the 8-byte header length"),
        (struct.pack("<Q", 1_000) + b"{}", "header length 1000 does not fit"),
        (struct.pack("<Q", 4) + b"[1] ", "its header is not a JSON object"),
        (struct.pack("<Q", 8) + b'{"a":1,}', "not valid JSON"),
        (struct.pack("<Q", 16) + b'{"a":1, "a":2}  ', "repeats the key 'a'"),
    ],
)
def test_garbage_is_refused(tmp_path, content, fragment):
    path = tmp_path / "model.safetensors"
    path.write_bytes(content)
    with pytest.raises(ArtifactError, match=NOT_SAFETENSORS) as error:
        check_weights_file(path)
    assert fragment in str(error.value)


def test_symlinked_weights_are_refused(tmp_path):
    target = tmp_path / "real.safetensors"
    save_file(tensors(), target)
    (tmp_path / "model.safetensors").symlink_to(target)
    with pytest.raises(ArtifactError, match="is not a regular file"):
        check_weights_file(tmp_path / "model.safetensors")


# --- model folders -----------------------------------------------------------------------


def test_valid_model_dir_is_accepted(tmp_path):
    folder = model_dir(tmp_path / "model")
    (folder / "README.md").write_text("# byte LM\n")
    (folder / "metadata.json").write_text('{"trainer": "0xabc"}')
    model = check_model_dir(folder, max_params=1_000)
    assert model.path == folder
    assert dict(model.config) == CONFIG
    assert model.weights.num_params == 145


def test_fetched_model_artifact_passes(tmp_path):
    store = LocalStore(tmp_path / "store")
    artifact_hash, uri = store.put(model_dir(tmp_path / "model"))
    fetched = store.fetch(uri, artifact_hash, tmp_path / "downloads", max_bytes=1 << 20)
    assert (fetched / MANIFEST_NAME).is_file()
    assert dict(check_model_dir(fetched, max_params=1_000).config) == CONFIG


def test_pickled_weights_in_a_model_dir_are_refused(tmp_path):
    folder = model_dir(tmp_path / "model")
    torch.save(tensors(), folder / "model.safetensors")
    with pytest.raises(ArtifactError, match=NEVER_UNPICKLED):
        check_model_dir(folder, max_params=1_000)


@pytest.mark.parametrize(
    "change, fragment",
    [
        (lambda d: (d / "config.json").unlink(), "lacks config.json"),
        (lambda d: (d / "model.safetensors").unlink(), "lacks model.safetensors"),
        (lambda d: (d / "model.pt").write_bytes(b"x"), "unexpected files (model.pt)"),
        (lambda d: (d / "sub").mkdir(), "is not a regular file"),
        (lambda d: (d / "link.json").symlink_to(d / "config.json"), "is not a regular file"),
        (lambda d: (d / "config.json").write_text("[1, 2]"), "is not a JSON object"),
        (lambda d: (d / "config.json").write_text("{'a': 1}"), "is not valid JSON"),
        (lambda d: (d / "config.json").write_text('{"lr": NaN}'), "holds NaN, which is not a"),
        (lambda d: (d / "config.json").write_text('{"a": 1, "a": 2}'), "repeats the key 'a'"),
        (lambda d: (d / "metadata.json").write_text('"x"'), "is not a JSON object"),
    ],
)
def test_bad_model_dirs_are_refused(tmp_path, change, fragment):
    folder = model_dir(tmp_path / "model")
    change(folder)
    with pytest.raises(ArtifactError) as error:
        check_model_dir(folder, max_params=1_000)
    assert fragment in str(error.value)


def test_model_dir_over_the_limit_is_refused(tmp_path):
    folder = model_dir(tmp_path / "model")
    (folder / "README.md").write_bytes(b"#" * 65_536)
    assert check_model_dir(folder, max_params=145).weights.num_params == 145
    (folder / "README.md").write_bytes(b"#" * 65_537)
    with pytest.raises(
        ArtifactError, match=r"README\.md is 65,537 bytes, over its limit of 65,536"
    ):
        check_model_dir(folder, max_params=145)


def test_model_dir_with_more_parameters_than_the_task_allows_is_refused(tmp_path):
    # 145 parameters of F16 take the bytes of 72 of F32: within the byte bound, over the count.
    folder = tmp_path / "model"
    folder.mkdir()
    save_file({"w": torch.zeros(145, dtype=torch.float16)}, folder / "model.safetensors")
    (folder / "config.json").write_text(json.dumps(CONFIG))
    with pytest.raises(ArtifactError, match="145 parameters, over the task's max_params of 100"):
        check_model_dir(folder, max_params=100)
