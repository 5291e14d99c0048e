"""Crafted, corrupted and hostile checkpoint files, and states that do not fit: loading raises the one
documented exception (CheckpointError, naming the file and the problem) with memory bounded by the
file's size, and a load_state_dict that fails changes nothing."""

import json
import struct
import tracemalloc
import zipfile

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import tinygrad_mlp as tg
from tinygrad_mlp import nn, optim
from tinygrad_mlp.optim import lr_scheduler
from tinygrad_mlp.train import Trainer, fit
from tinygrad_mlp.utils import CheckpointError
from tinygrad_mlp.utils.serialization import _text_digest
from tinygrad_mlp.utils.state_check import check_module_state, check_optimizer_state

from ..checkpoint_files import (
    edit_metadata,
    read_safetensors,
    rewrite_entries,
    save_v1,
    set_v1_header,
    v1_header,
    write_safetensors,
)


def peak_bytes(call):
    """(result or exception, peak bytes allocated by Python and numpy) of ``call()``."""
    tracemalloc.start()
    try:
        try:
            outcome = call()
        except Exception as e:  # noqa: BLE001 - returned for the test to check
            outcome = e
        return outcome, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def refused(path, words):
    """load(path) raises CheckpointError naming the file and ``words``, with memory bounded by the file."""
    size = path.stat().st_size
    outcome, peak = peak_bytes(lambda: tg.load(path))
    assert isinstance(outcome, CheckpointError), repr(outcome)
    assert path.name in str(outcome) and words in str(outcome), str(outcome)
    assert peak < 4 * size + 2 ** 20, f"{peak} bytes allocated to refuse a {size}-byte file"


def trained():
    tg.manual_seed(0)
    model = nn.MLP(4, [8], 3)
    opt = optim.Adam(model.parameters(), lr=0.01)
    fit(model, nn.CrossEntropyLoss(), opt, (np.random.rand(20, 4), np.random.randint(0, 3, 20)), epochs=1,
        report_every=0, progress=False)
    return model, opt


def snapshot(model, opt=None):
    out = {k: v.numpy().copy() for k, v in model.state_dict().items()}
    if opt is not None:
        sd = opt.state_dict()
        out["groups"] = repr(sd["param_groups"])
        for pk, s in sd["state"].items():
            out.update({f"{pk}.{k}": (v.numpy().copy() if isinstance(v, tg.Tensor) else v) for k, v in s.items()})
    return out


def unchanged(before, after):
    return before.keys() == after.keys() and all(
        np.array_equal(before[k], after[k]) if isinstance(before[k], np.ndarray) else before[k] == after[k]
        for k in before)


# --- version-1 .npz files (tinygrad_mlp 0.1) -------------------------------------------------------------------


@pytest.fixture
def v1(tmp_path):
    path = tmp_path / "old.npz"
    save_v1({"w": tg.ones(64), "b": tg.zeros(3), "epoch": 2}, path)
    return path


def _set_method(path, method):
    """Change the compression-method field of every entry (local and central headers): one byte each."""
    data = bytearray(path.read_bytes())
    for signature, offset in ((b"PK\x03\x04", 8), (b"PK\x01\x02", 10)):
        start = 0
        while (i := data.find(signature, start)) >= 0:
            data[i + offset] = method
            start = i + 4
    path.write_bytes(bytes(data))


def test_v1_compression_field_changed_by_one_byte(v1):
    _set_method(v1, 99)  # an unsupported method: zipfile raised NotImplementedError
    refused(v1, "is compressed (method 99)")


@pytest.mark.parametrize("header", [b"[1, 2]", b"null", b"\"text\""])
def test_v1_header_json_that_is_not_a_dict(v1, header):
    set_v1_header(v1, header)
    refused(v1, "the header is a")


def test_v1_header_listing_a_missing_array(v1):
    rewrite_entries(v1, lambda e: e.pop("a1.npy"))
    refused(v1, "array a1 is listed but its entry a1.npy is missing")


def test_v1_deeply_nested_header(v1):
    set_v1_header(v1, b"[" * 200_000 + b"]" * 200_000)
    refused(v1, "nested too deeply")


def test_v1_deeply_nested_structure(v1):
    header = v1_header(v1)
    header["structure"] = json.loads("[" * 900 + "]" * 900)
    set_v1_header(v1, json.dumps(header).encode())
    refused(v1, "nested more than 100 levels")


def test_v1_declared_shape_of_1e12(v1):
    header = b"{'descr': '<f4', 'fortran_order': False, 'shape': (1000000000000,), }"
    header += b" " * (-(len(header) + 11) % 64) + b"\n"
    rewrite_entries(v1, lambda e: e.update({"a0.npy": b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header))
                                           + header + b"\x00" * 256}))
    refused(v1, "declares shape (1000000000000,)")


def test_v1_deflate_bomb_is_refused_before_inflating(tmp_path):
    path = tmp_path / "bomb.npz"
    save_v1({"w": tg.ones(4)}, path)
    bomb = bytes(50_000_000)  # 50 MB of zeros, about 50 KB deflated
    rewrite_entries(path, lambda e: e.update({"a0.npy": bomb}), compression=zipfile.ZIP_DEFLATED)
    assert path.stat().st_size < 200_000
    refused(path, "is compressed (method 8)")


@pytest.mark.parametrize("version", [0, -5, True, "1", None, 1.0])
def test_v1_invalid_format_versions(v1, version):
    header = v1_header(v1)
    header["version"] = version
    set_v1_header(v1, json.dumps(header).encode())
    refused(v1, "invalid format version")


# --- safetensors files ------------------------------------------------------------------------------------


@pytest.fixture
def st_file(tmp_path):
    path = tmp_path / "ckpt.safetensors"
    tg.save({"w": tg.ones(64), "b": tg.zeros(3), "epoch": 2}, path)
    return path


@pytest.mark.parametrize("version", ["0", "-5", "true", "", "1", "2.0", " 2"])
def test_safetensors_invalid_format_versions(st_file, version):
    edit_metadata(st_file, lambda m: m.update(version=version))
    refused(st_file, "invalid format version")


@pytest.mark.parametrize("metadata", [[1, 2], None, {"format": "tinygrad_mlp.checkpoint", "version": 2}])
def test_safetensors_metadata_that_is_not_a_dict_of_strings(st_file, metadata):
    header, data = read_safetensors(st_file)
    header["__metadata__"] = metadata
    write_safetensors(st_file, header, data)
    if metadata is None:  # no metadata at all: a plain file of tensors, read as such
        assert sorted(tg.load(st_file)) == ["b", "w"]
        return
    refused(st_file, "ckpt.safetensors")


def test_safetensors_checksum_table_missing_a_tensor(st_file):
    def drop(m):
        m["sha256"] = json.dumps({k: v for k, v in json.loads(m["sha256"]).items() if k != "b"})

    edit_metadata(st_file, drop)
    refused(st_file, "the checksum table does not list exactly the tensors in the file")


def test_safetensors_declared_shape_larger_than_the_file(st_file):
    header, data = read_safetensors(st_file)
    header["w"]["shape"] = [10 ** 12]
    write_safetensors(st_file, header, data)
    refused(st_file, "is not a readable safetensors file")


def test_safetensors_header_length_of_an_exabyte(st_file):
    raw = st_file.read_bytes()
    st_file.write_bytes(struct.pack("<Q", 2 ** 60) + raw[8:])
    refused(st_file, "is not a readable safetensors file")


def test_safetensors_deeply_nested_structure(st_file):
    deep = "[" * 200_000 + "]" * 200_000

    def nest(m):
        m.update(structure=deep, header_sha256=_text_digest(deep, m["metadata"]))

    edit_metadata(st_file, nest)
    refused(st_file, "nested too deeply")


def test_safetensors_structure_naming_a_tensor_that_is_not_there(st_file):
    def rename(m):
        structure = m["structure"].replace('"__tensor__": "w"', '"__tensor__": "zz"')
        m.update(structure=structure, header_sha256=_text_digest(structure, m["metadata"]))

    edit_metadata(st_file, rename)
    refused(st_file, "names tensor 'zz', which the file does not hold")


def test_safetensors_changed_number_in_the_structure(st_file):
    edit_metadata(st_file, lambda m: m.update(structure=m["structure"].replace("2", "3")))
    refused(st_file, "structure or metadata fails its SHA-256 check")


def test_safetensors_bfloat16_tensor_from_another_library(tmp_path):
    torch = pytest.importorskip("torch")
    from safetensors.torch import save_file

    path = tmp_path / "bf16.safetensors"
    save_file({"w": torch.ones(4, dtype=torch.bfloat16)}, str(path))
    refused(path, "bf16.safetensors")


# --- load_state_dict: everything is checked before anything changes -----------------------------------------


def test_module_state_with_a_string_array_is_refused_before_writing():
    model = nn.MLP(3, [4], 2)
    state = {k: v.numpy() + 1 for k, v in model.state_dict().items()}
    state["2.bias"] = np.array(["a", "b"])  # the last of 4 tensors: 3 would be written first
    with pytest.raises(RuntimeError, match="2.bias has dtype <U1; only numeric arrays can be loaded"):
        check_module_state(model, state)
    trainer = Trainer(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.1))
    full = trainer.state_dict()
    full["model"] = state
    before = snapshot(model)
    with pytest.raises(RuntimeError, match="<U1"):
        trainer.load_state_dict(full)
    assert unchanged(before, snapshot(model))


def test_module_state_with_a_none_object_array_is_refused():
    model = nn.MLP(3, [4], 2)
    state = {k: v.numpy() for k, v in model.state_dict().items()}
    state["0.bias"] = np.array([None] * 4, dtype=object)
    with pytest.raises(RuntimeError, match="0.bias has dtype object"):
        check_module_state(model, state)


def test_module_state_overflowing_float32_is_refused():
    model = nn.MLP(3, [4], 2)
    state = {k: v.numpy().astype(np.float64) for k, v in model.state_dict().items()}
    state["0.weight"][1, 2] = 1e39
    with pytest.raises(RuntimeError, match="0.weight holds values that overflow float32"):
        check_module_state(model, state)
    state["0.weight"][1, 2] = np.inf  # an inf that is there already is the caller's business
    check_module_state(model, state)


def test_module_load_state_dict_itself_changes_nothing_on_a_bad_tensor():
    model = nn.MLP(3, [4], 2)
    state = {k: v.numpy() + 1 for k, v in model.state_dict().items()}
    state["2.bias"] = np.array(["a", "b"])
    before = snapshot(model)
    with pytest.raises(RuntimeError, match="<U1"):
        model.load_state_dict(state)
    assert unchanged(before, snapshot(model))


def test_optimizer_state_of_another_optimizer_is_refused():
    model, adam = trained()
    sgd = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    with pytest.raises(ValueError, match="settings .*'betas'.* this optimizer's has .*'momentum'"):
        check_optimizer_state(sgd, adam.state_dict())
    bad = adam.state_dict()
    bad["state"][0]["exp_avg"] = np.array(["x"] * 32).reshape(8, 4)
    with pytest.raises(ValueError, match="state 'exp_avg' of parameter 0 has dtype <U1"):
        check_optimizer_state(adam, bad)


@pytest.mark.parametrize("spoil", ["numpy stream", "torch stream"])
def test_trainer_with_a_bad_rng_entry_changes_neither_model_nor_optimizer(spoil):
    model, opt = trained()
    trainer = Trainer(model, nn.CrossEntropyLoss(), opt)
    other_model, other_opt = nn.MLP(4, [8], 3), None
    other_opt = optim.Adam(other_model.parameters(), lr=0.5)
    state = Trainer(other_model, nn.CrossEntropyLoss(), other_opt).state_dict()
    if spoil == "numpy stream":
        state["rng"] = {**state["rng"], "state": "bogus"}
    else:  # a Mersenne Twister key of 3 words instead of 624
        state["rng"] = {**state["rng"], "torch": {**state["rng"]["torch"], "key": [1, 2, 3]}}
    before = snapshot(model, opt)
    rng_before = tg.rng.default_generator.get_state()
    with pytest.raises(ValueError, match="the checkpoint's rng: not a valid Generator state"):
        trainer.load_state_dict(state)
    assert unchanged(before, snapshot(model, opt))
    assert tg.rng.default_generator.get_state() == rng_before


def test_trainer_refuses_a_bogus_scheduler_state():
    model, opt = trained()
    scheduler = lr_scheduler.StepLR(opt, step_size=3)
    trainer = Trainer(model, nn.CrossEntropyLoss(), opt, scheduler)
    state = trainer.state_dict()
    state["scheduler"] = {"bogus": 1}
    before = snapshot(model, opt)
    with pytest.raises(ValueError, match="StepLR.load_state_dict: saved state has \\['bogus'\\]"):
        trainer.load_state_dict(state)
    assert unchanged(before, snapshot(model, opt)) and scheduler.step_size == 3


# --- fuzzing checkpoint files -----------------------------------------------------------------------------------

_FUZZ_MODEL, _FUZZ_OPT = None, None


def _fuzz_pair():
    global _FUZZ_MODEL, _FUZZ_OPT
    if _FUZZ_MODEL is None:
        _FUZZ_MODEL, _FUZZ_OPT = trained()
    return _FUZZ_MODEL, _FUZZ_OPT


mutation = st.one_of(
    st.tuples(st.just("flip"), st.integers(0, 10 ** 6), st.integers(1, 255)),
    st.tuples(st.just("truncate"), st.integers(0, 10 ** 6), st.just(0)),
    st.tuples(st.just("insert"), st.integers(0, 10 ** 6), st.integers(0, 255)),
    st.tuples(st.just("header-digit"), st.integers(0, 10 ** 6), st.integers(0, 9)),
)


def _mutate(data: bytes, mutations) -> bytes:
    data = bytearray(data)
    for kind, where, value in mutations:
        i = where % max(len(data), 1)
        if kind == "flip" and data:
            data[i] ^= value
        elif kind == "truncate":
            del data[i:]
        elif kind == "insert":
            data[i:i] = bytes([value])
        elif kind == "header-digit":  # a digit inside the JSON header: sizes, offsets, versions, numbers
            n = struct.unpack("<Q", bytes(data[:8]).ljust(8, b"\0"))[0] if len(data) >= 8 else 0
            digits = [j for j in range(8, min(8 + n, len(data))) if 48 <= data[j] <= 57]
            if digits:
                data[digits[where % len(digits)]] = 48 + value
    return bytes(data)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.booleans(), st.lists(mutation, min_size=1, max_size=3))
def test_fuzz_mutated_checkpoints_raise_the_documented_error_and_change_nothing(tmp_path, legacy, mutations):
    model, opt = _fuzz_pair()
    trainer = Trainer(model, nn.CrossEntropyLoss(), opt)
    state = trainer.state_dict()
    path = tmp_path / ("fuzz.npz" if legacy else "fuzz.safetensors")
    (save_v1 if legacy else tg.save)(state, path)
    original = path.read_bytes()
    path.write_bytes(_mutate(original, mutations))
    before = snapshot(model, opt)
    rng_before = tg.rng.default_generator.get_state()
    try:
        loaded = tg.load(path)
    except CheckpointError as e:
        assert path.name in str(e)
        return
    try:
        trainer.load_state_dict(loaded)
    except (ValueError, RuntimeError):
        assert unchanged(before, snapshot(model, opt)) and tg.rng.default_generator.get_state() == rng_before
        return
    # it loaded: then it must be the state that was saved (a change was caught by a checksum, or harmless)
    assert unchanged(before, snapshot(model, opt))
    if not legacy:
        assert loaded["epoch"] == state["epoch"] and loaded["history"] == state["history"]


# --- a run's model file describing a model far larger than its weights ---------------------------------------


def test_model_file_declaring_hidden_sizes_of_1e10_is_refused_before_building(tmp_path, capsys):
    from tinygrad_mlp.cli import main
    from tinygrad_mlp.experiment import load_run

    out = tmp_path / "run"
    assert main(["train", "--dataset", "iris", "--hidden", "8", "--epochs", "1", "--quiet", "--out", str(out)]) == 0

    def inflate(m):
        info = json.loads(m["metadata"])
        info["meta"]["model"]["hidden_sizes"] = [10 ** 10]
        m["metadata"] = json.dumps(info)
        m["header_sha256"] = _text_digest(m["structure"], m["metadata"])

    edit_metadata(out / "model.safetensors", inflate)
    outcome, peak = peak_bytes(lambda: load_run(out))
    assert isinstance(outcome, CheckpointError), repr(outcome)
    assert "layer sizes [4, 10000000000, 3] need 80000000003 weights, the file holds 67" in str(outcome)
    assert peak < 2 ** 22
    capsys.readouterr()
    assert main(["evaluate", str(out)]) == 2
    assert "model.safetensors: layer sizes" in capsys.readouterr().err
