import random

import numpy as np
import pytest
import torch

import deepwhy


def test_set_seed_makes_all_three_generators_repeat():
    deepwhy.set_seed(3)
    a = (random.random(), np.random.rand(), torch.rand(1).item())
    deepwhy.set_seed(3)
    b = (random.random(), np.random.rand(), torch.rand(1).item())
    assert a == b


def test_set_seed_returns_a_seeded_generator():
    g1, g2 = deepwhy.set_seed(5), deepwhy.set_seed(5)
    assert torch.rand(3, generator=g1).tolist() == torch.rand(3, generator=g2).tolist()


@pytest.mark.parametrize("bad", [-1, 1.5, "0", None, True])
def test_set_seed_rejects_bad_seeds(bad):
    with pytest.raises(ValueError, match="seed"):
        deepwhy.set_seed(bad)


def test_use_cpu_sets_threads_and_rejects_bad_counts():
    import platform

    import torch

    before = torch.get_num_threads()
    try:
        setup = deepwhy.use_cpu(1)
        assert torch.get_num_threads() == 1
        assert setup["threads"] == 1
        assert setup["keep_freed_memory"] == (platform.libc_ver()[0] == "glibc")
    finally:
        torch.set_num_threads(before)
    for bad in (0, -2, 1.5, True, "2"):
        with pytest.raises(ValueError, match="positive integer"):
            deepwhy.use_cpu(bad)
