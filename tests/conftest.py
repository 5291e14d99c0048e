import os

import numpy as np
import pytest
from hypothesis import HealthCheck, settings

import tinygrad_mlp as tg

settings.register_profile(
    "default", max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile("thorough", max_examples=400, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))


@pytest.fixture(autouse=True)
def _fresh_state():
    """Every test starts with the default dtype, grad mode on and a seeded generator."""
    tg.set_default_dtype(np.float32)
    tg.manual_seed(1234)
    with tg.enable_grad():
        yield
    tg.set_default_dtype(np.float32)
