"""tinygrad_mlp.rng draws torch's CPU random streams: the same seed and the same sequence of calls
give the same numbers, bit for bit, as the installed torch (the reference)."""

import json

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import tinygrad_mlp.rng as R

torch = pytest.importorskip("torch")

SEEDS = [0, 1, 42, 2**32 + 5, 2**40 + 7, 2**64 - 1]
DTYPES = [(np.float32, torch.float32), (np.float64, torch.float64)]
# sizes around torch's switches: scalar normal path below 16, blocks of 16, the redrawn tail, and
# this module's chunking of the float32 transform (32768 values)
SWITCH_SIZES = [15, 16, 17, 31, 32, 33, 47, 48, 49, 255, 256, 257, 1000, 4097, 32767, 32768, 32769,
                32784, 65535, 65536, 65537, 100000]


def pair(seed):
    """A torch generator and ours, both seeded with ``seed``."""
    return torch.Generator().manual_seed(seed), R.Generator().manual_seed(seed)


def float_draws(n, np_dt, t_dt):
    """(name, torch draw, our draw) for every float distribution, each taking the two generators."""
    return [
        ("rand", lambda g: torch.rand(n, dtype=t_dt, generator=g), lambda g: R.rand(n, np_dt, g)),
        ("randn", lambda g: torch.randn(n, dtype=t_dt, generator=g), lambda g: R.randn(n, np_dt, g)),
        ("normal", lambda g: torch.empty(n, dtype=t_dt).normal_(0.3, 2.5, generator=g),
         lambda g: R.normal(0.3, 2.5, n, np_dt, g)),
        ("uniform", lambda g: torch.empty(n, dtype=t_dt).uniform_(-1.7, 0.4, generator=g),
         lambda g: R.uniform(-1.7, 0.4, n, np_dt, g)),
        ("exponential", lambda g: torch.empty(n, dtype=t_dt).exponential_(2.0, generator=g),
         lambda g: R.exponential(2.0, n, np_dt, g)),
    ]


def assert_same(ours, theirs, what=""):
    theirs = theirs.numpy() if hasattr(theirs, "numpy") else np.asarray(theirs)
    assert ours.dtype == theirs.dtype, what
    assert ours.shape == theirs.shape, what
    assert np.array_equal(ours, theirs), f"{what}: {np.count_nonzero(ours != theirs)} values differ"


# --- the engine and its state ------------------------------------------------------------------------

@pytest.mark.parametrize("seed", SEEDS + [-1, -(2**63)])
def test_seeding_gives_torchs_state_bytes(seed):
    tg, og = pair(seed)
    assert og.initial_seed() == tg.initial_seed()
    assert_same(og.state_bytes(), tg.get_state(), "state after seeding")
    torch.rand(5, generator=tg)
    R.rand(5, generator=og)
    assert_same(og.state_bytes(), tg.get_state(), "state after five draws")


def test_first_values_from_seed_zero_are_torchs():
    og = R.Generator().manual_seed(0)
    assert R.rand(3, generator=og).tolist() == [0.49625658988952637, 0.7682217955589294, 0.08847743272781372]
    assert R.Generator().initial_seed() == torch.Generator().initial_seed() == 67280421310721


def test_default_generator_module_functions_follow_torchs_default():
    torch.manual_seed(123)
    assert R.manual_seed(123) is R.default_generator
    assert R.initial_seed() == torch.initial_seed() == 123
    assert_same(R.randn(20), torch.randn(20))
    assert_same(R.default_generator.state_bytes(), torch.get_rng_state())
    s = R.seed()
    assert R.initial_seed() == s and 0 <= s < 2**64


def test_state_is_json_and_restores_mid_stream_with_a_cached_normal():
    tg, og = pair(7)
    torch.randn(3, generator=tg)        # odd count of scalar-path normals: one sine is cached
    R.randn(3, generator=og)
    state = json.loads(json.dumps(og.get_state()))
    assert state["torch"]["next_double_normal"] is not None
    torch_state = tg.get_state()
    assert_same(og.state_bytes(), torch_state)
    expected = torch.randn(40, generator=tg)
    assert_same(R.randn(40, generator=og), expected)
    assert_same(R.randn(40, generator=R.Generator(99).set_state(state)), expected)
    assert_same(R.randn(40, generator=R.Generator(99).set_state(torch_state.numpy())), expected)
    R.set_rng_state(state)
    assert R.get_rng_state() == state


def test_set_state_rejects_foreign_data():
    with pytest.raises(ValueError):
        R.Generator().set_state({"bit_generator": "PCG64", "state": {}})
    with pytest.raises(ValueError):
        R.Generator().set_state({**R.Generator(1).get_state(), "bit_generator": "MT19937"})
    with pytest.raises(ValueError):
        R.Generator().set_state(np.zeros(100, np.uint8))
    with pytest.raises(TypeError):
        R.Generator().manual_seed(1.5)


def test_get_rng_keeps_the_numpy_stream_callers_had():
    """Until every caller draws torch's streams, get_rng gives the PCG64 stream seeded as before,
    separate from the torch stream, and saved and restored with it."""
    g = R.Generator(3)
    rng = R.get_rng(g)
    assert isinstance(rng, np.random.Generator)
    assert np.array_equal(rng.standard_normal(4), np.random.default_rng(3).standard_normal(4))
    tg = torch.Generator().manual_seed(3)
    assert_same(R.randn(4, generator=g), torch.randn(4, generator=tg))   # untouched by the numpy draws
    state = json.loads(json.dumps(g.get_state()))
    a, b = R.get_rng(g).random(3), R.rand(3, generator=g)
    g.manual_seed(0).set_state(state)
    assert np.array_equal(R.get_rng(g).random(3), a) and np.array_equal(R.rand(3, generator=g), b)
    for name in ("uniform", "normal", "random", "standard_normal", "integers", "permutation", "choice"):
        assert callable(getattr(rng, name))


# --- float draws -------------------------------------------------------------------------------------

@pytest.mark.parametrize("np_dt,t_dt", DTYPES)
@pytest.mark.parametrize("seed", [0, 1, 2**40 + 7])
def test_every_size_from_1_to_40_in_one_interleaved_stream(seed, np_dt, t_dt):
    """All float distributions, sizes 1..40, one after another on one generator (so each call
    also starts where the previous left the stream, cached normal included)."""
    tg, og = pair(seed)
    for n in range(1, 41):
        for name, tf, of in float_draws(n, np_dt, t_dt):
            assert_same(of(og), tf(tg), f"{name} n={n}")
    assert_same(og.state_bytes(), tg.get_state())


@pytest.mark.parametrize("np_dt,t_dt", DTYPES)
@pytest.mark.parametrize("n", SWITCH_SIZES)
def test_sizes_around_the_path_switches(n, np_dt, t_dt):
    for seed in (0, 2**40 + 7):
        tg, og = pair(seed)
        for name, tf, of in float_draws(n, np_dt, t_dt):
            if name == "exponential" and n > 5000:
                continue  # one C call per element: covered by the smaller sizes
            assert_same(of(og), tf(tg), f"{name} n={n}")


def test_randn_values_are_standard_normal():
    x = R.randn(100000, generator=R.Generator(0))
    assert abs(x.mean()) < 0.02 and abs(x.std() - 1) < 0.02


def test_shapes_and_default_dtype():
    g = R.Generator(0)
    assert R.randn((2, 3, 4), generator=g).shape == (2, 3, 4)
    assert R.rand(5).dtype == np.float32 and R.randn((), generator=g).shape == ()
    tg, og = pair(5)
    assert_same(R.randn((4, 5), generator=og), torch.randn(4, 5, generator=tg))


@given(seed=st.integers(0, 2**64 - 1), n=st.integers(1, 300), use64=st.booleans(),
       mean=st.floats(-10, 10), std=st.floats(0, 10), lo=st.floats(-100, 100),
       # (a subnormal width, below 2.2e-308, is left out: there torch's compiled arithmetic rounds the
       # tiny product differently in the last subnormal bit; hypothesis found 2.2e-309)
       width=st.one_of(st.just(0.0), st.floats(1e-300, 100)))
def test_normal_and_uniform_match_for_any_seed_size_and_parameters(seed, n, use64, mean, std, lo, width):
    np_dt, t_dt = DTYPES[use64]
    tg, og = pair(seed)
    assert_same(R.normal(mean, std, n, np_dt, og), torch.empty(n, dtype=t_dt).normal_(mean, std, generator=tg))
    hi = lo + width
    assert_same(R.uniform(lo, hi, n, np_dt, og), torch.empty(n, dtype=t_dt).uniform_(lo, hi, generator=tg))


@pytest.mark.parametrize("np_dt,t_dt", DTYPES)
def test_uniform_values_rounded_onto_b_become_a(np_dt, t_dt):
    """On a narrow [a, b) many products round up onto b: torch returns a for those."""
    for lo, hi in ((1.0, 1.0 + 2.4e-5), (-2.0, -2.0 + 1e-6), (1.0, 1 + 1e-14), (3.0, 3.0)):
        tg, og = pair(1)
        ours = R.uniform(lo, hi, 2000, np_dt, og)
        assert_same(ours, torch.empty(2000, dtype=t_dt).uniform_(lo, hi, generator=tg), f"[{lo}, {hi})")
        assert (ours >= np_dt(lo)).all() and ((ours < np_dt(hi)) | (ours == np_dt(lo))).all()
    with pytest.raises(ValueError):
        R.uniform(1.0, 0.0, 3)


# --- integers ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("seed", [0, 1, 2**40 + 7])
def test_integer_draws(seed):
    tg, og = pair(seed)
    for n in list(range(0, 41)) + [100, 4097]:
        assert_same(R.randint(-5, 17, n, generator=og), torch.randint(-5, 17, (n,), generator=tg), f"randint {n}")
        assert_same(R.randint(10, (n,), generator=og), torch.randint(10, (n,), generator=tg), "one bound")
        assert_same(R.randint(0, 2**40, n, generator=og), torch.randint(0, 2**40, (n,), generator=tg), "64-bit")
        assert_same(R.randint(3, 1000, n, np.int32, og), torch.randint(3, 1000, (n,), dtype=torch.int32, generator=tg))
        assert_same(R.random_int64(n, og), torch.empty(n, dtype=torch.int64).random_(generator=tg), "random_")
    assert_same(og.state_bytes(), tg.get_state())


@pytest.mark.parametrize("seed", [0, 3, 2**40 + 7])
def test_randperm_every_small_size_and_large(seed):
    tg, og = pair(seed)
    for n in list(range(0, 70)) + [1000, 60000, 100000]:
        assert_same(R.randperm(n, generator=og), torch.randperm(n, generator=tg), f"randperm {n}")
    assert_same(R.randperm(10, np.int32, og), torch.randperm(10, dtype=torch.int32, generator=tg))


@given(seed=st.integers(0, 2**64 - 1), n=st.integers(0, 2000))
def test_randperm_for_any_seed(seed, n):
    tg, og = pair(seed)
    assert_same(R.randperm(n, generator=og), torch.randperm(n, generator=tg))


# --- bernoulli, multinomial, dropout -----------------------------------------------------------------

@pytest.mark.parametrize("n", [1, 7, 16, 33, 1000])
def test_bernoulli_scalar_and_array_p(n):
    tg, og = pair(11)
    assert_same(R.bernoulli(0.3, n, np.float32, og), torch.empty(n).bernoulli_(0.3, generator=tg))
    p32 = np.linspace(0, 1, n, dtype=np.float32)
    assert_same(R.bernoulli(p32, generator=og), torch.bernoulli(torch.from_numpy(p32), generator=tg))
    p64 = np.linspace(0, 1, n)
    assert_same(R.bernoulli(p64, generator=og), torch.bernoulli(torch.from_numpy(p64), generator=tg))


def probs(n, dtype=np.float32):
    p = np.abs(np.sin(np.arange(1, n + 1) * 1.3)).astype(dtype)
    p[::5] = 0
    p[-1] = 0.5
    return p


@pytest.mark.parametrize("n", [1, 2, 5, 27, 100, 3000])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_multinomial_with_and_without_replacement(n, dtype):
    tg, og = pair(5)
    p = probs(n, dtype)
    k = max(1, int((p > 0).sum()) // 2)
    tp = torch.from_numpy(p)
    assert_same(R.multinomial(p, 7, True, og), torch.multinomial(tp, 7, True, generator=tg), "replacement")
    assert_same(R.multinomial(p, 1, True, og), torch.multinomial(tp, 1, True, generator=tg), "one sample")
    assert_same(R.multinomial(p, k, False, og), torch.multinomial(tp, k, False, generator=tg), "no replacement")
    p2 = np.stack([p, p[::-1].copy()])
    assert_same(R.multinomial(p2, 5, True, og), torch.multinomial(torch.from_numpy(p2), 5, True, generator=tg))
    assert_same(R.multinomial(p2, 1, False, og), torch.multinomial(torch.from_numpy(p2), 1, False, generator=tg))
    assert_same(og.state_bytes(), tg.get_state())


def test_multinomial_rejects_bad_probabilities():
    with pytest.raises(ValueError):
        R.multinomial(np.array([0.5, -0.1]), 1)
    with pytest.raises(ValueError):
        R.multinomial(np.zeros(3), 1)
    with pytest.raises(ValueError):
        R.multinomial(np.array([1.0, 0.0]), 3, replacement=False)


@pytest.mark.parametrize("p", [0.1, 0.5, 0.9])
@pytest.mark.parametrize("shape", [(1,), (7, 3), (32, 100)])
def test_dropout_masks_and_values(p, shape):
    torch.manual_seed(9)
    R.manual_seed(9)
    x = np.arange(1, np.prod(shape) + 1, dtype=np.float32).reshape(shape)
    expected = torch.nn.functional.dropout(torch.from_numpy(x), p, training=True)
    assert_same(R.dropout(x, p), expected)
    assert_same(R.dropout_keep_mask(shape, p), torch.nn.functional.dropout(torch.ones(shape), p) != 0)


# --- layers, init functions, data loading -------------------------------------------------------------

@pytest.mark.parametrize("seed", [0, 5])
def test_linear_and_embedding_default_init(seed):
    torch.manual_seed(seed)
    R.manual_seed(seed)
    for fan_in, fan_out in ((4, 128), (128, 3), (784, 256), (1, 1), (7, 16), (3, 20)):
        layer = torch.nn.Linear(fan_in, fan_out)
        w, b = R.linear_init(fan_in, fan_out)
        assert_same(w, layer.weight.detach())
        assert_same(b, layer.bias.detach())
    w, b = R.linear_init(5, 4, bias=False)
    assert b is None
    assert_same(w, torch.nn.Linear(5, 4, bias=False).weight.detach())
    assert_same(R.embedding_init(27, 10, padding_idx=0), torch.nn.Embedding(27, 10, padding_idx=0).weight.detach())
    assert_same(R.linear_init(6, 2, dtype=np.float64)[0], torch.nn.Linear(6, 2, dtype=torch.float64).weight.detach())


@pytest.mark.parametrize("shape", [(20, 30), (5, 3), (8, 4, 3, 3), (300, 200)])
def test_init_functions(shape):
    init = torch.nn.init
    cases = [
        (lambda w: init.kaiming_uniform_(w), lambda: R.kaiming_uniform(shape)),
        (lambda w: init.kaiming_uniform_(w, a=0.2, mode="fan_out"), lambda: R.kaiming_uniform(shape, 0.2, "fan_out")),
        (lambda w: init.kaiming_normal_(w, mode="fan_out", nonlinearity="relu"),
         lambda: R.kaiming_normal(shape, mode="fan_out", nonlinearity="relu")),
        (lambda w: init.xavier_uniform_(w, gain=init.calculate_gain("tanh")),
         lambda: R.xavier_uniform(shape, R.calculate_gain("tanh"))),
        (lambda w: init.xavier_normal_(w), lambda: R.xavier_normal(shape)),
        (lambda w: init.uniform_(w, -0.1, 0.2), lambda: R.uniform(-0.1, 0.2, shape)),
        (lambda w: init.normal_(w, 0.5, 0.02), lambda: R.normal(0.5, 0.02, shape)),
    ]
    torch.manual_seed(2)
    R.manual_seed(2)
    for tf, of in cases:
        assert_same(of(), tf(torch.empty(shape)))


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("shape,kw", [((50, 40), {}), ((64, 64), {"std": 0.02}), ((300,), {"a": -0.5, "b": 0.5}),
                                      ((30, 7), {"mean": 1.0, "std": 2.0, "a": 0.0, "b": 1.0}),
                                      ((100, 100), {"a": 1.5, "b": 3.0})])
def test_trunc_normal_both_samplers(seed, shape, kw):
    """Wide intervals: normal_ then whole redraws; narrow ones (the last two): uniform proposals."""
    torch.manual_seed(seed)
    R.manual_seed(seed)
    assert_same(R.trunc_normal(shape, **kw), torch.nn.init.trunc_normal_(torch.empty(shape), **kw))
    assert_same(R.default_generator.state_bytes(), torch.get_rng_state())


def test_sparse_init_draws_its_permutations_from_the_default_generator():
    torch.manual_seed(4)
    R.manual_seed(4)
    tg, og = pair(6)
    assert_same(R.sparse((10, 6), 0.3, generator=og), torch.nn.init.sparse_(torch.empty(10, 6), 0.3, generator=tg))
    assert_same(R.sparse((7, 3), 0.5, std=0.1), torch.nn.init.sparse_(torch.empty(7, 3), 0.5, std=0.1))
    assert_same(R.default_generator.state_bytes(), torch.get_rng_state())
    assert_same(og.state_bytes(), tg.get_state())


@pytest.mark.parametrize("n,batch", [(10, 3), (100, 16), (37, 37), (1, 1)])
def test_dataloader_shuffle_order_over_epochs(n, batch):
    from torch.utils.data import DataLoader, RandomSampler, TensorDataset

    data = TensorDataset(torch.arange(n))
    torch.manual_seed(3)
    R.manual_seed(3)
    loader = DataLoader(data, batch_size=batch, shuffle=True)
    for _ in range(3):
        assert_same(R.dataloader_order(n), torch.cat([b[0] for b in loader]))
        assert_same(R.randn(5), torch.randn(5))             # the default stream stays in step
    tg, og = pair(8)
    loader = DataLoader(data, batch_size=batch, shuffle=True, generator=tg)
    for _ in range(3):
        assert_same(R.dataloader_order(n, og), torch.cat([b[0] for b in loader]))
    assert_same(og.state_bytes(), tg.get_state())
    plain = DataLoader(data, batch_size=batch, shuffle=False, drop_last=True)
    assert_same(R.dataloader_order(n, shuffle=False)[: n - n % batch], torch.cat([b[0] for b in plain]))
    assert_same(R.default_generator.state_bytes(), torch.get_rng_state())  # a base seed was drawn anyway
    assert_same(R.sampler_order(n), torch.tensor(list(RandomSampler(range(n)))))
    assert_same(R.sampler_order(n, og), torch.tensor(list(RandomSampler(range(n), generator=tg))))
    assert_same(R.default_generator.state_bytes(), torch.get_rng_state())


def test_a_training_scripts_draws_stay_in_lock_step():
    """What a seeded PyTorch script draws, in order: a model's init, a shuffled loader's epochs,
    dropout masks every batch, then sampling from a softmax; plus plain factory calls between."""
    from torch.utils.data import DataLoader, TensorDataset

    torch.manual_seed(2147483647)
    R.manual_seed(2147483647)
    model = torch.nn.Sequential(torch.nn.Linear(6, 32), torch.nn.ReLU(), torch.nn.Dropout(0.2), torch.nn.Linear(32, 4))
    ours = [R.linear_init(6, 32), R.linear_init(32, 4)]
    assert_same(ours[0][0], model[0].weight.detach())
    assert_same(ours[1][1], model[3].bias.detach())
    x = torch.from_numpy(np.linspace(-1, 1, 50 * 6, dtype=np.float32).reshape(50, 6))
    loader = DataLoader(TensorDataset(x, torch.arange(50)), batch_size=16, shuffle=True)
    for _ in range(2):
        order = R.dataloader_order(50)
        seen = []
        for xb, idx in loader:
            seen.append(idx)
            hidden = torch.relu(model[0](xb))
            dropped = model[2](hidden)
            mask = R.dropout_keep_mask(hidden.shape, 0.2)
            assert np.array_equal((dropped != 0).numpy(), mask & (hidden != 0).numpy())
        assert_same(order, torch.cat(seen))
    assert_same(R.randn(3), torch.randn(3))
    assert_same(R.randint(0, 27, (5,)), torch.randint(0, 27, (5,)))
    assert_same(R.rand(2), torch.rand(2))
    assert_same(R.randperm(9), torch.randperm(9))
    logits = np.linspace(-2, 2, 27, dtype=np.float32)
    p = torch.softmax(torch.from_numpy(logits), 0)
    for _ in range(5):
        assert_same(R.multinomial(p.numpy(), 1, True), torch.multinomial(p, 1, True))
    assert_same(R.default_generator.state_bytes(), torch.get_rng_state())


def test_calculate_gain_and_fans():
    init = torch.nn.init
    for name, param in (("relu", None), ("tanh", None), ("leaky_relu", None), ("leaky_relu", 0.3),
                        ("selu", None), ("sigmoid", None), ("linear", None)):
        assert R.calculate_gain(name, param) == init.calculate_gain(name, param)
    assert R.fan_in_and_fan_out((8, 4, 3, 3)) == (36, 72)
    with pytest.raises(ValueError):
        R.calculate_gain("swish")


def test_a_bigram_name_sampler_prints_torchs_names():
    """makemore's bigram sampler: weights from randn, rows softmaxed, names drawn letter by letter
    with multinomial(p, 1, replacement=True) on a seeded generator."""
    letters = ".abcdefghijklmnopqrstuvwxyz"
    tg, og = pair(2147483647)
    weights_t = torch.randn((27, 27), generator=tg)
    weights_o = R.randn((27, 27), generator=og)
    assert_same(weights_o, weights_t)
    probs_t = weights_t.exp() / weights_t.exp().sum(1, keepdim=True)
    names = {"torch": [], "ours": []}
    for who, gen, draw in (("torch", tg, lambda p, g: torch.multinomial(p, 1, True, generator=g).item()),
                           ("ours", og, lambda p, g: int(R.multinomial(p.numpy(), 1, True, g)[0]))):
        for _ in range(20):
            ix, out = 0, []
            while True:
                ix = draw(probs_t[ix], gen)
                if ix == 0:
                    break
                out.append(letters[ix])
            names[who].append("".join(out))
    assert names["ours"] == names["torch"] and len(set(names["torch"])) > 10
