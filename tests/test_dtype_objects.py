"""tg's dtypes as torch's: one object per dtype that prints as ``tinygrad_mlp.float32`` (torch.float32 in
torch), with torch's attributes, checked against the installed torch; and each still a numpy dtype for numpy
(np.zeros, np.asarray, np.dtype, np.issubdtype, np.result_type, astype) and for ``==`` and hashing."""

import copy
import itertools
import pickle
import warnings

import numpy as np
import pytest

import tinygrad_mlp as tg

torch = pytest.importorskip("torch")

# torch's names that tg has, aliases included
NAMES = ["float32", "float", "float64", "double", "float16", "half", "int64", "long", "int32", "int", "int16",
         "short", "int8", "uint8", "uint16", "uint32", "uint64", "bool", "complex64", "cfloat", "complex128",
         "cdouble"]
CANONICAL = ["float32", "float64", "float16", "int64", "int32", "int16", "int8", "uint8", "uint16", "uint32",
             "uint64", "bool", "complex64", "complex128"]
NUMPY = {n: np.dtype(getattr(tg, n).name) for n in CANONICAL}


def in_our_names(text):
    return text.replace("torch.", "tinygrad_mlp.")


def data_for(name):
    return [True, False] if name == "bool" else [1, 2]


# --- printing ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", NAMES)
def test_every_dtype_prints_as_torchs(name, capsys):
    ours, theirs = getattr(tg, name), getattr(torch, name)
    assert repr(ours) == in_our_names(repr(theirs))
    assert str(ours) == in_our_names(str(theirs))
    assert f"{ours}" == in_our_names(f"{theirs}")
    print(ours, theirs)
    a, b = capsys.readouterr().out.split()
    assert a == in_our_names(b)


@pytest.mark.parametrize("name", CANONICAL)
@pytest.mark.parametrize("default", ["float32", "float64"])
def test_tensors_of_every_dtype_print_as_torchs(name, default):
    tg.set_default_dtype(getattr(tg, default))
    torch.set_default_dtype(getattr(torch, default))
    try:
        ours = tg.tensor(data_for(name), dtype=getattr(tg, name))
        theirs = torch.tensor(data_for(name), dtype=getattr(torch, name))
        assert repr(ours) == in_our_names(repr(theirs))
        assert str(ours) == in_our_names(str(theirs))
        assert repr(ours.dtype) == in_our_names(repr(theirs.dtype))
        assert ours.type() == in_our_names(theirs.type())  # tinygrad_mlp.FloatTensor, ...
    finally:
        torch.set_default_dtype(torch.float32)


def test_graph_and_parameter_reprs_name_the_dtype_as_torch():
    x = tg.tensor([1.0, 2.0], requires_grad=True).double()
    assert repr(x).endswith("dtype=tinygrad_mlp.float64, grad_fn=<CastBackward0>)")
    assert repr(tg.get_default_dtype()) == in_our_names(repr(torch.get_default_dtype()))
    params = tg.nn.ParameterList([tg.nn.Parameter(tg.ones(2, 3))])
    assert "[tinygrad_mlp.float32 of size 2x3]" in repr(params)
    assert "[torch.float32 of size 2x3]" in repr(torch.nn.ParameterList([torch.nn.Parameter(torch.ones(2, 3))]))


# --- identity, equality, hashing ------------------------------------------------------------------------


def test_aliases_are_the_same_object_exactly_where_torchs_are():
    for a, b in itertools.product(NAMES, NAMES):
        assert (getattr(tg, a) is getattr(tg, b)) == (getattr(torch, a) is getattr(torch, b)), (a, b)
        assert (getattr(tg, a) == getattr(tg, b)) == (getattr(torch, a) == getattr(torch, b)), (a, b)


@pytest.mark.parametrize("name", CANONICAL)
def test_a_tensors_dtype_is_the_one_object(name):
    x = tg.tensor(data_for(name), dtype=getattr(tg, name))
    assert x.dtype is getattr(tg, name)
    assert x.clone().dtype is x.detach().dtype is x[:1].dtype is getattr(tg, name)
    assert tg.tensor(np.array(data_for(name), NUMPY[name])).dtype is getattr(tg, name)
    assert isinstance(x.dtype, tg.dtype) and isinstance(torch.float32, torch.dtype)
    assert tg.dtype(NUMPY[name]) is getattr(tg, name)  # (the constructor gives the one object too)


def test_the_default_dtype_is_the_object_as_in_torch():
    assert tg.get_default_dtype() is tg.float32
    assert tg.tensor(1.5).dtype is tg.get_default_dtype()
    tg.set_default_dtype(tg.float64)
    torch.set_default_dtype(torch.float64)
    try:
        assert tg.get_default_dtype() is tg.float64 and torch.get_default_dtype() is torch.float64
        assert tg.tensor(1.5).dtype is tg.float64
    finally:
        torch.set_default_dtype(torch.float32)
    tg.set_default_dtype(np.float32)  # (numpy's spelling is taken as well)
    assert tg.get_default_dtype() is tg.float32
    with pytest.raises(TypeError):
        tg.set_default_dtype(tg.int64)
    with pytest.raises(TypeError):
        torch.set_default_dtype(torch.int64)


@pytest.mark.parametrize("name", CANONICAL)
def test_equal_to_numpys_spellings_both_ways_and_hashed_as_numpys(name):
    ours, npd = getattr(tg, name), NUMPY[name]
    for other in (npd, npd.type, npd.name, npd.str):
        assert ours == other and other == ours, other
        assert not (ours != other) and not (other != ours), other
    assert hash(ours) == hash(npd)
    assert {npd: "found"}[ours] == "found" and {ours: "found"}[npd] == "found"
    assert ours in {npd} and npd in {ours}
    assert tg.tensor(data_for(name), dtype=ours).dtype in (npd,)
    others = [getattr(tg, n) for n in CANONICAL if n != name]
    assert all(ours != o and o != ours and ours != NUMPY[o.name] for o in others)
    # never equal to None or to something that is not a dtype (numpy's dtype(None) is float64; torch's: False)
    assert ours != None and None != ours  # noqa: E711
    assert (torch.float64 == None) is False  # noqa: E711
    assert ours != "not a dtype" and ours != 3 and ours != getattr(torch, name)


def test_pickle_and_copy_keep_the_one_object_as_torch():
    for name in CANONICAL:
        ours, theirs = getattr(tg, name), getattr(torch, name)
        assert pickle.loads(pickle.dumps(ours)) is ours and pickle.loads(pickle.dumps(theirs)) is theirs
        assert copy.copy(ours) is ours and copy.deepcopy(ours) is ours and copy.deepcopy(theirs) is theirs
    state = copy.deepcopy({"dtype": tg.float64, "x": tg.ones(2, dtype=tg.float64)})
    assert state["dtype"] is tg.float64 and state["x"].dtype is tg.float64


# --- torch's attributes, numpy's attributes --------------------------------------------------------------


@pytest.mark.parametrize("name", CANONICAL)
def test_torchs_attributes(name):
    ours, theirs = getattr(tg, name), getattr(torch, name)
    for attr in ("is_floating_point", "is_complex", "is_signed", "itemsize", "abbr"):
        assert getattr(ours, attr) == getattr(theirs, attr), attr
    assert repr(ours.to_real()) == in_our_names(repr(theirs.to_real()))
    assert ours.to_real() is getattr(tg, theirs.to_real().__repr__().split(".")[1])
    try:
        expected = in_our_names(repr(theirs.to_complex()))
    except RuntimeError as e:
        with pytest.raises(RuntimeError, match=str(e)):
            ours.to_complex()
    else:
        if name == "float16":  # torch's complex32 has no numpy dtype: refused here
            with pytest.raises(RuntimeError):
                ours.to_complex()
        else:
            assert repr(ours.to_complex()) == expected


@pytest.mark.parametrize("name", CANONICAL)
def test_numpys_attributes(name):
    ours, npd = getattr(tg, name), NUMPY[name]
    for attr in ("kind", "name", "itemsize", "type", "char", "str", "byteorder", "num", "alignment", "isnative"):
        assert getattr(ours, attr) == getattr(npd, attr), attr
    assert ours.dtype is npd or ours.dtype == npd
    with pytest.raises(AttributeError):
        ours.no_such_attribute  # noqa: B018


# --- numpy takes them as dtypes ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", CANONICAL)
def test_numpy_takes_them_as_its_dtypes(name):
    ours, npd = getattr(tg, name), NUMPY[name]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # (no DeprecationWarning from numpy's dtype protocol either)
        assert np.dtype(ours) == npd and type(np.dtype(ours)) is type(npd)
        assert np.zeros(2, ours).dtype == npd and np.empty(2, dtype=ours).dtype == npd
        assert np.asarray(data_for(name), dtype=ours).dtype == npd
        assert np.array([1, 0], dtype=ours).dtype == npd and np.full(2, 1, ours).dtype == npd
        assert np.arange(3).astype(ours).dtype == npd
        assert np.issubdtype(ours, np.floating) == np.issubdtype(npd, np.floating)
        assert np.issubdtype(ours, np.integer) == np.issubdtype(npd, np.integer)
        assert np.issubdtype(ours, npd) and np.issubdtype(npd, ours)
        for other in CANONICAL:
            assert np.result_type(ours, getattr(tg, other)) == np.result_type(npd, NUMPY[other])
            assert np.promote_types(ours, getattr(tg, other)) == np.promote_types(npd, NUMPY[other])
            assert np.can_cast(ours, getattr(tg, other)) == np.can_cast(npd, NUMPY[other])
        if npd.kind in "fc":
            assert np.finfo(ours).eps == np.finfo(npd).eps
        elif npd.kind in "iu":
            assert np.iinfo(ours).max == np.iinfo(npd).max
    assert tg.tensor(data_for(name), dtype=ours).numpy().dtype == npd  # (the engine's arrays stay numpy's)


# --- everything that takes a dtype takes both, with the same result ----------------------------------------

SPELLINGS = [tg.float64, np.float64, np.dtype(np.float64), "float64"]


@pytest.mark.parametrize("spec", SPELLINGS, ids=repr)
def test_factories_and_conversions_take_either_spelling(spec):
    x = tg.tensor([1, 2, 3])
    made = [tg.tensor([1.0], dtype=spec), tg.zeros(2, dtype=spec), tg.ones(2, dtype=spec), tg.empty(2, dtype=spec),
            tg.full((2,), 1.5, dtype=spec), tg.arange(3, dtype=spec), tg.linspace(0, 1, 3, dtype=spec),
            tg.eye(2, dtype=spec), tg.rand(2, dtype=spec), tg.randn(2, dtype=spec), tg.zeros_like(x, dtype=spec),
            tg.ones_like(x, dtype=spec), tg.full_like(x, 2, dtype=spec), tg.randn_like(x, dtype=spec),
            x.to(dtype=spec), x.type(spec), x.astype(spec), x.new_zeros(2, dtype=spec),
            x.new_tensor([1, 2], dtype=spec), tg.Tensor([1.0], dtype=spec), tg.nn.Linear(2, 2, dtype=spec).weight,
            tg.nn.Linear(2, 2).to(dtype=spec).weight]
    if not isinstance(spec, str):  # (a string given alone to .to() is a device, as in torch)
        made += [x.to(spec), tg.nn.Linear(2, 2).to(spec).weight]
    for i, t in enumerate(made):
        assert t.dtype is tg.float64, i
    tg.set_default_dtype(spec)
    assert tg.get_default_dtype() is tg.float64 and tg.tensor(1.0).dtype is tg.float64


def test_tensor_type_names_as_torchs():
    x, tx = tg.tensor([1.5, 2.0]), torch.tensor([1.5, 2.0])
    assert x.type() == in_our_names(tx.type()) == "tinygrad_mlp.FloatTensor"
    for name in ("torch.DoubleTensor", "tinygrad_mlp.DoubleTensor"):
        assert x.type(name).dtype is tg.float64
    assert x.type("torch.LongTensor").tolist() == tx.type("torch.LongTensor").tolist()
    with pytest.raises(ValueError):
        x.type("torch.NoSuchTensor")
    with pytest.raises(ValueError):
        tx.type("torch.NoSuchTensor")


PROMOTED = ["bool", "uint8", "int8", "int16", "int32", "int64", "float16", "float32", "float64"]


@pytest.mark.parametrize("left", PROMOTED)
def test_promotion_prints_torchs_result_dtype(left):
    for right in PROMOTED:
        ours = tg.ones(2, dtype=getattr(tg, left)) + tg.ones(2, dtype=getattr(tg, right))
        theirs = torch.ones(2, dtype=getattr(torch, left)) + torch.ones(2, dtype=getattr(torch, right))
        assert repr(ours.dtype) == in_our_names(repr(theirs.dtype)), (left, right)
        assert ours.dtype is getattr(tg, ours.dtype.name)


def script(float_dtype, int_dtype):
    """One small training script, written against whichever dtype spelling it is given."""
    tg.manual_seed(0)
    x = tg.randn(8, 3, dtype=float_dtype)
    y = tg.tensor([0, 1, 2, 1, 0, 2, 1, 0], dtype=int_dtype).long()
    model = tg.nn.Sequential(tg.nn.Linear(3, 5), tg.nn.ReLU(), tg.nn.Linear(5, 3)).to(dtype=float_dtype)
    opt = tg.optim.SGD(model.parameters(), lr=0.1)
    losses = []
    for _ in range(3):
        opt.zero_grad()
        loss = tg.nn.functional.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    z = (tg.arange(4, dtype=int_dtype) * 1.5).to(dtype=float_dtype)
    mixed = tg.ones(2, dtype=tg.int32) + tg.ones(2, dtype=float_dtype)
    return (losses, z.tolist(), str(z.dtype), str(mixed.dtype), model[0].weight.detach().numpy().copy(),
            x.dtype == float_dtype, mixed.dtype == float_dtype)


def test_the_same_script_gives_the_same_results_with_either_spelling():
    ours = script(tg.float64, tg.int32)
    for float_dtype, int_dtype in [(np.float64, np.int32), (np.dtype("float64"), np.dtype("int32")),
                                   ("float64", "int32")]:
        theirs = script(float_dtype, int_dtype)
        assert ours[:4] == theirs[:4]
        np.testing.assert_array_equal(ours[4], theirs[4])
        assert ours[5:] == theirs[5:] == (True, True)
    assert ours[2] == ours[3] == "tinygrad_mlp.float64"
