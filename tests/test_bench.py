"""The benchmark's pieces (the timings themselves are a measurement, not a test)."""
from deepwhy import bench


def test_training_flops_counts_forward_and_backward():
    # [1, 64, 64, 1]: forward 2n(64 + 4096 + 64); backward weights the same; inputs of layers 2-3: 2n(4096 + 64)
    n = 256
    expected = 2 * n * (64 + 4096 + 64) * 2 + 2 * n * (4096 + 64)
    assert bench.training_flops([1, 64, 64, 1], n, members=1, steps=1) == expected
    assert bench.training_flops([1, 64, 64, 1], n, members=32, steps=300) == expected * 32 * 300


def test_time_workload_runs_both_ways():
    t = bench.time_workload("tiny", [2, 3, 1], n=4, members=3, steps=5, repeats=1)
    assert t.ensemble_s > 0 and t.loop_s > 0 and t.speedup > 0


def test_matmul_rate_is_positive():
    assert bench.matmul_gflops(n=64, repeats=2) > 0


def test_chapter_timings_report_every_ratio():
    ratios = bench.backprop_timings()
    assert set(ratios) == {"gradient / forward (P = 20301)", "finite differences / gradient (P = 1761)",
                           "ensemble pass: autograd / rules"}
    assert all(r > 0 for r in ratios.values())
