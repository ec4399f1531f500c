import pytest
import re

from chipclass.core.units import UnitError, check_unit_text, normalise_spelling, to_canonical, unit_factor, ureg


@pytest.mark.parametrize("unit,kind,factor", [
    ("TOPS", "throughput", 1.0),
    ("TFLOPS", "throughput", 1.0),
    ("PFLOPS", "throughput", 1000.0),
    ("GOPS", "throughput", 1e-3),
    ("TFLOP/s", "throughput", 1.0),
    ("TFLOPs", "throughput", 1.0),      # common datasheet spelling
    ("tops", "throughput", 1.0),
    ("mm**2", "area", 1.0),
    ("cm**2", "area", 100.0),
    ("mm²", "area", 1.0),
    ("GB", "memory", 1.0),
    ("GiB", "memory", 1.073741824),
    ("TB/s", "bandwidth", 1000.0),
    ("Gbit/s", "bandwidth", 0.125),
    ("GB/s/mm**2", "bandwidth_density", 1.0),
])
def test_unit_factor(unit, kind, factor):
    assert unit_factor(unit, kind) == pytest.approx(factor, rel=1e-15)


def test_factors_are_exact_decimals():
    # pint's own TB/s -> GB/s is 1000.0000000000001; chipclass rounds to 15 digits
    assert unit_factor("TB/s", "bandwidth") == 1000.0


@pytest.mark.parametrize("unit,kind", [("TB/s", "throughput"), ("TFLOPS", "area"),
                                       ("mm", "area"), ("GB", "bandwidth")])
def test_wrong_dimension_is_an_error_naming_the_need(unit, kind):
    with pytest.raises(UnitError, match=f"is not an? {kind} unit.*use one such as") as info:
        unit_factor(unit, kind)
    assert "[" not in str(info.value) and "**" not in str(info.value).split("such as")[0]  # no dimension formula


@pytest.mark.parametrize("unit,kind,fix", [("TB/S", "bandwidth", "'TB/s'"), ("tb/s", "bandwidth", "'TB/s'"),
                                           ("Gb/s", "bandwidth", "'GB/s'"), ("MM**2", "area", "'mm**2'")])
def test_case_mistakes_get_a_suggestion(unit, kind, fix):
    # issue 20: '4.8 TB/S' read as terabyte per siemens, reported as a dimension formula
    with pytest.raises(UnitError, match=f"did you mean {re.escape(fix)}") as info:
        unit_factor(unit, kind)
    assert "siemens" not in str(info.value) and "[current]" not in str(info.value)


def test_si_prefix_alone_and_case_sensitive_prefixes(tmp_path):
    from chipclass.core.units import BarePrefixError

    with pytest.raises(BarePrefixError, match="SI prefix"):
        unit_factor("k", "throughput")  # was the Boltzmann constant
    assert unit_factor("mFLOPS", "throughput") == pytest.approx(1e-15)  # milli, not mega
    assert unit_factor("MFLOPS", "throughput") == pytest.approx(1e-6)
    assert unit_factor("pFLOPS", "throughput") == pytest.approx(1e-24)  # pico, not peta
    assert unit_factor("PFLOPS", "throughput") == 1000.0
    with pytest.raises(UnitError, match="'PFLOPS' .peta. or 'pFLOPS' .pico."):
        unit_factor("pflops", "throughput")  # all lower case: ambiguous, refused
    assert unit_factor("Tflops", "throughput") == unit_factor("tops", "throughput") == 1.0


def test_cell_messages_a_person_can_act_on(tmp_path):
    from click.testing import CliRunner

    from chipclass.cli import main

    from ..conftest import write

    p = write(tmp_path, "name,fp8,memory_bandwidth,die_area\nA,1.2k,4.8 TB/S,800\n")
    r = CliRunner().invoke(main, ["--no-config", "check", p])
    assert "'1.2k': 'k' is an SI prefix written alone, not a unit: write 1200" in r.stderr
    assert "did you mean 'TB/s'" in r.stderr and "siemens" not in r.stderr and "[" not in r.stderr.replace("[columns]", "")
    # 6e17 mFLOPS = 6e14 FLOPS = 600 TOPS: TPP 4800 (milli, as SI says)
    p = write(tmp_path, "name,fp8,die_area\nA,6e17 mFLOPS,800\n")
    r = CliRunner().invoke(main, ["--no-config", "score", p, "-f", "csv"])
    assert r.exit_code == 0 and ',4800,"fp8"' in r.stdout


def test_unknown_unit():
    with pytest.raises(UnitError, match="unknown unit 'parsecz'"):
        unit_factor("parsecz", "area")


def test_spelling():
    assert normalise_spelling("TFLOPs") == "TFLOPS"
    assert normalise_spelling("Pops") == "POPS"
    assert normalise_spelling("pops") == "pOPS"  # issue 20: p is pico; unit_factor refuses 'pops' as ambiguous
    assert normalise_spelling("GB/s") == "GB/s"


def test_to_canonical_quantity_and_text():
    assert to_canonical(0.296 * ureg.PFLOPS, "throughput") == pytest.approx(296.0)
    assert to_canonical("4 TB/s", "bandwidth") == 4000.0
    assert to_canonical(814, "area") == 814.0


# --- the safe grammar: checked before pint sees the text -----------------------------------

@pytest.mark.parametrize("unit", ["TOPS", "TFLOPS", "GB/s", "GB/s/mm**2", "1/mm**2", "mm^2", "mm²",
                                  "GB / s", "µm**2", "Gbit/s", "billion", "dimensionless"])
def test_safe_grammar_accepts_units(unit):
    check_unit_text(normalise_spelling(unit))


@pytest.mark.parametrize("unit", ["10**10**8", "TOPS**10**8", "TOPS 2", "2 TOPS", "(TOPS)", "mm**22",
                                  "TOPS**1.5", "1e9 TOPS", "TOPS;", "__import__('os')", "x" * 41,
                                  "GB" + "/s" * 30, "mm * * 2"])
def test_safe_grammar_refuses(unit):
    with pytest.raises(UnitError):
        check_unit_text(unit)


@pytest.mark.parametrize("unit", ["10**10**8", "TOPS**9**9**9", "m" + "**9" * 20, " " * 5000 + "]"])
def test_unit_factor_refuses_explosive_units(unit):
    # pint would compute 10**(10**8) for the first; the grammar refuses it before parsing
    with pytest.raises(UnitError):
        unit_factor(unit, "throughput")


def test_to_canonical_uses_the_cell_grammar():
    assert to_canonical("1,234.5 GB/s", "bandwidth") == 1234.5
    with pytest.raises(UnitError):
        to_canonical("600 10**10**8", "bandwidth")
    with pytest.raises(UnitError):
        to_canonical("1 000 GB/s", "bandwidth")


def test_precomputed_factors_agree_with_pint():
    # FACTORS spares pint's import at start-up; pint stays the authority for every entry.
    from chipclass.core.units import FACTORS, pint_factor

    for (unit, kind), factor in FACTORS.items():
        assert pint_factor(unit, kind) == factor, (unit, kind)


def test_no_pint_for_default_units():
    import subprocess
    import sys

    code = ("import sys\nfrom chipclass.core.catalogue import from_table\nimport pyarrow as pa\n"
            "from_table(pa.table({'name': ['x'], 'fp8 [PFLOPS]': ['2'], 'die_area': ['8 cm**2']}))\n"
            "print('pint' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
