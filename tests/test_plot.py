import pytest

pytest.importorskip("matplotlib")

from click.testing import CliRunner  # noqa: E402

from chipclass.cli import main  # noqa: E402
from chipclass.design.plot import region_grid  # noqa: E402
from chipclass.rules.instruments import rules_in_force  # noqa: E402

from .conftest import CHIPS  # noqa: E402


def test_regions_come_from_the_rules():
    t, p, dc, ndc = region_grid(rules_in_force("2024-06-01"), size=60)
    assert {"3A090.a", "3A090.b", "not controlled"} <= set(dc.ravel())
    assert (dc != ndc).any()  # the non-datacenter carve-out
    t, p, dc, ndc = region_grid(rules_in_force("2023-06-01"), size=60)
    assert "3A090.b" not in set(dc.ravel()) and (dc == ndc).all()


@pytest.mark.parametrize("ext", ["png", "svg"])
def test_plot_writes_a_file(tmp_path, ext):
    out = tmp_path / f"map.{ext}"
    r = CliRunner().invoke(main, ["plot", str(CHIPS), "--as-of", "2025-06-01", "--compare", "2023-06-01",
                                  "-o", str(out)])
    assert r.exit_code == 0, r.stderr
    head = out.read_bytes()[:8]
    assert head.startswith(b"\x89PNG") if ext == "png" else b"<?xml" in out.read_bytes()[:100]
