"""The package's one random number generator, drawing torch's own random streams.

Every random draw in tinygrad_mlp (factories, weight init, dropout, data shuffling) comes from
here, so ``tg.manual_seed(n)`` makes a whole run reproducible -- and gives the numbers PyTorch's CPU
generator gives for the same seed and the same sequence of calls.

>>> import tinygrad_mlp as tg
>>> _ = tg.manual_seed(0); a = tg.rand(3)
>>> _ = tg.manual_seed(0); bool((a == tg.rand(3)).all())
True
>>> g = Generator().manual_seed(0)
>>> rand((3,), generator=g).tolist()            # torch.manual_seed(0); torch.rand(3)
[0.49625658988952637, 0.7682217955589294, 0.08847743272781372]

The engine
    torch's CPU generator is a 32-bit Mersenne Twister seeded like ``init_genrand`` with the low 32
    bits of the seed (``initial_seed()`` keeps all 64). numpy ships the same bit generator,
    ``np.random.MT19937``; its state is set here from that seeding, and its raw 32-bit outputs are
    torch's ``random()``. torch's ``random64()`` is two of them, the first in the high half. Besides
    the twister, the generator keeps torch's cached second Box-Muller normal (the scalar ``normal``
    path draws normals in pairs and hands out the second on the next call, across calls).

The draws (all vectorised: no Python loop per element except where noted)
    ``rand``/``uniform``  float32: ``(r32 & (2**24-1)) * 2**-24``; float64: ``(r64 & (2**53-1)) * 2**-53``;
        then ``u * (b - a) + a`` in the dtype, as one fused multiply-add (torch's kernel is compiled
        with FMA contraction; emulated exactly here), and a result rounded up onto b becomes a (so
        values stay in [a, b), as torch's do). Bit-identical.
    ``randn``/``normal``  three paths, as torch:
        * fewer than 16 elements: per element Box-Muller in double from two float64 uniforms
          (``sqrt(-2 log1p(-u2))``, cos and the cached sin of ``2 pi u1``), cast to the dtype.
          Computed with Python's ``math`` (the C library torch calls): bit-identical.
        * float32, 16 or more: torch's AVX2 kernel (used on x86-64 CPUs with AVX2 or AVX-512): all
          uniforms first, then blocks of 16 (8 cos + 8 sin); a size not a multiple of 16 draws 16
          fresh uniforms and recomputes the last 16 outputs. Its float32 log and sin/cos are
          Cephes-style polynomials, reproduced here operation by operation in float32 with the
          same fused multiply-adds. Bit-identical (tested on 10^5-element streams over seeds).
        * float64, 16 or more: the same blocks of 16 in double with the C library's log (via
          ``math``, one call per pair: the one per-element Python call left) and numpy's cos/sin.
          Bit-identical on glibc/x86-64 where numpy's float64 cos/sin are the C library's.
    ``randint``  ``r % (high - low) + low`` with ``r`` 32-bit, or 64-bit when the range is >= 2**32.
    ``randperm``  torch's Fisher-Yates (``swap(i, i + r32 % (n - i))`` for i < n - 1), computed
        without a per-element loop (the swap chains are resolved by sorting and pointer jumping).
    ``multinomial``  with replacement and more than one sample: cumulative sums in the probs'
        dtype, one float64 uniform per sample, a lower-bound search. Without replacement, or one
        sample: ``argmax``/``topk`` of ``probs / q`` with ``q ~ Exp(1)`` (``exponential``).
    ``bernoulli``  ``u < p`` with a float64 uniform for a scalar p (or float64 p array), a float32
        uniform for a float32 p array.
    ``exponential``  ``-1/lambd * log1p(-u)`` in double from a float64 uniform (``math.log1p``,
        a per-element C call), cast to the dtype.

What torch's layers, init functions and data loading draw, in torch's order
    ``linear_init`` (nn.Linear: kaiming_uniform_(a=sqrt(5)) then the bias), ``embedding_init``,
    ``kaiming_uniform``/``kaiming_normal``/``xavier_uniform``/``xavier_normal``/``trunc_normal``/
    ``sparse`` (nn.init), ``dropout``/``dropout_keep_mask`` (``bernoulli_(1 - p)`` on the input's
    dtype), ``sampler_order`` (RandomSampler: a seed ``random_int64()`` for a fresh generator,
    then ``randperm``) and ``dataloader_order`` (a DataLoader epoch: a base seed first).

Everything above is bit-identical to torch 2.x on x86-64 Linux (tested against torch 2.13 in
tests/test_rng_torch.py), the SIMD float32 log/sin/cos of the normal kernel included: there is no
draw here that is only "within 1 ulp" on such a machine. Where they can differ:
    * torch on a CPU without AVX2 (ARM, e.g. Apple silicon; or ``ATEN_CPU_CAPABILITY=default``)
      computes float32 normals of 16+ elements with its scalar kernel instead; these stay the AVX2
      kernel's. Measured against ``ATEN_CPU_CAPABILITY=default``: at most 2.2e-6 apart (absolute,
      5x10^5 values); the stream stays in step, so every later draw is identical again.
    * ``multinomial`` without replacement: categories whose ``probs / q`` are exactly equal (a
      float tie: only with thousands of categories) may be ordered differently from torch's topk.
    * ``trunc_normal`` with a narrow interval (<= 30% of the mass) accepts proposals by comparing
      a float32 log: numpy's here, torch's vectorised one there (at most 1 ulp apart), so a
      proposal exactly at the threshold could go the other way (not observed).
    * On Intel CPUs torch's MKL build draws ``bernoulli_(p)`` with a *scalar* p (so ``Dropout``)
      from MKL's own generator seeded with one ``random()``; this module draws it as torch does on
      other CPUs (one float64 uniform per element), so there dropout masks and the stream after
      them differ from torch's. ``seed()`` is non-deterministic in both.

State
    ``Generator.get_state()`` is plain, JSON-safe data (what checkpoints store): the numpy
    stream's state dict (below) with the torch stream under ``"torch"``: ``{"seed", "key": [624
    ints], "pos", "next_double_normal", "next_float_normal"}``. ``Generator.state_bytes()`` gives
    torch's own 5056-byte layout (``torch.get_rng_state().numpy()``); ``set_state`` takes either.

Callers not yet moved to the functions here keep ``get_rng(generator)``: a numpy ``Generator``
(PCG64) seeded by ``manual_seed`` exactly as before this module drew torch's streams, so they draw
what they drew before. It is a second, separate stream; it goes when the last caller has moved.
"""

from __future__ import annotations

import math
import os
import struct
from collections.abc import Sequence
from typing import Any

import numpy as np

_DEFAULT_SEED = 67280421310721  # torch's default CPU seed
_N = 624
_F32 = np.float32
_MASK53 = np.uint64((1 << 53) - 1)
_TWO_PI = 2.0 * math.pi
_STATE_BYTES = 5056


def _seeded_key(seed: int) -> np.ndarray:
    """The 624-word Mersenne Twister state of init_genrand(seed & 0xffffffff)."""
    key = np.empty(_N, np.uint32)
    s = seed & 0xFFFFFFFF
    key[0] = s
    for j in range(1, _N):
        s = (1812433253 * (s ^ (s >> 30)) + j) & 0xFFFFFFFF
        key[j] = s
    return key


class Generator:
    """A seedable source of random numbers like ``torch.Generator`` (CPU): same seed, same stream.

    ``Generator()`` starts from torch's default seed; ``Generator(seed)`` is
    ``Generator().manual_seed(seed)``.

    ``.np`` is the numpy ``Generator`` that ``get_rng`` hands to callers not yet drawing torch's
    streams: a separate PCG64 stream seeded with the same seed, exactly as this module seeded it
    before (so those callers draw what they drew before). It goes when the last caller moves over.
    """

    def __init__(self, seed: int | None = None) -> None:
        self._bg = np.random.MT19937()
        self._words = np.random.Generator(self._bg)  # its full-range uint32 draws are the raw words
        self.manual_seed(_DEFAULT_SEED if seed is None else seed)
        if seed is None:
            self.np = np.random.default_rng()

    # --- seeding and state -------------------------------------------------------------------------
    def manual_seed(self, seed: int) -> Generator:
        """Restart the stream from ``seed`` (any int; torch keeps it modulo 2**64); returns self."""
        if not isinstance(seed, int | np.integer) or isinstance(seed, bool):
            raise TypeError(f"manual_seed: seed must be an int, got {type(seed).__name__}")
        seed = int(seed) % (1 << 64)
        self._seed = seed
        self._bg.state = {"bit_generator": "MT19937", "state": {"key": _seeded_key(seed), "pos": _N}}
        self._next_double: float | None = None
        self._next_float: float | None = None
        self.np = np.random.default_rng(seed)
        return self

    def seed(self) -> int:
        """Seed from the operating system's entropy (like torch's ``seed()``); returns the seed."""
        s = int.from_bytes(os.urandom(8), "little") >> 1
        self.manual_seed(s)
        return s

    def initial_seed(self) -> int:
        return self._seed

    def get_state(self) -> dict:
        """The full state as plain, JSON-safe data: the numpy stream's state dict (PCG64's
        ``bit_generator``, ``state``, ...) with the torch stream under ``"torch"``: ``seed``,
        ``key`` (624 words), ``pos``, ``next_double_normal``, ``next_float_normal``.
        ``state_bytes()`` gives torch's own byte layout of the torch stream."""
        st = self._bg.state["state"]
        return {**self.np.bit_generator.state,
                "torch": {"seed": self._seed, "key": [int(k) for k in st["key"]], "pos": int(st["pos"]),
                          "next_double_normal": self._next_double, "next_float_normal": self._next_float}}

    def set_state(self, state: Any) -> Generator:
        """Restore ``get_state()``'s dict, or torch's bytes (``torch.get_rng_state().numpy()``: then
        only the torch stream changes). Nothing changes if the state does not fit."""
        numpy_state = None
        if isinstance(state, dict):
            t = state.get("torch")
            if not isinstance(t, dict):
                raise ValueError("set_state: not a state of this generator (no 'torch' entry)")
            try:
                key, pos, seed = np.asarray(t["key"], np.uint32), int(t["pos"]), int(t["seed"])
                nd, nf = t.get("next_double_normal"), t.get("next_float_normal")
                numpy_state = {k: v for k, v in state.items() if k != "torch"}
                type(self.np.bit_generator)().state = numpy_state  # validated on a scratch copy
            except (TypeError, ValueError, KeyError, OverflowError) as e:
                raise ValueError(f"set_state: not a valid state ({e})") from None
        else:
            raw = np.asarray(state)
            if raw.dtype != np.uint8 or raw.shape != (_STATE_BYTES,):
                raise ValueError(f"set_state: expected a dict from get_state() or {_STATE_BYTES} uint8 bytes "
                                 f"(torch's layout), got {raw.dtype} of shape {raw.shape}")
            b = raw.tobytes()
            seed, left, _seeded, _next = struct.unpack_from("<QiiQ", b, 0)
            key = np.frombuffer(b, "<u8", _N, 24).astype(np.uint32)
            _x, y, _rho, valid = struct.unpack_from("<dddi", b, 24 + 8 * _N)
            f, fvalid = struct.unpack_from("<f?", b, 24 + 8 * _N + 32)
            pos, nd, nf = 625 - left, (y if valid else None), (float(f) if fvalid else None)
        if key.shape != (_N,) or not 0 <= pos <= _N:
            raise ValueError("set_state: malformed Mersenne Twister state")
        self._bg.state = {"bit_generator": "MT19937", "state": {"key": key, "pos": pos}}
        self._seed = seed
        self._next_double = None if nd is None else float(nd)
        self._next_float = None if nf is None else float(nf)
        if numpy_state is not None:
            self.np.bit_generator.state = numpy_state
        return self

    def state_bytes(self) -> np.ndarray:
        """The state in torch's layout: 5056 uint8, what ``torch.Generator.get_state()`` holds."""
        st = self._bg.state["state"]
        key, pos = np.asarray(st["key"], np.uint32), int(st["pos"])
        fresh = pos == _N and np.array_equal(key[:2], _seeded_key(self._seed)[:2])  # torch: next=0 until drawn
        head = struct.pack("<QiiQ", self._seed, 625 - pos, 1, 0 if fresh else pos)
        nd, nf = self._next_double, self._next_float
        tail = struct.pack("<dddi4xf?3x", 0.0, nd or 0.0, 0.0, nd is not None, nf or 0.0, nf is not None)
        return np.frombuffer(head + key.astype("<u8").tobytes() + tail, np.uint8).copy()

    # --- raw words -----------------------------------------------------------------------------------
    def random32(self, n: int) -> np.ndarray:
        """``n`` of torch's ``random()``: the raw 32-bit words (uint32)."""
        return self._words.integers(0, 1 << 32, size=n, dtype=np.uint32)  # full range: one raw word each

    def random64(self, n: int) -> np.ndarray:
        """``n`` of torch's ``random64()``: two words each, the first the high half (uint64)."""
        r = self.random32(2 * n).astype(np.uint64)
        hi = r[0::2] << np.uint64(32)
        hi |= r[1::2]
        return hi


default_generator = Generator()


def _gen(generator: Generator | None) -> Generator:
    return default_generator if generator is None else generator


def manual_seed(seed: int) -> Generator:
    """Seed the package generator (``torch.manual_seed``): every later random draw is reproducible."""
    return default_generator.manual_seed(seed)


def seed() -> int:
    return default_generator.seed()


def initial_seed() -> int:
    return default_generator.initial_seed()


def get_rng_state() -> dict:
    """The package generator's state (plain data; ``default_generator.state_bytes()`` for torch's bytes)."""
    return default_generator.get_state()


def set_rng_state(state: Any) -> None:
    default_generator.set_state(state)


def get_rng(generator: Generator | None = None) -> np.random.Generator:
    """The numpy stream of ``generator`` (or the package's): for callers not yet drawing torch's
    streams; seeded by ``manual_seed`` as before, separate from the torch stream."""
    return _gen(generator).np


# --- exact fused multiply-add (torch's kernels are compiled with FMA contraction) -------------------------

def _fma32(a: Any, b: Any, c: Any, tiny: bool = True) -> np.ndarray:
    """float32 ``a*b + c`` rounded once. The product is exact in float64; the float64 sum can only
    mis-round at a float32 tie, so those few elements are redone with the sum rounded to odd.
    ``tiny=False`` skips the float32-subnormal check (callers whose results cannot be subnormal)."""
    s = np.multiply(a, b, dtype=np.float64)
    s += c
    bits = s.view(np.int64)
    tie = (bits & 0x1FFFFFFF) == 0x10000000
    if tiny:
        tie |= (np.abs(s) < 1.2e-38) & (s != 0)
    if tie.any():
        idx = np.nonzero(tie)
        p = np.multiply(np.broadcast_to(a, s.shape)[idx], np.broadcast_to(b, s.shape)[idx], dtype=np.float64)
        cc = np.broadcast_to(np.asarray(c, np.float64), s.shape)[idx]
        s[idx] = _round_odd_sum(p, cc)
    return s.astype(np.float32)


def _two_sum(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    s = a + b
    bb = s - a
    return s, (a - (s - bb)) + (b - bb)


def _round_odd_sum(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``a + b`` rounded to odd in float64 (inexact results get an odd last bit)."""
    s, e = _two_sum(a, b)
    even = (s.view(np.int64) & 1) == 0
    fix = (e != 0) & even
    if fix.any():
        s = np.where(fix, np.nextafter(s, np.where(e > 0, np.inf, -np.inf)), s)
    return s


def _fma64(a: Any, b: Any, c: Any) -> np.ndarray:
    """float64 ``a*b + c`` rounded once (Boldo and Melquiond's emulation with rounding to odd)."""
    a, b, c = (np.asarray(v, np.float64) for v in (a, b, c))
    a, b, c = np.broadcast_arrays(a, b, c)
    split = 134217729.0  # 2**27 + 1, Dekker's splitter
    ph = a * b
    ta, tb = split * a, split * b
    ah, bh = ta - (ta - a), tb - (tb - b)
    al, bl = a - ah, b - bh
    pl = ((ah * bh - ph) + ah * bl + al * bh) + al * bl
    th, tl = _two_sum(c, ph)
    return th + _round_odd_sum(tl, pl)


def _as_shape(shape: Any) -> tuple:
    if isinstance(shape, int | np.integer):
        return (int(shape),)
    return tuple(int(s) for s in shape)


def _float_dtype(dtype: Any) -> np.dtype:
    dt = np.dtype(np.float32 if dtype is None else dtype)
    if dt not in (np.float32, np.float64):
        raise TypeError(f"expected float32 or float64, got {dt}")
    return dt


# --- uniform ----------------------------------------------------------------------------------------------

def _unit(gen: Generator, n: int, dtype: np.dtype) -> np.ndarray:
    """``n`` uniforms in [0, 1) as torch's uniform_real_distribution(0, 1) of ``dtype``."""
    if dtype == np.float32:
        r = gen.random32(n)
        r &= np.uint32(0xFFFFFF)
        u = r.astype(np.float32)
        u *= _F32(2.0 ** -24)
        return u
    r = gen.random64(n)
    r &= _MASK53
    u = r.astype(np.float64)
    u *= 2.0 ** -53
    return u


def rand(shape: Any, dtype: Any = np.float32, generator: Generator | None = None) -> np.ndarray:
    """``torch.rand(shape, dtype=dtype)``: uniform on [0, 1)."""
    shape, dt = _as_shape(shape), _float_dtype(dtype)
    return _unit(_gen(generator), math.prod(shape), dt).reshape(shape)


def uniform(a: float = 0.0, b: float = 1.0, shape: Any = (), dtype: Any = np.float32,
            generator: Generator | None = None) -> np.ndarray:
    """``torch.empty(shape, dtype=dtype).uniform_(a, b)`` (also ``nn.init.uniform_``)."""
    shape, dt = _as_shape(shape), _float_dtype(dtype)
    u = _unit(_gen(generator), math.prod(shape), dt)
    lo, hi = dt.type(a), dt.type(b)
    if lo == 0 and hi == 1:
        return u.reshape(shape)
    if not lo <= hi:
        raise ValueError(f"uniform: expected a <= b, got a={a}, b={b}")
    out = _fma32(u, hi - lo, lo) if dt == np.float32 else _fma64(u, hi - lo, lo)
    out[out >= hi] = lo  # a value rounded up onto b becomes a, as torch keeps to [a, b)
    return out.reshape(shape)


# --- normal -----------------------------------------------------------------------------------------------

def _normal_scalar(gen: Generator, n: int, mean: float, std: float) -> np.ndarray:
    """torch's per-element path: Box-Muller in double, the sine kept for the next call."""
    out = np.empty(n, np.float64)
    i = 0
    while i < n:
        if gen._next_double is not None:
            z, gen._next_double = gen._next_double, None
        else:
            pairs = (n - i + 1) // 2
            u = (gen.random64(2 * pairs) & _MASK53).astype(np.float64) * 2.0 ** -53
            zs = []
            for u1, u2 in zip(u[0::2].tolist(), u[1::2].tolist()):
                r = math.sqrt(-2.0 * math.log1p(-u2))
                theta = _TWO_PI * u1
                zs += [r * math.cos(theta), r * math.sin(theta)]
            take = min(len(zs), n - i)
            out[i:i + take] = _fma64(np.array(zs[:take]), std, mean)
            i += take
            if take < len(zs):
                gen._next_double = zs[-1]
            continue
        out[i] = _fma64(z, std, mean)
        i += 1
    return out


# float32 log, sin and cos as torch's AVX2 kernel computes them: Cephes polynomials in float32
# (Pommier's SSE/AVX formulation), with the multiply-adds fused as GCC fuses them there.
_LOG_POLY = [_F32(c) for c in (7.0376836292e-2, -1.1514610310e-1, 1.1676998740e-1, -1.2420140846e-1,
                               1.4249322787e-1, -1.6668057665e-1, 2.0000714765e-1, -2.4999993993e-1,
                               3.3333331174e-1)]
_COS_POLY = [_F32(c) for c in (2.443315711809948e-5, -1.388731625493765e-3, 4.166664568298827e-2)]
_SIN_POLY = [_F32(c) for c in (-1.9515295891e-4, 8.3321608736e-3, -1.6666654611e-1)]


def _log_f32(x: np.ndarray) -> np.ndarray:
    """Natural log of float32 values in (0, 1] (the uniforms' range) as torch's AVX2 kernel has it.

    Where torch's fused multiply-add has an exact product (by 0.5, or a small integer times a
    short constant) it equals the plain float32 expression, which is used there."""
    bits = x.view(np.int32)
    e = ((bits >> 23) - 126).astype(np.float32)               # exponent for a mantissa in [0.5, 1)
    m = ((bits & 0x007FFFFF) | 0x3F000000).view(np.float32)
    small = m < _F32(0.707106781186547524)                    # then use 2m - 1 and one less exponent
    m = np.where(small, m + m, m) - _F32(1)
    e -= small
    z = m * m
    y = _fma32(m, _LOG_POLY[0], _LOG_POLY[1], False)
    for c in _LOG_POLY[2:]:
        y = _fma32(y, m, c, False)
    y *= m
    y = _fma32(y, z, e * _F32(-2.12194440e-4), False)
    y -= z * _F32(0.5)
    y += m
    y += e * _F32(0.693359375)
    return y


def _sincos_f32(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """sin and cos of float32 values in [0, 2 pi) as torch's AVX2 kernel has them."""
    j = (x * _F32(1.27323954473516)).astype(np.int32)         # octant of x (times 4/pi), made even
    j += 1
    j &= ~1
    y = j.astype(np.float32)
    r = y * _F32(-0.78515625)                                 # x - y*pi/4 in three parts (the first
    r += x                                                    # two products are exact)
    r += y * _F32(-2.4187564849853515625e-4)
    r = _fma32(y, _F32(-3.77489497744594108e-8), r, False)
    z = r * r
    c = _fma32(z, _COS_POLY[0], _COS_POLY[1], False)
    c = _fma32(c, z, _COS_POLY[2], False)
    c *= z
    c = _fma32(c, z, z * _F32(-0.5), False)
    c += _F32(1)
    s = _fma32(z, _SIN_POLY[0], _SIN_POLY[1], False)
    s = _fma32(s, z, _SIN_POLY[2], False)
    s *= z
    s = _fma32(s, r, r, False)
    swap = (j & 2).astype(bool)                               # octants 2-3, 6-7: the polynomials swap
    sin, cos = np.where(swap, c, s), np.where(swap, s, c)
    sin.view(np.int32)[...] ^= (j & 4) << 29                  # the signs, by flipping the sign bit
    j -= 2
    np.invert(j, out=j)
    j &= 4
    cos.view(np.int32)[...] ^= j << 29
    return sin, cos


_CHUNK = 1 << 15  # blocks of 16 are transformed this many values at a time (stays in cache)


def _box_muller_f32(u: np.ndarray, mean: float, std: float) -> np.ndarray:
    """Blocks of 16 float32 uniforms -> 8 cos and 8 sin normals each, as torch's AVX2 kernel."""
    out = np.empty_like(u)
    mean32, std32 = _F32(mean), _F32(std)
    for start in range(0, u.size, _CHUNK):
        blk = u[start:start + _CHUNK].reshape(-1, 16)
        radius = np.sqrt(_F32(-2) * _log_f32(_F32(1) - blk[:, :8].ravel()))
        sin, cos = _sincos_f32(_F32(_TWO_PI) * blk[:, 8:].ravel())
        n1, n2 = radius * cos, radius * sin
        o = out[start:start + _CHUNK].reshape(-1, 16)
        if std32 == 1 and mean32 == 0:
            n1 += _F32(0)
            n2 += _F32(0)
        else:
            n1, n2 = _fma32(n1, std32, mean32), _fma32(n2, std32, mean32)
        o[:, :8], o[:, 8:] = n1.reshape(-1, 8), n2.reshape(-1, 8)
    return out


def _box_muller_f64(u: np.ndarray, mean: float, std: float) -> np.ndarray:
    blk = u.reshape(-1, 16)
    radius = np.sqrt(-2.0 * np.array([math.log(v) for v in (1.0 - blk[:, :8]).ravel().tolist()]))
    radius = radius.reshape(-1, 8)
    theta = _TWO_PI * blk[:, 8:]
    out = np.empty_like(blk)
    out[:, :8] = _fma64(radius * np.cos(theta), std, mean)
    out[:, 8:] = _fma64(radius * np.sin(theta), std, mean)
    return out.ravel()


def normal(mean: float = 0.0, std: float = 1.0, shape: Any = (), dtype: Any = np.float32,
           generator: Generator | None = None) -> np.ndarray:
    """``torch.empty(shape, dtype=dtype).normal_(mean, std)`` (``nn.init.normal_``, ``torch.normal``
    with float mean and std): the scalar path below 16 elements, blocks of 16 from 16 on."""
    shape, dt = _as_shape(shape), _float_dtype(dtype)
    if std < 0:
        raise ValueError(f"normal: std must be >= 0, got {std}")
    gen, n = _gen(generator), math.prod(shape)
    if n < 16:
        return _normal_scalar(gen, n, float(mean), float(std)).astype(dt).reshape(shape)
    u = _unit(gen, n, dt)
    full = n - n % 16
    out = np.empty(n, dt)
    bm = _box_muller_f32 if dt == np.float32 else _box_muller_f64
    if full:
        out[:full] = bm(u[:full], mean, std)
    if n % 16:  # torch draws 16 more uniforms and recomputes the last 16 outputs
        out[n - 16:] = bm(_unit(gen, 16, dt), mean, std)
    return out.reshape(shape)


def randn(shape: Any, dtype: Any = np.float32, generator: Generator | None = None) -> np.ndarray:
    """``torch.randn(shape, dtype=dtype)``."""
    return normal(0.0, 1.0, shape, dtype, generator)


# --- integers ---------------------------------------------------------------------------------------------

def randint(low: int, high: int | None = None, shape: Any = (), dtype: Any = np.int64,
            generator: Generator | None = None) -> np.ndarray:
    """``torch.randint(low, high, shape, dtype=dtype)`` (``randint(high, shape=...)`` as torch's
    one-bound form): ``r % (high - low) + low``, r of 32 bits, or 64 when the range is >= 2**32."""
    if high is None or isinstance(high, tuple | list):          # torch's randint(high, size)
        low, high, shape = 0, low, (shape if high is None else high)
    low, high = int(low), int(high)
    if high <= low:
        raise ValueError(f"randint: expected low < high, got low={low}, high={high}")
    shape, dt = _as_shape(shape), np.dtype(dtype)
    gen, n, span = _gen(generator), math.prod(shape), high - low
    wide = span >= 1 << 32 and dt in (np.int64, np.float32, np.float64)
    r = gen.random64(n) if wide else gen.random32(n).astype(np.uint64)
    v = (r % np.uint64(span)).astype(np.int64) + np.int64(low) if span < 1 << 63 else \
        np.array([int(x) % span + low for x in r.tolist()], np.int64)
    return v.astype(dt).reshape(shape)


def random_int64(shape: Any = (), generator: Generator | None = None) -> np.ndarray:
    """``torch.empty(shape, dtype=torch.int64).random_()``: ``random64() % 2**63``."""
    shape = _as_shape(shape)
    r = _gen(generator).random64(math.prod(shape))
    return (r & np.uint64((1 << 63) - 1)).astype(np.int64).reshape(shape)


def randperm(n: int, dtype: Any = np.int64, generator: Generator | None = None) -> np.ndarray:
    """``torch.randperm(n)``: torch's Fisher-Yates, ``swap(a[i], a[i + r % (n - i)])`` for i < n-1.

    The swaps are resolved without a per-element loop. Position k, when step k runs, holds what
    the last earlier step aiming at k moved there -- which is what *that* step's position held
    when it ran -- and so on back to a position never aimed at, holding its own index: the chains
    are found by a stable sort of the targets and followed by pointer jumping."""
    n = int(n)
    if n < 0:
        raise ValueError(f"randperm: n must be non-negative, got {n}")
    if n >= 0xFFFFFFFF // 20:
        raise NotImplementedError("randperm: n >= 214748364 uses torch's 64-bit variant, not reproduced")
    if n <= 1:
        return np.arange(n, dtype=dtype)
    steps = np.arange(n - 1, dtype=np.int64)
    target = steps + _gen(generator).random32(n - 1).astype(np.int64) % (n - steps)
    order = np.argsort(target, kind="stable")                  # by target, then by step
    sorted_t = target[order]
    repeat = sorted_t[1:] == sorted_t[:-1]
    earlier = np.full(n - 1, -1, np.int64)                     # the previous step with the same target
    earlier[order[1:][repeat]] = order[:-1][repeat]
    is_last = np.ones(n - 1, bool)
    is_last[:-1] = ~repeat
    last = np.full(n, -1, np.int64)                            # the last step aiming at each position
    last[sorted_t[is_last]] = order[is_last]
    positions = np.arange(n, dtype=np.int64)
    own = last[:-1] == steps                                   # a last step aiming at itself came too late
    last[:-1][own] = earlier[own]
    root = np.where(last >= 0, last, positions)                # value at k before step k: follow to a root
    while True:
        nxt = root[root]
        if np.array_equal(nxt, root):
            break
        root = nxt
    out = np.empty(n, np.int64)
    prev = earlier                                             # what step i swaps in from its target
    out[:-1] = np.where(target == steps, root[:-1], np.where(prev >= 0, root[np.maximum(prev, 0)], target))
    out[-1] = root[-1]
    return out.astype(dtype)


# --- bernoulli, exponential, multinomial -------------------------------------------------------------------

def bernoulli(p: Any, shape: Any = None, dtype: Any = np.float32, generator: Generator | None = None) -> np.ndarray:
    """``torch.bernoulli(p)`` for an array p (float32 p: float32 uniforms; float64 p: float64), or
    ``torch.empty(shape, dtype=dtype).bernoulli_(p)`` for a float p (float64 uniforms). 0/1 values."""
    gen = _gen(generator)
    if isinstance(p, np.ndarray):
        pa = p if p.dtype in (np.float32, np.float64) else p.astype(np.float32)
        if shape is not None and _as_shape(shape) != pa.shape:
            pa = np.broadcast_to(pa, _as_shape(shape))
        u = _unit(gen, pa.size, pa.dtype).reshape(pa.shape)
        return (u < pa).astype(p.dtype if shape is None and p.dtype.kind == "f" else dtype)
    shape = _as_shape(() if shape is None else shape)
    if not 0 <= p <= 1:
        raise ValueError(f"bernoulli: p must be in [0, 1], got {p}")
    u = _unit(gen, math.prod(shape), np.dtype(np.float64))
    return (u < float(p)).astype(dtype).reshape(shape)


def exponential(lambd: float = 1.0, shape: Any = (), dtype: Any = np.float32,
                generator: Generator | None = None) -> np.ndarray:
    """``torch.empty(shape, dtype=dtype).exponential_(lambd)``: ``-1/lambd * log1p(-u)`` in double."""
    shape, dt = _as_shape(shape), _float_dtype(dtype)
    u = _unit(_gen(generator), math.prod(shape), np.dtype(np.float64))
    scale = -1.0 / lambd
    v = np.array([scale * math.log1p(-x) for x in u.tolist()], np.float64)
    return v.astype(dt).reshape(shape)


def multinomial(probs: Any, num_samples: int, replacement: bool = False,
                generator: Generator | None = None) -> np.ndarray:
    """``torch.multinomial(probs, num_samples, replacement)`` for 1-D or 2-D float probs (int64)."""
    p = np.asarray(probs)
    if p.dtype not in (np.float32, np.float64):
        p = p.astype(np.float32)
    if p.ndim not in (1, 2):
        raise ValueError(f"multinomial: probs must be 1-D or 2-D, got shape {p.shape}")
    if (p < 0).any() or not np.isfinite(p).all():
        raise ValueError("multinomial: probabilities must be finite and non-negative")
    rows = p.reshape(-1, p.shape[-1])
    if (rows.sum(axis=1) <= 0).any():
        raise ValueError("multinomial: a row of probabilities sums to zero")
    if not replacement and num_samples > rows.shape[1]:
        raise ValueError(f"multinomial: cannot draw {num_samples} samples without replacement "
                         f"from {rows.shape[1]} categories")
    gen = _gen(generator)
    if not replacement or num_samples == 1:
        q = exponential(1.0, rows.shape, rows.dtype, gen)
        key = rows / q
        if num_samples == 1:
            out = np.argmax(key, axis=1)[:, None]
        else:
            out = np.argsort(-key, axis=1, kind="stable")[:, :num_samples]
    else:
        cum = np.cumsum(rows, axis=1, dtype=rows.dtype)
        cum = cum / cum[:, -1:]
        cum[:, -1] = 1
        u = _unit(gen, rows.shape[0] * num_samples, np.dtype(np.float64)).reshape(rows.shape[0], num_samples)
        out = np.stack([np.searchsorted(c.astype(np.float64), ur, side="left") for c, ur in zip(cum, u)])
    out = out.astype(np.int64)
    return out[0] if p.ndim == 1 else out


# --- what torch's layers, init functions and data loader draw ---------------------------------------------

def calculate_gain(nonlinearity: str, param: float | None = None) -> float:
    """``torch.nn.init.calculate_gain``."""
    if nonlinearity in ("linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d",
                        "conv_transpose3d", "sigmoid"):
        return 1
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        slope = 0.01 if param is None else param
        return math.sqrt(2.0 / (1 + slope ** 2))
    if nonlinearity == "selu":
        return 3.0 / 4
    raise ValueError(f"Unsupported nonlinearity {nonlinearity}")


def fan_in_and_fan_out(shape: Sequence[int]) -> tuple[int, int]:
    """torch's fans of a weight shaped ``(out, in, *kernel)``."""
    if len(shape) < 2:
        raise ValueError("fan in and fan out can not be computed for a tensor with fewer than 2 dimensions")
    receptive = math.prod(shape[2:]) if len(shape) > 2 else 1
    return shape[1] * receptive, shape[0] * receptive


def kaiming_uniform(shape: Any, a: float = 0, mode: str = "fan_in", nonlinearity: str = "leaky_relu",
                    dtype: Any = np.float32, generator: Generator | None = None) -> np.ndarray:
    """``nn.init.kaiming_uniform_`` on a new tensor of ``shape``."""
    shape = _as_shape(shape)
    fan = fan_in_and_fan_out(shape)[0 if mode == "fan_in" else 1]
    bound = math.sqrt(3.0) * (calculate_gain(nonlinearity, a) / math.sqrt(fan))
    return uniform(-bound, bound, shape, dtype, generator)


def kaiming_normal(shape: Any, a: float = 0, mode: str = "fan_in", nonlinearity: str = "leaky_relu",
                   dtype: Any = np.float32, generator: Generator | None = None) -> np.ndarray:
    """``nn.init.kaiming_normal_`` on a new tensor of ``shape``."""
    shape = _as_shape(shape)
    fan = fan_in_and_fan_out(shape)[0 if mode == "fan_in" else 1]
    return normal(0, calculate_gain(nonlinearity, a) / math.sqrt(fan), shape, dtype, generator)


def xavier_uniform(shape: Any, gain: float = 1.0, dtype: Any = np.float32,
                   generator: Generator | None = None) -> np.ndarray:
    """``nn.init.xavier_uniform_`` on a new tensor of ``shape``."""
    shape = _as_shape(shape)
    fan_in, fan_out = fan_in_and_fan_out(shape)
    bound = math.sqrt(3.0) * (gain * math.sqrt(2.0 / float(fan_in + fan_out)))
    return uniform(-bound, bound, shape, dtype, generator)


def xavier_normal(shape: Any, gain: float = 1.0, dtype: Any = np.float32,
                  generator: Generator | None = None) -> np.ndarray:
    """``nn.init.xavier_normal_`` on a new tensor of ``shape``."""
    shape = _as_shape(shape)
    fan_in, fan_out = fan_in_and_fan_out(shape)
    return normal(0.0, gain * math.sqrt(2.0 / float(fan_in + fan_out)), shape, dtype, generator)


def trunc_normal(shape: Any, mean: float = 0.0, std: float = 1.0, a: float = -2.0, b: float = 2.0,
                 dtype: Any = np.float32, generator: Generator | None = None) -> np.ndarray:
    """``nn.init.trunc_normal_`` (torch 2.13's sampler) on a new tensor of ``shape``.

    When [a, b] holds more than 30% of the mass: ``normal_(mean, std)``, then, while any value
    lies outside [a, b] (bounds rounded to the dtype), a whole new ``normal_`` draw of which only
    those places are taken. Otherwise uniform proposals on [a, b] accepted when
    ``log(u) <= -((x - mean)/std)**2 / 2 - log_peak``, each round drawing a whole tensor of
    proposals and of u: here ``log`` is numpy's, torch's is vectorised -- they can differ by an ulp,
    so an acceptance exactly at the threshold could differ (the rare narrow-interval case)."""
    shape, dt = _as_shape(shape), _float_dtype(dtype)
    gen = _gen(generator)

    def cdf(x: float) -> float:
        return (1.0 + math.erf(x / math.sqrt(2.0))) / 2.0

    if cdf((b - mean) / std) - cdf((a - mean) / std) > 0.3:
        lo, hi = float(dt.type(a)), float(dt.type(b))
        result = normal(mean, std, shape, dt, gen)
        while True:
            outside = (result < lo) | (result > hi)
            if not outside.any():
                return result
            result = np.where(outside, normal(mean, std, shape, dt, gen), result)
    mode = max(a, min(mean, b))
    log_peak = -0.5 * ((mode - mean) / std) ** 2
    m, s, half, peak = dt.type(mean), dt.type(std), dt.type(-0.5), dt.type(log_peak)

    def log_pdf(x: np.ndarray) -> np.ndarray:
        z = (x - m) / s
        return (z * z) * half - peak

    result = uniform(a, b, shape, dt, gen)
    pending = np.log(uniform(0.0, 1.0, shape, dt, gen)) > log_pdf(result)
    while pending.any():
        candidates = uniform(a, b, shape, dt, gen)
        result = np.where(pending, candidates, result)
        pending = np.where(pending, np.log(uniform(0.0, 1.0, shape, dt, gen)) > log_pdf(candidates), pending)
    return result


def sparse(shape: Any, sparsity: float, std: float = 0.01, dtype: Any = np.float32,
           generator: Generator | None = None) -> np.ndarray:
    """``nn.init.sparse_`` on a new 2-D tensor: ``normal_(0, std)`` from ``generator``, then per
    column the first ``ceil(sparsity * rows)`` of a ``randperm(rows)`` set to zero -- torch draws
    those permutations from the *default* generator, whatever ``generator`` is."""
    rows, cols = _as_shape(shape)
    num_zeros = math.ceil(sparsity * rows)
    w = normal(0.0, std, (rows, cols), dtype, generator)
    for col in range(cols):
        w[randperm(rows)[:num_zeros], col] = 0
    return w


def linear_init(in_features: int, out_features: int, bias: bool = True, dtype: Any = np.float32,
                generator: Generator | None = None) -> tuple[np.ndarray, np.ndarray | None]:
    """``nn.Linear(in_features, out_features)``'s weight (out, in) and bias, drawn in torch's order:
    kaiming_uniform_(a=sqrt(5)) -- uniform on +-1/sqrt(in) -- then the bias on +-1/sqrt(in)."""
    weight = kaiming_uniform((out_features, in_features), a=math.sqrt(5), dtype=dtype, generator=generator)
    if not bias:
        return weight, None
    bound = 1 / math.sqrt(in_features) if in_features > 0 else 0
    return weight, uniform(-bound, bound, (out_features,), dtype, generator)


def embedding_init(num_embeddings: int, embedding_dim: int, padding_idx: int | None = None,
                   dtype: Any = np.float32, generator: Generator | None = None) -> np.ndarray:
    """``nn.Embedding``'s weight: N(0, 1), the padding row then zeroed."""
    w = normal(0.0, 1.0, (num_embeddings, embedding_dim), dtype, generator)
    if padding_idx is not None:
        w[padding_idx] = 0
    return w


def dropout_keep_mask(shape: Any, p: float, dtype: Any = np.float32,
                      generator: Generator | None = None) -> np.ndarray:
    """The elements ``F.dropout(x, p, training=True)`` keeps (bool): ``empty_like(x).bernoulli_(1 - p)``,
    one float64 uniform per element whatever x's ``dtype`` (kept for the signature's sake). torch
    draws nothing when p is 0 or 1 (or x is empty): call this only for 0 < p < 1."""
    return bernoulli(1 - p, shape, np.bool_, generator)


def dropout(x: np.ndarray, p: float, generator: Generator | None = None) -> np.ndarray:
    """``F.dropout(x, p, training=True)`` on an array: ``x * (mask / (1 - p))`` in x's dtype."""
    if p == 0 or x.size == 0:
        return x
    if p == 1:
        return x * x.dtype.type(0)
    keep = dropout_keep_mask(x.shape, p, x.dtype, generator)
    noise = keep.astype(x.dtype) / x.dtype.type(1 - p)
    return x * noise


def sampler_order(n: int, generator: Generator | None = None) -> np.ndarray:
    """One pass of ``RandomSampler(range(n), generator=generator)``: without a generator, a seed
    ``random_int64()`` from the package generator seeds a fresh one; then ``randperm(n)``. With a
    generator, a complete pass also draws the (unused) next ``randperm(n)`` from it, as torch does."""
    if generator is None:
        return randperm(n, generator=Generator(int(random_int64())))
    order = randperm(n, generator=generator)
    randperm(n, generator=generator)
    return order


def dataloader_order(n: int, generator: Generator | None = None, shuffle: bool = True) -> np.ndarray:
    """The sample order of one full epoch of ``DataLoader(dataset_of_n, shuffle=shuffle,
    generator=generator)``, drawing what torch draws: its iterator first draws a base seed
    (``random_int64``) from ``generator`` (or the package generator) -- with or without shuffling
    -- then, shuffling, the sampler runs (``sampler_order``)."""
    random_int64(generator=generator)
    return sampler_order(n, generator) if shuffle else np.arange(n)
