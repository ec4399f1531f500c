"""Reference values for the metrics, from published figures (source in each comment)."""

import numpy as np
import pandas as pd
import pytest

from chipclass import tpp, ureg
from chipclass.core.metrics import (dense_throughput, memory_bandwidth_density, performance_density,
                               total_processing_performance, tpp_per_format)


def test_bis_worked_example():
    # 3A090 Technical Note (88 FR 73458): 4800 TPP is 600 dense 8-bit TOPS or 300 dense 16-bit TFLOPS
    assert tpp_per_format(600, 8) == 4800
    assert tpp_per_format(300, 16) == 4800


@pytest.mark.parametrize("specs,expected", [
    # NVIDIA H100 SXM datasheet: FP8 3,958 TFLOPS with sparsity -> 1,979 dense -> 15,832
    ({"fp8_sparse": 3958}, 15832.0),
    ({"fp8": 1979}, 15832.0),
    # NVIDIA H20 (partner spec sheet, press): 296 dense FP8 TFLOPS -> 2,368
    ({"fp8": 296, "fp16": 148}, 2368.0),
    # NVIDIA A100 datasheet: INT8 624 TOPS dense (1,248 with sparsity) -> 4,992
    ({"int8": 624}, 4992.0),
    # NVIDIA Ada whitepaper, RTX 4090: FP8 660.6 TFLOPS dense -> 5,284.8
    ({"fp8": 660.6}, 5284.8),
    # NVIDIA RTX 5090 D: 2,375 "AI TOPS", sparse FP4 -> 1,187.5 dense x 4 -> 4,750
    ({"fp4_sparse": 2375}, 4750.0),
])
def test_tpp_reference_values(specs, expected):
    assert tpp(**specs) == pytest.approx(expected)


def test_tpp_accepts_quantities_and_text():
    assert tpp(fp8=0.296 * ureg.PFLOPS) == pytest.approx(2368.0)
    assert tpp(fp8="296 TFLOPS") == pytest.approx(2368.0)
    assert tpp(fp8="296000 GFLOPS") == pytest.approx(2368.0)


def test_h20_performance_density():
    # digest section 7: H20 PD 2.91 on the 814 mm² GH100 die (NVIDIA Hopper whitepaper)
    assert performance_density(2368.0, 814.0) == pytest.approx(2.909, abs=1e-3)
    # H100 SXM: PD 19.4
    assert performance_density(15832.0, 814.0) == pytest.approx(19.45, abs=1e-2)


def test_dense_wins_over_sparse():
    out = dense_throughput(np.array([100.0, np.nan, np.nan]), np.array([400.0, 400.0, np.nan]))
    np.testing.assert_array_equal(out[:2], [100.0, 200.0])
    assert np.isnan(out[2])


def test_tpp_takes_highest_format_and_names_it():
    t, f = total_processing_performance({"fp16": np.array([500.0, 10.0, np.nan]),
                                         "fp8": np.array([900.0, np.nan, np.nan])})
    np.testing.assert_array_equal(t[:2], [8000.0, 160.0])
    assert list(f) == ["fp16", "fp16", ""]
    assert np.isnan(t[2])


def test_bit_length_override_tf32():
    # TF32 counted at 32 by default; 19 is the other reading (Epoch AI)
    t32, _ = total_processing_performance({"tf32": 156.0})
    t19, _ = total_processing_performance({"tf32": 156.0}, {"tf32": 19})
    assert float(t32) == 156 * 32 and float(t19) == 156 * 19


@pytest.mark.parametrize("kind", [float, list, np.array, pd.Series])
def test_metrics_work_on_scalars_lists_arrays_series(kind):
    a = kind([2368.0]) if kind is not float else 2368.0
    b = kind([814.0]) if kind is not float else 814.0
    out = np.asarray(performance_density(a, b)).ravel()
    assert out[0] == pytest.approx(2368 / 814)
    out = np.asarray(memory_bandwidth_density(a, b)).ravel()
    assert out[0] == pytest.approx(2368 / 814)


def test_formulas_take_and_return_quantities():
    # H100 SXM: 1,979 dense FP8 TFLOPS x 8 = TPP 15,832 on 814 mm² (NVIDIA datasheet and Hopper whitepaper)
    t = tpp_per_format(1.979 * ureg.PFLOPS, 8)
    assert t.units == ureg.dimensionless and float(t.magnitude) == pytest.approx(15832.0)
    pd_ = performance_density(15832.0 * ureg.dimensionless, 8.14 * ureg.cm**2)
    assert str(pd_.units) == "1 / millimeter ** 2" and float(pd_.magnitude) == pytest.approx(19.45, abs=0.01)
    mbd = memory_bandwidth_density(0.8192 * ureg.TB / ureg.s, 121 * ureg.mm**2)   # HBM3 stack, 819.2 GB/s
    assert float(mbd.to("GB/s/mm**2").magnitude) == pytest.approx(6.77, abs=0.01)
    # plain numbers stay plain (the bulk path never touches pint)
    assert not hasattr(performance_density(15832.0, 814.0), "units")


def test_formula_refuses_a_quantity_of_the_wrong_dimension():
    with pytest.raises(ValueError, match="die_area needs a area"):
        performance_density(15832.0, 4 * ureg.TB / ureg.s)
