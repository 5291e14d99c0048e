"""ChainedScheduler against torch's: the learning rates of every epoch for several chains, two groups,
its errors, and a state_dict round trip that continues the same."""

import pytest

import tinygrad_mlp as tg

torch = pytest.importorskip("torch", reason="torch not installed: pip install -e '.[torch]'")

CHAINS = {
    "constant_then_exponential": lambda s, o: [s.ConstantLR(o, factor=0.1, total_iters=5), s.ExponentialLR(o, 0.9)],
    "linear_warmup_and_step": lambda s, o: [s.LinearLR(o, start_factor=0.2, total_iters=4), s.StepLR(o, 3, 0.5)],
    "three": lambda s, o: [s.MultiplicativeLR(o, lambda e: 0.95), s.MultiStepLR(o, [4, 9], 0.3),
                           s.ConstantLR(o, factor=0.5, total_iters=2)],
}


def lrs(lib, chain, epochs=15):
    params = [lib.nn.Parameter(lib.zeros(2)), lib.nn.Parameter(lib.zeros(3))]
    opt = lib.optim.SGD([{"params": params[:1]}, {"params": params[1:], "lr": 0.3}], lr=0.1, momentum=0.9)
    s = lib.optim.lr_scheduler
    chained = s.ChainedScheduler(CHAINS[chain](s, opt))
    seen = [chained.get_last_lr()]
    for _ in range(epochs):
        opt.step()
        chained.step()
        seen.append(chained.get_last_lr())
    return seen


@pytest.mark.parametrize("chain", sorted(CHAINS))
def test_chained_learning_rates_match_torch(chain):
    ours, theirs = lrs(tg, chain), lrs(torch, chain)
    assert len(ours) == len(theirs)
    for a, b in zip(ours, theirs):
        assert a == pytest.approx(b, rel=1e-12)


def test_chained_errors_as_torch():
    for lib in (tg, torch):
        s = lib.optim.lr_scheduler
        opt = lib.optim.SGD([lib.nn.Parameter(lib.zeros(1))], lr=0.1)
        other = lib.optim.SGD([lib.nn.Parameter(lib.zeros(1))], lr=0.1)
        with pytest.raises(ValueError, match="at least one scheduler"):
            s.ChainedScheduler([])
        with pytest.raises(ValueError, match="same optimizer"):
            s.ChainedScheduler([s.StepLR(opt, 2), s.StepLR(other, 2)])
        with pytest.raises(ValueError, match="ReduceLROnPlateau"):
            s.ChainedScheduler([s.StepLR(opt, 2), s.ReduceLROnPlateau(opt)])


def test_chained_state_dict_round_trip_continues_the_same():
    def build():
        opt = tg.optim.SGD([tg.nn.Parameter(tg.zeros(1))], lr=0.1)
        s = tg.optim.lr_scheduler
        return opt, s.ChainedScheduler([s.ConstantLR(opt, factor=0.5, total_iters=3), s.ExponentialLR(opt, 0.8)])

    opt, chained = build()
    for _ in range(4):
        chained.step()
    opt2, chained2 = build()
    opt2.load_state_dict(opt.state_dict())
    chained2.load_state_dict(chained.state_dict())
    for _ in range(5):
        chained.step()
        chained2.step()
        assert chained.get_last_lr() == chained2.get_last_lr()
