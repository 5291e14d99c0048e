"""Module registration, traversal, modes, state_dict and display."""

import numpy as np
import pytest

import tinygrad_mlp as tg
from tinygrad_mlp import nn


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.hidden = nn.Linear(3, 4)
        self.blocks = nn.ModuleList([nn.Linear(4, 4), nn.Linear(4, 4)])
        self.out = nn.Linear(4, 2, bias=False)
        self.scale = nn.Parameter(tg.ones(1))
        self.register_buffer("counter", tg.zeros(1))
        self.note = "plain attribute"

    def forward(self, x):
        x = self.hidden(x).relu()
        for b in self.blocks:
            x = b(x).tanh()
        return self.out(x) * self.scale


def test_registration_and_names():
    net = Net()
    names = [n for n, _ in net.named_parameters()]
    assert names == ["scale", "hidden.weight", "hidden.bias", "blocks.0.weight", "blocks.0.bias",
                     "blocks.1.weight", "blocks.1.bias", "out.weight"]
    assert len(list(net.parameters())) == 8
    assert [n for n, _ in net.named_children()] == ["hidden", "blocks", "out"]
    assert [n for n, _ in net.named_modules()] == ["", "hidden", "blocks", "blocks.0", "blocks.1", "out"]
    assert [n for n, _ in net.named_buffers()] == ["counter"]
    assert list(net.state_dict()) == names[:1] + ["counter"] + names[1:] or set(net.state_dict()) == set(
        names + ["counter"])
    assert net.note == "plain attribute"


def test_shared_parameters_are_listed_once():
    layer = nn.Linear(2, 2)
    model = nn.Sequential(layer, nn.ReLU(), layer)
    assert len(list(model.parameters())) == 2


def test_train_eval_and_dropout_mode():
    model = nn.Sequential(nn.Linear(2, 2), nn.Dropout(0.5))
    assert model.training and model[1].training
    model.eval()
    assert not model.training and not model[1].training
    x = tg.ones(3, 2)
    assert model(x).equal(model[0](x))
    model.train()
    assert model[1].training


def test_zero_grad_and_requires_grad_():
    model = nn.Sequential(nn.Linear(2, 3), nn.Tanh(), nn.Linear(3, 1))
    model(tg.randn(4, 2)).sum().backward()
    assert all(p.grad is not None for p in model.parameters())
    model.zero_grad(set_to_none=False)
    assert all(p.grad is not None and not p.grad.numpy().any() for p in model.parameters())
    model.zero_grad()
    assert all(p.grad is None for p in model.parameters())
    model.requires_grad_(False)
    assert not any(p.requires_grad for p in model.parameters())


def test_apply_visits_every_module():
    model = nn.Sequential(nn.Linear(2, 3), nn.Sequential(nn.Linear(3, 3)), nn.Linear(3, 1))

    def init(m):
        if isinstance(m, nn.Linear):
            nn.init.constant_(m.weight, 0.5)

    model.apply(init)
    assert all((m.weight.numpy() == 0.5).all() for m in model.modules() if isinstance(m, nn.Linear))


def test_sequential_indexing_len_append_and_repr():
    model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3))
    assert len(model) == 3 and isinstance(model[-1], nn.Linear) and len(model[:2]) == 2
    model.append(nn.Softmax(dim=1))
    assert len(model) == 4 and list(model.state_dict()) == ["0.weight", "0.bias", "2.weight", "2.bias"]
    assert repr(model) == (
        "Sequential(\n"
        "  (0): Linear(in_features=4, out_features=8, bias=True)\n"
        "  (1): ReLU()\n"
        "  (2): Linear(in_features=8, out_features=3, bias=True)\n"
        "  (3): Softmax(dim=1)\n"
        ")"
    )
    with pytest.raises(IndexError):
        model[10]
    with pytest.raises(TypeError, match="not a Module"):
        nn.Sequential(nn.ReLU(), "relu")


def test_state_dict_round_trip_with_arrays_and_tensors():
    a, b = Net(), Net()
    sd = {k: v.numpy() for k, v in a.state_dict().items()}
    b.load_state_dict(sd)
    x = tg.randn(5, 3)
    assert np.array_equal(a(x).numpy(), b(x).numpy())
    b.load_state_dict(a.state_dict())
    assert np.array_equal(a(x).numpy(), b(x).numpy())


def test_load_state_dict_errors_list_problems_and_change_nothing():
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    before = {k: v.numpy().copy() for k, v in model.state_dict().items()}
    bad = {k: v.numpy() for k, v in model.state_dict().items()}
    bad["0.weight"] = np.zeros((5, 3), dtype=np.float32)
    del bad["2.bias"]
    bad["9.weight"] = np.zeros(1)
    with pytest.raises(RuntimeError) as err:
        model.load_state_dict(bad)
    msg = str(err.value)
    assert 'Missing key(s) in state_dict: "2.bias"' in msg
    assert 'Unexpected key(s) in state_dict: "9.weight"' in msg
    assert "size mismatch for 0.weight: copying a param with shape (5, 3)" in msg
    for k, v in model.state_dict().items():
        assert np.array_equal(v.numpy(), before[k])
    result = model.load_state_dict({"0.bias": np.ones(4)}, strict=False)
    assert result.missing_keys == ["0.weight", "2.weight", "2.bias"] and result.unexpected_keys == []
    assert model[0].bias.tolist() == [1, 1, 1, 1]


def test_to_double_converts_parameters_and_buffers():
    model = nn.Sequential(nn.Linear(2, 3), nn.BatchNorm1d(3))
    model.double()
    assert all(p.dtype == np.float64 for p in model.parameters())
    assert model[1].running_mean.dtype == np.float64 and model[1].num_batches_tracked.dtype == np.int64
    assert model(tg.randn(4, 2, dtype=tg.float64)).dtype == np.float64


def test_linear_shape_and_dtype_errors():
    layer = nn.Linear(784, 256)
    with pytest.raises(ValueError, match=r"Linear\(784→256\) got input of shape \(32, 28, 28\): last dimension 28 "
                                         r"!= in_features 784"):
        layer(tg.zeros(32, 28, 28))
    with pytest.raises(RuntimeError, match="input dtype float64 != weight dtype float32"):
        layer(tg.zeros(2, 784, dtype=tg.float64))
    with pytest.raises(ValueError, match="in_features must be a positive integer"):
        nn.Linear(0, 3)


def test_summary_counts_parameters_of_a_6_7_4_1_mlp():
    model = nn.Sequential(nn.Linear(6, 7), nn.Sigmoid(), nn.Linear(7, 4), nn.Sigmoid(), nn.Linear(4, 1))
    s = model.summary((6,))
    assert s.total_params == (6 + 1) * 7 + (7 + 1) * 4 + (4 + 1) * 1 == 86
    assert [r[3] for r in s.rows] == [49, 0, 32, 0, 5]
    assert [r[2] for r in s.rows] == ["(N, 7)", "(N, 7)", "(N, 4)", "(N, 4)", "(N, 1)"]
    assert "Total params: 86" in str(s) and tg.utils.summary(model).total_params == 86


def test_forward_hook_runs_and_can_be_removed():
    layer = nn.Linear(2, 2)
    seen = []
    handle = layer.register_forward_hook(lambda m, inp, out: seen.append(out.shape))
    layer(tg.zeros(3, 2))
    handle.remove()
    layer(tg.zeros(3, 2))
    assert seen == [(3, 2)]


def test_parameter_assignment_rules():
    layer = nn.Linear(2, 2)
    with pytest.raises(TypeError, match="as parameter 'weight'"):
        layer.weight = tg.zeros(2, 2)
    layer.weight = nn.Parameter(tg.zeros(2, 2))
    assert layer.weight.numpy().sum() == 0 and layer._parameters["weight"] is layer.weight


def test_clip_grad_norm_and_value():
    a = nn.Parameter(tg.tensor([3.0, 0.0]))
    b = nn.Parameter(tg.tensor([0.0, 4.0]))
    a.grad, b.grad = tg.tensor([3.0, 0.0]), tg.tensor([0.0, 4.0])
    norm = nn.utils.clip_grad_norm_([a, b], max_norm=1.0)
    assert norm.item() == pytest.approx(5.0)
    np.testing.assert_allclose(np.concatenate([a.grad.numpy(), b.grad.numpy()]), [0.6, 0, 0, 0.8], rtol=1e-5)
    a.grad = tg.tensor([3.0, -7.0])
    nn.utils.clip_grad_value_([a], 2.0)
    assert a.grad.tolist() == [2.0, -2.0]
    v = nn.utils.parameters_to_vector([a, b])
    assert v.tolist() == [3.0, 0.0, 0.0, 4.0]
    nn.utils.vector_to_parameters(tg.tensor([1.0, 2.0, 3.0, 4.0]), [a, b])
    assert a.tolist() == [1.0, 2.0] and b.tolist() == [3.0, 4.0]
