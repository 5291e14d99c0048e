"""torch idioms common in real scripts, checked against the installed torch: inference_mode (and grad-mode
classes as bare decorators), as_tensor's sharing rule, meshgrid, and torch.load's arguments."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tinygrad_mlp as tg

torch = pytest.importorskip("torch", reason="torch not installed: pip install -e '.[torch]'")


# --- grad modes ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("lib", [tg, torch], ids=["tg", "torch"])
def test_inference_mode_states_as_torch(lib):
    x = lib.ones(2, requires_grad=True)
    seen = []
    with lib.inference_mode():
        seen.append((lib.is_grad_enabled(), lib.is_inference_mode_enabled(), (x * 2).requires_grad))
        with lib.inference_mode(False):  # records again
            seen.append((lib.is_grad_enabled(), lib.is_inference_mode_enabled(), (x * 2).requires_grad))
    with lib.no_grad():
        seen.append((lib.is_grad_enabled(), lib.is_inference_mode_enabled(), (x * 2).requires_grad))
    seen.append((lib.is_grad_enabled(), lib.is_inference_mode_enabled(), (x * 2).requires_grad))
    assert seen == [(False, True, False), (True, False, True), (False, False, False), (True, False, True)]


@pytest.mark.parametrize("name", ["no_grad", "enable_grad", "inference_mode"])
def test_grad_modes_work_as_bare_decorators_and_called_ones(name):
    records = []
    for lib in (tg, torch):
        mode = getattr(lib, name)

        @mode
        def bare(x):
            return (x * 2).requires_grad

        @mode()
        def called(x):
            return (x * 2).requires_grad

        x = lib.ones(2, requires_grad=True)
        with lib.no_grad():
            inside = (bare(x), called(x))
        records.append((bare(x), called(x), inside, bare.__name__))
    assert records[0] == records[1]


# --- as_tensor ---------------------------------------------------------------------------------------------


def test_as_tensor_shares_an_array_of_the_same_dtype_and_copies_otherwise_as_torch():
    for lib in (tg, torch):
        a = np.zeros(3, np.float32)
        same, other = lib.as_tensor(a), lib.as_tensor(a, dtype=lib.float64)
        a[0] = 7
        assert same.tolist() == [7.0, 0.0, 0.0] and other.tolist() == [0.0, 0.0, 0.0]
        assert same.dtype == lib.float32 and other.dtype == lib.float64
        t = lib.ones(2)
        assert lib.as_tensor(t) is t and lib.as_tensor(t, dtype=lib.float32) is t
        assert lib.as_tensor(t, dtype=lib.int64).dtype == lib.int64
        assert lib.as_tensor([1, 2]).dtype == lib.int64 and lib.as_tensor(1.5).dtype == lib.float32
        assert lib.as_tensor(np.arange(3)).dtype == lib.int64  # numpy's int64 kept


def test_as_tensor_refuses_cuda_as_the_other_factories_do():
    with pytest.raises((RuntimeError, AssertionError)):
        tg.as_tensor([1.0], device="cuda")


# --- meshgrid ----------------------------------------------------------------------------------------------


@settings(max_examples=25, deadline=None)
@given(sizes=st.lists(st.integers(0, 4), min_size=1, max_size=4), indexing=st.sampled_from(["ij", "xy"]),
       zero_d=st.booleans(), as_list=st.booleans())
def test_meshgrid_values_shapes_and_gradients_match_torch(sizes, indexing, zero_d, as_list):
    rng = np.random.default_rng(len(sizes))
    arrays = [rng.standard_normal(n) for n in sizes]
    if zero_d:
        arrays[0] = np.array(1.5)
    ours = [tg.tensor(a, requires_grad=True) for a in arrays]
    theirs = [torch.tensor(a, requires_grad=True) for a in arrays]
    go = tg.meshgrid(ours, indexing=indexing) if as_list else tg.meshgrid(*ours, indexing=indexing)
    gt = torch.meshgrid(theirs, indexing=indexing) if as_list else torch.meshgrid(*theirs, indexing=indexing)
    assert len(go) == len(gt)
    weights = [rng.standard_normal(tuple(g.shape)) for g in gt]
    for o, t in zip(go, gt):
        assert tuple(o.shape) == tuple(t.shape)
        np.testing.assert_array_equal(o.numpy(), t.detach().numpy())
    if all(n > 0 for n in sizes):
        sum((o * tg.tensor(w)).sum() for o, w in zip(go, weights)).backward()
        sum((t * torch.tensor(w)).sum() for t, w in zip(gt, weights)).backward()
        for o, t in zip(ours, theirs):
            np.testing.assert_allclose(o.grad.numpy(), t.grad.numpy(), rtol=1e-12, atol=1e-12)


def test_meshgrid_defaults_to_ij_and_refuses_what_torch_refuses():
    a, b = tg.arange(3.0), tg.arange(2.0)
    assert tuple(tg.meshgrid(a, b)[0].shape) == (3, 2)
    for args, kwargs, message in [((tg.ones(2, 2), a), {}, "Expected 0D or 1D tensor"),
                                  ((a, tg.arange(2)), {}, "same dtype"),
                                  ((), {}, "non-empty TensorList"),
                                  ((a, b), {"indexing": "zz"}, 'indexing must be one of "xy" or "ij"')]:
        with pytest.raises(RuntimeError, match=message):
            tg.meshgrid(*args, **kwargs)
        with pytest.raises(RuntimeError, match=message.split(" (")[0]):
            torch.meshgrid(*[torch.tensor(t.numpy()) for t in args], **kwargs)


# --- torch.load's arguments -------------------------------------------------------------------------------


def test_load_takes_torch_loads_arguments(tmp_path):
    path = tmp_path / "model.pt"
    model = tg.nn.Linear(2, 2)
    tg.save(model.state_dict(), path)
    for where in (None, "cpu", tg.device("cpu"), {"cuda:0": "cpu"}, lambda storage, location: storage):
        state = tg.load(path, map_location=where, weights_only=True, mmap=False)
        np.testing.assert_array_equal(state["weight"].numpy(), model.weight.numpy())
    assert tg.load(path, "cpu", weights_only=False, encoding="latin1")["bias"].shape == (2,)
    for where in ("cuda", "cuda:0", tg.device("cuda", 0), {"cpu": "cuda:1"}):
        with pytest.raises(RuntimeError, match="Attempting to deserialize object on a CUDA device"):
            tg.load(path, map_location=where)
    with pytest.raises(RuntimeError, match="don't know how to restore"):
        tg.load(path, map_location="xyz")
    with pytest.raises(ValueError, match="never unpickles"):
        tg.load(path, pickle_module=object())
    with pytest.raises(TypeError, match="unexpected keyword argument 'bogus'"):
        tg.load(path, bogus=1)


def test_torch_refuses_the_same_cuda_map_location_here(tmp_path):
    """(the message above is torch's own, on a machine without CUDA)"""
    if torch.cuda.is_available():  # pragma: no cover - CPU-only CI
        pytest.skip("this machine has CUDA")
    path = tmp_path / "t.pt"
    torch.save(torch.nn.Linear(2, 2).state_dict(), path)
    with pytest.raises(RuntimeError, match="Attempting to deserialize object on a CUDA device"):
        torch.load(path, map_location="cuda", weights_only=True)


# --- nn.Module / Sequential API ------------------------------------------------------------------------


def test_sequential_insert_and_pop_as_torch():
    shapes = []
    for lib in (tg, torch):
        s = lib.nn.Sequential(lib.nn.Linear(2, 3), lib.nn.ReLU())
        s.insert(-1, lib.nn.Tanh())
        s.insert(3, lib.nn.Sigmoid())
        s.insert(0, lib.nn.Identity())
        popped = s.pop(2)
        shapes.append(([type(m).__name__ for m in s], type(popped).__name__, list(s.state_dict()), repr(s).split("\n")))
        with pytest.raises(IndexError, match="Index out of range: 9"):
            s.insert(9, lib.nn.ReLU())
        with pytest.raises(AssertionError, match="module should be of type"):
            s.insert(0, 3)
    assert shapes[0][:3] == shapes[1][:3] and shapes[0][3] == shapes[1][3]


def test_get_parameter_and_get_buffer_as_torch():
    messages = []
    for lib in (tg, torch):
        m = lib.nn.Sequential(lib.nn.Linear(2, 2), lib.nn.BatchNorm1d(2))
        assert m.get_parameter("0.weight") is m[0].weight and m.get_buffer("1.running_mean") is m[1].running_mean
        found = []
        for call, target in (("get_parameter", "0.nope"), ("get_parameter", "5.weight"),
                             ("get_parameter", "0.training"), ("get_buffer", "0.weight")):
            with pytest.raises(AttributeError) as e:
                getattr(m, call)(target)
            found.append(str(e.value))
        messages.append(found)
    assert messages[0] == messages[1]


def test_save_and_load_through_a_file_object(tmp_path):
    import io

    buffer = io.BytesIO()
    model = tg.nn.Linear(3, 2)
    tg.save({"model": model.state_dict(), "epoch": 4}, buffer)
    buffer.seek(0)
    state = tg.load(buffer, map_location="cpu", weights_only=True)
    assert state["epoch"] == 4
    np.testing.assert_array_equal(state["model"]["weight"].numpy(), model.weight.numpy())
    with open(tmp_path / "m.pt", "wb") as f:  # an open file too
        tg.save(model.state_dict(), f)
    with open(tmp_path / "m.pt", "rb") as f:
        np.testing.assert_array_equal(tg.load(f)["bias"].numpy(), model.bias.numpy())
    with pytest.raises(tg.utils.serialization.CheckpointError, match="the file object 'BytesIO' is not a readable"):
        tg.load(io.BytesIO(b"not a checkpoint"))


def test_tensor_dataset_rows_are_tensors_and_datasets_add_as_torch():
    rows = []
    for lib in (tg, torch):
        data = lib.utils.data
        ds = data.TensorDataset(lib.tensor(np.arange(12.0).reshape(4, 3)), lib.tensor([0, 1, 0, 1]))
        x, y = ds[2]
        assert isinstance(x, lib.Tensor) and isinstance(y, lib.Tensor)
        both = ds + data.TensorDataset(lib.tensor(np.ones((2, 3))), lib.tensor([5, 6]))
        assert isinstance(both, data.ConcatDataset)
        rows.append((x.unsqueeze(0).tolist(), y.item(), len(both), both[5][1].item(), both[-1][0].tolist(),
                     [t.tolist() for t in ds.tensors]))
    assert rows[0] == rows[1]


def test_sequential_pop_by_position_and_slice_as_torch():
    results = []
    for lib in (tg, torch):
        relu = lib.nn.ReLU()
        s = lib.nn.Sequential(relu, lib.nn.Linear(2, 2), relu)
        s.pop(0)
        t = lib.nn.Sequential(lib.nn.Linear(2, 2), lib.nn.ReLU(), lib.nn.Linear(2, 2))
        popped = t.pop(slice(0, 2))
        results.append(([type(m).__name__ for m in s], [type(m).__name__ for m in t], len(popped)))
    assert results[0] == results[1]


def test_loaders_collate_dict_samples_and_honour_a_subclass_getitem_as_torch():
    batches = []
    for lib, loaders in ((tg, (tg.utils.data.DataLoader, tg.data.DataLoader)), (torch, (torch.utils.data.DataLoader,))):
        data = lib.utils.data

        class Fields(data.Dataset):
            def __len__(self):
                return 3

            def __getitem__(self, i, lib=lib):
                return {"x": lib.full((2,), float(i)), "y": i}

        class Plus100(data.TensorDataset):
            def __getitem__(self, i):
                return tuple(t + 100 for t in super().__getitem__(i))

        for loader in loaders:
            batch = next(iter(loader(Fields(), batch_size=3)))
            shifted = next(iter(loader(Plus100(lib.arange(6.0).reshape(3, 2)), batch_size=2)))
            batches.append((sorted(batch), batch["x"].tolist(), batch["y"].tolist(), shifted[0].tolist()))
    assert batches[0] == batches[1] == batches[2]
