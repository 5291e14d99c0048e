"""Bad input gets a clear error — the right type, naming the op and what is wrong — and changes
nothing. One case per row; each snapshots the state it could damage and checks it afterwards."""

import gzip
import io

import numpy as np
import pytest

import tinygrad_mlp as tg
import tinygrad_mlp.functional as F
from tinygrad_mlp import data as D
from tinygrad_mlp import nn, optim
from tinygrad_mlp.train import Trainer, fit
from tinygrad_mlp.utils import CheckpointError

from ..checkpoint_files import edit_metadata


def weights(*objs):
    """A snapshot of every array a case could change."""
    out = {}
    for i, o in enumerate(objs):
        if isinstance(o, nn.Module):
            out.update({f"{i}.{k}": v.numpy().copy() for k, v in o.state_dict().items()})
        elif isinstance(o, optim.Optimizer):
            sd = o.state_dict()
            out[f"{i}.groups"] = repr(sd["param_groups"])
            for pk, st in sd["state"].items():
                out.update({f"{i}.{pk}.{k}": (v.numpy().copy() if isinstance(v, tg.Tensor) else v)
                            for k, v in st.items()})
        elif isinstance(o, tg.Tensor):
            out[f"{i}"] = o.numpy().copy()
            out[f"{i}.grad"] = None if o.grad is None else o.grad.numpy().copy()
    return out


def same(a, b):
    return a.keys() == b.keys() and all(
        (np.array_equal(a[k], b[k]) if isinstance(a[k], np.ndarray) else a[k] == b[k]) for k in a)


def trained_pair():
    model = nn.MLP(4, [8], 3)
    opt = optim.Adam(model.parameters(), lr=0.01)
    fit(model, nn.CrossEntropyLoss(), opt, (np.random.rand(20, 4), np.random.randint(0, 3, 20)), epochs=1,
        report_every=0, progress=False)
    return model, opt


def ckpt_bytes(obj):
    import tempfile
    from pathlib import Path

    path = Path(tempfile.mkdtemp()) / "c.safetensors"
    tg.save(obj, path)
    return path


# Each case builds its objects and returns (call, snapshot-able objects).
def c_matmul():
    a, b = tg.zeros(2, 3, requires_grad=True), tg.zeros(4, 5)
    return (lambda: a @ b), (a, b)


def c_broadcast():
    a, b = tg.zeros(3, 4, requires_grad=True), tg.zeros(5)
    return (lambda: a + b), (a, b)


def c_linear_shape():
    layer = nn.Linear(784, 256)
    return (lambda: layer(tg.zeros(32, 28, 28))), (layer,)


def c_linear_dtype():
    layer = nn.Linear(3, 2)
    return (lambda: layer(tg.zeros(4, 3, dtype=tg.float64))), (layer,)


def c_loss_shapes():
    out = tg.zeros(4, 1, requires_grad=True)
    return (lambda: F.mse_loss(out, tg.zeros(4))), (out,)


def c_load_state_dict():
    model = nn.MLP(3, [4], 2)
    sd = {k: v.numpy() for k, v in model.state_dict().items()}
    sd["0.weight"] = np.zeros((5, 3), dtype=np.float32)
    sd["0.bias"] = np.full(4, 7, dtype=np.float32)  # valid, must not be written either
    return (lambda: model.load_state_dict(sd)), (model,)


def c_cat():
    a, b = tg.zeros(2, 3), tg.zeros(3, 2)
    return (lambda: tg.cat([a, b])), (a, b)


def c_stack():
    a, b = tg.zeros(2), tg.zeros(3)
    return (lambda: tg.stack([a, b])), (a, b)


def c_targets_float():
    x = tg.zeros(4, 3, requires_grad=True)
    return (lambda: F.cross_entropy(x, tg.tensor([0.0, 1.0, 2.0, 1.0]))), (x,)


def c_targets_negative():
    x = tg.zeros(4, 3, requires_grad=True)
    return (lambda: F.cross_entropy(x, tg.tensor([0, -1, 2, 1]))), (x,)


def c_targets_too_big():
    x = tg.zeros(4, 3, requires_grad=True)
    return (lambda: nn.CrossEntropyLoss()(x, tg.tensor([0, 3, 2, 1]))), (x,)


def c_onehot_width():
    x = tg.zeros(4, 3, requires_grad=True)
    return (lambda: F.cross_entropy(x, tg.tensor(np.eye(4, dtype=np.float32)))), (x,)


def c_bce_targets():
    x = tg.full((3,), 0.5, requires_grad=True)
    return (lambda: F.binary_cross_entropy(x, tg.tensor([0.0, 1.5, 1.0]))), (x,)


def c_bce_inputs():
    x = tg.full((3,), 1.5, requires_grad=True)
    return (lambda: nn.BCELoss()(x, tg.tensor([0.0, 1.0, 1.0]))), (x,)


def c_nan_in_data():
    model, opt = nn.MLP(2, [4], 2), None
    opt = optim.SGD(model.parameters(), lr=0.1)
    X = np.ones((10, 2), dtype=np.float32)
    X[6, 0] = np.inf
    return (lambda: fit(model, nn.CrossEntropyLoss(), opt, (X, np.zeros(10, dtype=int)), epochs=1, batch_size=5,
                        shuffle=False, report_every=0, progress=False)), (model, opt)


def c_nan_loader():
    class Rows(D.Dataset):
        def __len__(self):
            return 10

        def __getitem__(self, i):
            return np.array([np.nan if i == 7 else 1.0, 0.0], dtype=np.float32), 0

    model = nn.MLP(2, [4], 2)
    opt = optim.Adam(model.parameters(), lr=0.1)
    return (lambda: fit(model, nn.CrossEntropyLoss(), opt, D.DataLoader(Rows(), batch_size=5), epochs=1,
                        report_every=0, progress=False)), (model, opt)


def hyper(cls, **kw):
    def case():
        p = nn.Parameter(tg.zeros(2))
        return (lambda: cls([p], **kw)), (p,)
    return case


def c_dropout_p():
    return (lambda: nn.Dropout(1.5)), ()


def c_batch_size():
    return (lambda: D.DataLoader(D.TensorDataset(np.zeros(3)), batch_size=0)), ()


def c_epochs():
    model = nn.MLP(2, [2], 2)
    opt = optim.SGD(model.parameters(), lr=0.1)
    return (lambda: fit(model, nn.CrossEntropyLoss(), opt, (np.zeros((2, 2)), np.zeros(2, dtype=int)), epochs=-2)), \
        (model, opt)


def c_hidden():
    return (lambda: nn.MLP(4, [8, 0], 3)), ()


def c_activation():
    return (lambda: nn.MLP(4, [8], 3, activation="swishy")), ()


def c_optimizer_name():
    from tinygrad_mlp.experiment import run

    return (lambda: run({"optimizer": "lbfgs", "epochs": 1, "report_every": 0, "progress": False})), ()


def c_loss_name():
    from tinygrad_mlp.experiment import run

    return (lambda: run({"loss": "hinge", "epochs": 1, "report_every": 0, "progress": False})), ()


def c_scheduler_name():
    from tinygrad_mlp.experiment import run

    return (lambda: run({"scheduler": "warm", "epochs": 1, "report_every": 0, "progress": False})), ()


def csv_case(text, target=-1):
    def case():
        return (lambda: D.load_csv(io.StringIO(text), target=target)), ()
    return case


def idx_case(kind):
    def case():
        import tempfile
        from pathlib import Path

        folder = Path(tempfile.mkdtemp())
        raw = bytes([0, 0, 8, 1]) + (10).to_bytes(4, "big") + bytes(range(10))
        if kind == "truncated":
            (folder / "f.gz").write_bytes(gzip.compress(raw[:-3]))
            return (lambda: D.read_idx(folder / "f.gz")), ()
        if kind == "magic":
            (folder / "f").write_bytes(b"\x01\x02" + raw[2:])
            return (lambda: D.read_idx(folder / "f")), ()
        (folder / "f").write_bytes(raw)
        return (lambda: D.read_idx(folder / "f", expected_md5="0" * 32)), ()
    return case


def image_case(kind):
    def case():
        pytest.importorskip("PIL", reason="Pillow not installed: pip install -e '.[image]'")
        import tempfile
        from pathlib import Path

        from PIL import Image

        folder = Path(tempfile.mkdtemp())
        (folder / "cat").mkdir()
        Image.fromarray(np.zeros((4, 4), dtype=np.uint8)).save(folder / "cat" / "a.png")
        if kind == "unlabelled":
            Image.fromarray(np.zeros((4, 4), dtype=np.uint8)).save(folder / "loose.png")
        else:
            (folder / "cat" / "b.png").write_bytes(b"\x89PNG broken")
        return (lambda: D.load_image_folder(folder)), ()
    return case


def ckpt_case(kind):
    def case():
        model, opt = trained_pair()
        trainer = Trainer(model, nn.CrossEntropyLoss(), opt)
        state = trainer.state_dict()
        if kind == "other_architecture":
            other = nn.MLP(4, [16], 3)
            state["model"] = other.state_dict()
            path = ckpt_bytes(state)
        elif kind == "other_optimizer_groups":
            state["optimizer"]["param_groups"] = state["optimizer"]["param_groups"] * 2
            path = ckpt_bytes(state)
        else:
            path = ckpt_bytes(state)
            data = path.read_bytes()
            if kind == "truncated":
                path.write_bytes(data[: len(data) // 3])
            elif kind == "corrupted":
                flipped = bytearray(data)
                flipped[-3] ^= 0x10
                path.write_bytes(bytes(flipped))
            elif kind == "version":
                edit_metadata(path, lambda m: m.update(version="7"))
        return (lambda: trainer.load_state_dict(tg.load(path))), (model, opt)
    return case


def c_backward_nonscalar():
    x = tg.ones(3, requires_grad=True)
    y = x * 2
    return (lambda: y.backward()), (x,)


def c_backward_no_grad():
    x = tg.ones(3)
    return (lambda: (x * 2).sum().backward()), (x,)


def c_backward_twice():
    x = tg.ones(3, requires_grad=True)
    y = (x * x).sum()
    y.backward()
    return (lambda: y.backward()), (x,)


def c_int_grad():
    return (lambda: tg.arange(3).requires_grad_()), ()


def c_inplace_leaf():
    w = tg.ones(3, requires_grad=True)
    return (lambda: w.mul_(2)), (w,)


def c_inplace_version():
    w = tg.ones(3, requires_grad=True)
    loss = (w * w).sum()
    with tg.no_grad():
        w.add_(1)
    return (lambda: loss.backward()), (w,)


def c_resume_missing():
    model, opt = trained_pair()
    trainer = Trainer(model, nn.CrossEntropyLoss(), opt)
    return (lambda: trainer.load_state_dict({"model": model.state_dict()})), (model, opt)


def c_reduction():
    x = tg.zeros(2, 3, requires_grad=True)
    return (lambda: F.cross_entropy(x, tg.tensor([0, 1]), reduction="avg")), (x,)


def c_getitem():
    x = tg.zeros(2, 3, requires_grad=True)
    return (lambda: x[5]), (x,)


def c_reshape():
    x = tg.zeros(2, 3)
    return (lambda: x.reshape(4, 2)), (x,)


def c_dim():
    x = tg.zeros(2, 3)
    return (lambda: x.softmax(dim=3)), (x,)


def c_metric():
    model = nn.MLP(2, [2], 2)
    opt = optim.SGD(model.parameters(), lr=0.1)
    return (lambda: fit(model, nn.CrossEntropyLoss(), opt, (np.zeros((2, 2)), np.zeros(2, dtype=int)), epochs=1,
                        metrics=("precision@k",))), (model, opt)


CASES = [
    ("matmul shape mismatch", c_matmul, RuntimeError, r"matmul: shapes \(2, 3\) and \(4, 5\) cannot be multiplied"),
    ("elementwise broadcast", c_broadcast, ValueError, r"Add: inputs \(3, 4\) float32, \(5,\) float32"),
    ("Linear input shape", c_linear_shape, ValueError,
     r"Linear\(784→256\) got input of shape \(32, 28, 28\): last dimension 28 != in_features 784"),
    ("Linear input dtype", c_linear_dtype, RuntimeError, "input dtype float64 != weight dtype float32"),
    ("loss shapes", c_loss_shapes, ValueError, r"mse_loss: input shape \(4, 1\) and target shape \(4,\) differ"),
    ("load_state_dict shape", c_load_state_dict, RuntimeError, "size mismatch for 0.weight"),
    ("cat shapes", c_cat, RuntimeError, "cat: sizes of tensors must match except in dimension 0"),
    ("stack shapes", c_stack, RuntimeError, "stack: expects each tensor to be equal size"),
    ("float class targets", c_targets_float, ValueError, "probability targets must have the input's shape"),
    ("negative class target", c_targets_negative, IndexError, "target -1 is out of bounds for 3 classes"),
    ("class target too big", c_targets_too_big, IndexError, "target 3 is out of bounds for 3 classes"),
    ("one-hot width", c_onehot_width, ValueError, r"probability targets must have the input's shape \(4, 3\)"),
    ("BCE targets outside [0, 1]", c_bce_targets, ValueError, r"targets must be in \[0, 1\]"),
    ("BCE inputs not probabilities", c_bce_inputs, ValueError, "input values must be probabilities"),
    ("inf in training data", c_nan_in_data, ValueError, "NaN or inf .*row 6 of the data set"),
    ("NaN from a generic loader", c_nan_loader, ValueError, "NaN or inf .*epoch 1, step 2"),
    ("lr < 0", hyper(optim.SGD, lr=-1.0), ValueError, "invalid learning rate lr=-1.0"),
    ("betas >= 1", hyper(optim.Adam, betas=(0.9, 1.0)), ValueError, r"invalid betas=\(0.9, 1.0\)"),
    ("betas < 0", hyper(optim.AdamW, betas=(-0.5, 0.9)), ValueError, "invalid betas"),
    ("momentum < 0", hyper(optim.SGD, lr=0.1, momentum=-0.9), ValueError, "invalid momentum=-0.9"),
    ("weight_decay < 0", hyper(optim.RMSprop, weight_decay=-1), ValueError, "invalid weight_decay"),
    ("dropout p", c_dropout_p, ValueError, "probability p must be between 0 and 1, got 1.5"),
    ("batch_size < 1", c_batch_size, ValueError, "batch_size must be a positive integer"),
    ("epochs < 0", c_epochs, ValueError, "epochs must be a non-negative integer, got -2"),
    ("hidden size 0", c_hidden, ValueError, r"layer sizes must be positive integers, got \[4, 8, 0, 3\]"),
    ("unknown activation", c_activation, ValueError, "unknown activation 'swishy'; valid: relu"),
    ("unknown optimizer", c_optimizer_name, ValueError, "unknown optimizer 'lbfgs'; valid choices: sgd, adam"),
    ("unknown loss", c_loss_name, ValueError, "unknown loss 'hinge'; valid choices: cross_entropy"),
    ("unknown scheduler", c_scheduler_name, ValueError, "unknown scheduler 'warm'; valid choices: none, step"),
    ("unknown metric", c_metric, ValueError, "unknown metric 'precision@k'; valid: accuracy"),
    ("unknown reduction", c_reduction, ValueError, "reduction must be one of mean, sum, none; got 'avg'"),
    ("CSV missing value", csv_case("a,b,y\n1,2,0\n3,,1\n"), ValueError, "line 3, column 'b': missing value"),
    ("CSV non-numeric cell", csv_case("a,b,y\n1,x2,0\n"), ValueError, "line 2, column 'b': 'x2' is not a number"),
    ("CSV ragged row", csv_case("a,b,y\n1,2,0\n1,2\n"), ValueError, "line 3 has 2 columns, expected 3"),
    ("CSV missing label", csv_case("a,b,y\n1,2,\n", "y"), ValueError, "line 2, column 'y': missing value"),
    ("IDX truncated", idx_case("truncated"), ValueError, "truncated"),
    ("IDX magic number", idx_case("magic"), ValueError, "wrong magic number"),
    ("IDX checksum", idx_case("checksum"), ValueError, "fails its checksum"),
    ("image folder unlabelled", image_case("unlabelled"), ValueError, "unlabelled images at its top level"),
    ("image unreadable", image_case("unreadable"), ValueError, "b.png is not a readable image"),
    ("checkpoint truncated", ckpt_case("truncated"), CheckpointError, "truncated or corrupted"),
    ("checkpoint corrupted", ckpt_case("corrupted"), CheckpointError, "fails its SHA-256 check"),
    ("checkpoint other architecture", ckpt_case("other_architecture"), RuntimeError, "size mismatch for 0.weight"),
    ("checkpoint other optimizer", ckpt_case("other_optimizer_groups"), ValueError, "saved state has 2 parameter"),
    ("checkpoint format version", ckpt_case("version"), CheckpointError, "format version 7"),
    ("checkpoint not a training one", c_resume_missing, ValueError, "the checkpoint has no 'optimizer'"),
    ("backward on non-scalar", c_backward_nonscalar, RuntimeError, "implicitly created only for scalar outputs"),
    ("backward without grad", c_backward_no_grad, RuntimeError, "does not require grad"),
    ("backward twice", c_backward_twice, RuntimeError, "backward through the graph a second time"),
    ("integer tensor grad", c_int_grad, RuntimeError, "only Tensors of floating point dtype can require gradients"),
    ("in-place on leaf", c_inplace_leaf, RuntimeError, "leaf Variable that requires grad is being used in an in-place"),
    ("modified before backward", c_inplace_version, RuntimeError, "modified by an inplace operation"),
    ("index out of range", c_getitem, IndexError, r"getitem: index 5 is invalid for a tensor of shape \(2, 3\)"),
    ("bad reshape", c_reshape, RuntimeError, r"reshape: shape \(4, 2\) is invalid for input of shape \(2, 3\)"),
    ("dim out of range", c_dim, IndexError, "softmax: dimension 3 is out of range"),
]


@pytest.mark.parametrize("name,build,error,words", CASES, ids=[c[0] for c in CASES])
def test_bad_input_is_refused_clearly_and_changes_nothing(name, build, error, words):
    call, objects = build()
    before = weights(*objects)
    with pytest.raises(error, match=words):
        call()
    assert same(before, weights(*objects)), f"{name}: state changed"


def test_there_are_at_least_forty_cases():
    assert len(CASES) >= 40
