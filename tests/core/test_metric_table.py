"""One metric table (issue 19 item 5, data/metrics.toml) and labels from the metric's kind (issue 20
item 4: TFLOPS for floating-point formats, TOPS for integer ones, in every text and unit column)."""

import csv
import io

from click.testing import CliRunner

from chipclass.cli import main
from chipclass.core import metric_table
from chipclass.core.formats import FORMATS, KIND, label

from ..conftest import write


def cli(*args):
    return CliRunner().invoke(main, ["--no-config", *args], catch_exceptions=False)


def test_every_consumer_reads_the_table():
    from chipclass.api import RESULT_UNITS
    from chipclass.classification.logic import NEEDS
    from chipclass.core.catalogue import NUMERIC
    from chipclass.core.schema import METRICS
    from chipclass.rules.instruments import METRIC_KINDS

    assert METRICS == metric_table.CONDITION_METRICS
    assert METRIC_KINDS == metric_table.METRIC_QUANTITY and NEEDS == metric_table.NEEDS
    assert set(metric_table.INPUTS) <= set(NUMERIC) and all(f in NUMERIC and f"{f}_sparse" in NUMERIC for f in FORMATS)
    assert RESULT_UNITS["performance_density"] == "1/mm**2"
    assert {n for n in NUMERIC if not n.removesuffix("_sparse") in FORMATS} == set(metric_table.INPUTS)


def test_labels_follow_the_kind():
    # formats.toml: fp* / bf16 / tf32 are floating point, int* integer
    assert {f for f in FORMATS if KIND[f] == "int"} == {"int4", "int8", "int16", "int32"}
    assert label("fp8") == label("bf16_sparse") == "TFLOPS" and label("int8") == label("int4_sparse") == "TOPS"
    assert label("die_area") == "mm²" and label("memory_bandwidth") == "GB/s"


def test_headroom_says_tflops_for_fp8_and_tops_for_int8(tmp_path):
    # the example: "FP8 can rise to just under 300 TOPS" for a floating-point format.
    # H20 figures (NVIDIA): 296 dense FP8 TFLOPS and 296 INT8 TOPS on an 814 mm2 die; 300 x 8 = 2400.
    p = write(tmp_path, "name,fp8,int8,die_area\nH20,296,296,814\n")
    r = cli("explain", p, "H20", "--as-of", "2025-06-01")
    assert "FP8 can rise to just under 300 TFLOPS (now 296)" in r.stdout
    assert "INT8 can rise to just under 300 TOPS (now 296)" in r.stdout
    assert "fp8              296 TFLOPS" in r.stdout and "int8             296 TOPS" in r.stdout
    r = cli("headroom", p, "-f", "csv", "--as-of", "2025-06-01")
    rows = list(csv.DictReader(io.StringIO(r.stdout)))
    units = {row["spec"]: row["unit"] for row in rows}
    assert units["fp8"] == "TFLOPS" and units["int8"] == "TOPS" and units["die_area"] == "mm²"


def test_envelope_and_model_labels():
    r = cli("envelope", "--spec", "fp8=296", "--spec", "die_area=814", "--free", "fp8", "--free", "die_area",
            "--target", "not controlled", "--as-of", "2025-06-01")
    assert "around fp8 296 TFLOPS" in r.stdout and "TOPS," not in r.stdout.splitlines()[0]
    from chipclass.licensing.diffusion import model

    out = model(device={"name": "X", "tops": 100.0, "format": "fp8"}, count=1, utilisation=0.5, days=1,
                as_of="2025-06-01")
    assert "dense 100 TFLOPS" in str(out)
    out = model(device={"name": "X", "tops": 100.0, "format": "int8"}, count=1, utilisation=0.5, days=1,
                as_of="2025-06-01")
    assert "dense 100 TOPS" in str(out)
