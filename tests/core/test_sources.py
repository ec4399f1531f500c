"""Figure-level provenance: sources.csv beside a catalogue, refused and reported by chipclass check."""

import json
import shutil

import pytest
from click.testing import CliRunner

from chipclass.cli import main
from chipclass.core.readers import read_catalogue
from chipclass.core.sources import check_sources, read_sources, weak_figures

from ..conftest import CHIPS, ROOT, write

CAT = "name,fp16,fp16_sparse,memory,die_area,source\nA,100,200,80,,https://a.example/datasheet.pdf\nB,50,,,300,x\n"
SRC = ("device,column,source,quote,kind,derivation,value\n"
       "A,fp16,https://a.example/datasheet.pdf,FP16 Tensor 100 | 200*,vendor-datasheet,,100\n"
       "A,fp16_sparse,https://a.example/datasheet.pdf,FP16 Tensor 100 | 200*,vendor-datasheet,,200\n"
       "A,memory,https://a.example/datasheet.pdf,80 GB HBM3,vendor-datasheet,,\n"
       "A,memory,https://press.example/a,comes with 80GB,press,,80\n"
       "B,fp16,doc-7,,derived,fp16 = fp16_sparse / 2 of the sibling part,\n"
       "B,die_area,https://paper.example/b,die of 300 mm2,paper,,\n")


def run(*args):
    res = CliRunner().invoke(main, ["check", *args])
    return res.exit_code, res.stdout, res.stderr


def setup(tmp_path, cat=CAT, src=SRC):
    p = write(tmp_path, cat, "c.csv")
    (tmp_path / "sources.csv").write_text(src, encoding="utf-8")
    return p


def test_every_figure_sourced_passes_and_reports_single_sources(tmp_path):
    code, out, err = run(setup(tmp_path))
    assert code == 0, err
    # A: fp16, fp16_sparse on one source; memory on two. B: fp16 and die_area on one each.
    assert "4 figure(s) in 2 row(s) rest on one source only; 0 figure(s) have sources that disagree" in out


def test_a_figure_without_a_source_is_refused_naming_file_row_column(tmp_path):
    p = setup(tmp_path, src="\n".join(l for l in SRC.splitlines() if not l.startswith("B,die_area")) + "\n")
    code, out, err = run(p)
    assert code == 2
    assert "c.csv, row 2, column 'die_area'" in err and "has no source" in err


def test_a_source_naming_an_empty_figure_is_refused(tmp_path):
    p = setup(tmp_path, src=SRC + "B,memory,https://x.example,64 GB,press,,\n")
    code, _, err = run(p)
    assert code == 2
    assert "sources.csv, row 7, column 'column'" in err and "cites an empty figure" in err


@pytest.mark.parametrize("line, needle", [
    ("C,fp16,u,q,press,,", "names no device"),
    ("A,colour,u,q,press,,", "is not a figure column"),
    ("A,fp8,u,q,press,,", "is not a column of"),
    ("A,fp16,u,q,rumour,,", "is not a kind of source"),
    ("A,fp16,u,,derived,,", "needs its derivation"),
    ("A,fp16,u,,press,,", "no quote given"),
    ("A,fp16,,q,press,,", "no source given"),
    ("A,fp16,u,q,press,,lots", "is not a number"),
])
def test_bad_source_rows_are_refused(tmp_path, line, needle):
    code, _, err = run(setup(tmp_path, src=SRC + line + "\n"))
    assert code == 2 and needle in err and "row 7" in err


def test_missing_headers_are_refused(tmp_path):
    code, _, err = run(setup(tmp_path, src="device,column,source\nA,fp16,u\n"))
    assert code == 2 and "lacks the column(s) quote, kind" in err


def test_disagreement_beyond_one_percent_is_reported_not_refused(tmp_path):
    # 80 vs 81.2: 1.5 % apart; 80 vs 80.5 (0.6 %) would not be reported.
    src = SRC.replace("comes with 80GB,press,,80", "comes with 81.2GB,press,,81.2")
    code, out, err = run(setup(tmp_path, src=src), "--weak")
    assert code == 0, err
    assert "1 figure(s) have sources that disagree beyond 1 %" in out
    assert "row 1 A: one source: fp16, fp16_sparse; disagree: memory 80 / 81.2 (1.5%)" in out
    near = SRC.replace("comes with 80GB,press,,80", "comes with 80.5GB,press,,80.5")
    assert "0 figure(s) have sources that disagree" in run(setup(tmp_path, src=near))[1]


def test_json_lists_weak_rows(tmp_path):
    code, out, _ = run(setup(tmp_path), "-f", "json")
    d = json.loads(out)
    assert code == 0 and d["ok"] and d["sources"].endswith("sources.csv")
    assert d["weak"][1] == {"row": 2, "device": "B", "single_source": ["fp16", "die_area"], "disagree": {}}


def test_file_column_keeps_each_catalogue_to_its_rows(tmp_path):
    src = SRC.replace("\n", ",c.csv\n").replace("value,c.csv", "value,file") + "Z,memory,u,q,press,,,other.csv\n"
    rows, problems = read_sources(str(setup(tmp_path, src=src)).replace("c.csv", "sources.csv"))
    assert problems == []
    cat = read_catalogue(str(tmp_path / "c.csv"))
    assert check_sources(cat, rows, "sources.csv", "c.csv") == []
    assert [p.value for p in check_sources(cat, rows, "sources.csv", None)] == ["Z"]  # without the filter: unknown
    assert len(weak_figures(cat, rows, "c.csv")) == 2


def test_without_a_sources_file_the_row_source_suffices(tmp_path):
    code, out, err = run(write(tmp_path, CAT, "c.csv"))
    assert code == 0, err
    assert "rest on one source" not in out


def test_explicit_sources_option(tmp_path):
    p = write(tmp_path, CAT, "c.csv")
    other = tmp_path / "elsewhere.csv"
    other.write_text(SRC.replace("B,die_area", "B,memory"), encoding="utf-8")
    code, _, err = run(p, "--sources", str(other))
    assert code == 2 and "elsewhere.csv" in err and "cites an empty figure" in err


DATA = ROOT / "chipclass" / "data"


def shipped_copy(tmp_path):
    for name in ("chips.csv", "systems.csv", "sources.csv"):
        shutil.copy(DATA / name, tmp_path / name)
    return tmp_path


def test_data_sources_is_linked_like_chips():
    for name in ("chips.csv", "systems.csv", "sources.csv"):
        link = ROOT / "data" / name
        assert link.is_symlink() and link.resolve() == (DATA / name).resolve()


@pytest.mark.parametrize("name", ["chips.csv", "systems.csv"])
def test_shipped_catalogues_have_every_figure_sourced(name):
    code, out, err = run(str(ROOT / "data" / name))
    assert code == 0, err
    assert "rest on one source only" in out  # the sources file was found and read


def test_shipped_copy_fails_when_one_figure_loses_its_source(tmp_path):
    d = shipped_copy(tmp_path)
    lines = (d / "sources.csv").read_text(encoding="utf-8").splitlines(keepends=True)
    target = [i for i, l in enumerate(lines) if l.startswith("H100 SXM,die_area,")]
    assert len(target) == 1
    del lines[target[0]]
    (d / "sources.csv").write_text("".join(lines), encoding="utf-8")
    code, _, err = run(str(d / "chips.csv"))
    assert code == 2
    assert "column 'die_area'" in err and "value 'H100 SXM'" in err and "has no source" in err


def test_shipped_copy_fails_on_a_source_for_an_empty_figure(tmp_path):
    # H100 SXM gives no fp4 figure (Hopper has no FP4): a source row for it names no figure.
    d = shipped_copy(tmp_path)
    with open(d / "sources.csv", "a", encoding="utf-8") as fh:
        fh.write("H100 SXM,fp4,https://example.org,FP4 1000,press,,,chips.csv\n")
    code, _, err = run(str(d / "chips.csv"))
    assert code == 2 and "cites an empty figure: 'H100 SXM' gives no fp4" in err
