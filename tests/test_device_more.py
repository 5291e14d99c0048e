"""``Tensor.device`` as a device object, and every way onto a device that is not there, against the installed
torch (CPU-only here, as this machine)."""

import numpy as np
import pytest

import tinygrad_mlp as tg

torch = pytest.importorskip("torch", reason="torch not installed: pip install -e '.[torch]'")


def test_tensor_device_is_a_device_like_torchs():
    ours, theirs = tg.ones(2).device, torch.ones(2).device
    assert repr(ours) == repr(theirs) == "device(type='cpu')"
    assert str(ours) == str(theirs) == "cpu"
    assert (ours.type, ours.index) == (theirs.type, theirs.index) == ("cpu", None)
    assert ours == tg.device("cpu") and theirs == torch.device("cpu")
    assert ours != tg.device("cpu", 0) and theirs != torch.device("cpu", 0)
    assert ours != tg.device("cuda") and theirs != torch.device("cuda")
    assert {ours: 1}[tg.device("cpu")] == 1
    assert (ours == "cpu") is (theirs == "cpu") is False  # a device never equals a string, in torch either
    assert isinstance(ours, tg.device)
    assert tg.ones(2).is_cuda is torch.ones(2).is_cuda is False
    assert tg.ones(2).get_device() == torch.ones(2).get_device() == -1


@pytest.mark.parametrize("name", ["cuda", "cuda:1"])
def test_devices_are_constructible_as_torch(name):
    assert repr(tg.device(name)) == repr(torch.device(name))
    assert (tg.device(name).type, tg.device(name).index) == (torch.device(name).type, torch.device(name).index)


def test_moving_to_the_cpu_keeps_the_tensor():
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    assert x.to(tg.device("cpu")) is x and x.to("cpu") is x and x.cpu() is x and x.to(x.device) is x
    assert x.to("cpu", tg.float64).dtype == np.float64 and x.to(device="cpu", dtype=tg.float64).dtype == np.float64
    for make in (lambda d: tg.tensor([1.0], device=d), lambda d: tg.zeros(2, device=d),
                 lambda d: tg.arange(3, device=d), lambda d: tg.randn(2, device=d), lambda d: tg.eye(2, device=d)):
        assert make("cpu").device == tg.device("cpu") and make(tg.device("cpu")).device.type == "cpu"


@pytest.mark.parametrize("move", [
    lambda lib: lib.ones(2).to("cuda"), lambda lib: lib.ones(2).to(lib.device("cuda:0")),
    lambda lib: lib.ones(2).cuda(),
    lambda lib: lib.tensor([1.0], device="cuda"), lambda lib: lib.zeros(2, device=lib.device("cuda")),
    lambda lib: lib.randn(2, device="cuda"), lambda lib: lib.ones(2).to(device="cuda", dtype=lib.float64),
])
def test_cuda_is_refused_with_torchs_error(move):
    with pytest.raises(AssertionError, match="Torch not compiled with CUDA enabled"):
        move(torch)
    with pytest.raises(AssertionError, match="Torch not compiled with CUDA enabled.*CPU only"):
        move(tg)
    with pytest.raises(RuntimeError, match="CPU only"):  # (a RuntimeError too, as before)
        move(tg)


def test_a_refused_draw_leaves_the_random_stream_alone():
    tg.manual_seed(0)
    with pytest.raises(AssertionError):
        tg.randn(3, device="cuda")
    first = tg.randn(3).numpy()
    tg.manual_seed(0)
    np.testing.assert_array_equal(tg.randn(3).numpy(), first)


def test_a_bad_device_name_is_refused_as_torch():
    for lib in (tg, torch):
        with pytest.raises(RuntimeError, match="Expected one of cpu, cuda"):
            lib.zeros(2, device="gpu")


def test_new_tensors_and_module_to_refuse_a_gpu_as_torch_does_without_one():
    x, model = tg.ones(2), tg.nn.Linear(2, 2)
    for make in (lambda: x.new_zeros(2, device="cuda"), lambda: x.new_ones(2, device="cuda"),
                 lambda: x.new_empty(2, device="cuda"), lambda: x.new_full((2,), 1.0, device="cuda"),
                 lambda: x.new_tensor([1.0], device="cuda"), lambda: model.to("cuda")):
        with pytest.raises(AssertionError, match="Torch not compiled with CUDA enabled"):
            make()
    with pytest.raises(RuntimeError, match="Cannot access accelerator device when none is available"):
        model.to(0)  # an index means the accelerator, as in torch
    assert x.new_zeros(2, device="cpu").tolist() == [0.0, 0.0] and model.to("cpu") is model
