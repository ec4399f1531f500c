"""Catalogue loading: vocabulary, units, and one clear error per kind of bad input."""

import io

import numpy as np
import pandas as pd
import pytest

from chipclass.core.catalogue import DEVICE_TYPES, from_frame
from chipclass.core.readers import iter_catalogue, read_catalogue
from chipclass.core.errors import InputError

from ..conftest import write


def test_headers_are_case_insensitive_with_units(tmp_path):
    p = write(tmp_path, " Name ,FP8 [PFLOPS], Die Area [cm**2],memory_bandwidth [TB/s],colour\n"
                        "X,0.296,8.14,4,blue\n")
    cat = read_catalogue(p)
    assert cat.values["fp8"][0] == pytest.approx(296.0)
    assert cat.values["die_area"][0] == pytest.approx(814.0)
    assert cat.values["memory_bandwidth"][0] == pytest.approx(4000.0)
    assert cat.extra.column_names == ["colour"]


def test_cells_carry_their_own_units(tmp_path):
    p = write(tmp_path, 'name,fp8,memory_bandwidth,die_area\n'
                        'A,296 TFLOPS,4 TB/s,8.14 cm**2\n'
                        'B,"2,375 TOPS",900,814\n'
                        'C,0.5 PFLOPS,900 GB/s,\n')
    cat = read_catalogue(p)
    np.testing.assert_allclose(cat.values["fp8"], [296.0, 2375.0, 500.0])
    np.testing.assert_allclose(cat.values["memory_bandwidth"], [4000.0, 900.0, 900.0])
    assert np.isnan(cat.values["die_area"][2])


def test_cell_unit_wins_over_header_unit(tmp_path):
    p = write(tmp_path, "name,fp8 [PFLOPS]\nA,0.3\nB,300 TFLOPS\n")
    np.testing.assert_allclose(read_catalogue(p).values["fp8"], [300.0, 300.0])


def test_datacenter_and_device_type(tmp_path):
    p = write(tmp_path, "name,datacenter,device_type\nA,yes,\nB,No,HBM\nC,,processor\nD,0,\n")
    cat = read_catalogue(p)
    # missing datacenter reads as true, the conservative reading
    np.testing.assert_array_equal(cat.datacenter, [1.0, 0.0, 1.0, 0.0])
    assert [DEVICE_TYPES[c] for c in cat.device_type] == ["processor", "hbm", "processor", "processor"]


def test_passthrough_columns_untouched(tmp_path):
    p = write(tmp_path, "name,fp8,part_no\nA,1,007\n")
    assert read_catalogue(p).extra.column("part_no").to_pylist() == ["007"]


def test_parquet_input(tmp_path):
    df = pd.DataFrame({"name": ["A"], "fp8 [PFLOPS]": [0.296], "die_area": [814.0]})
    p = tmp_path / "c.parquet"
    df.to_parquet(p)
    assert read_catalogue(str(p)).values["fp8"][0] == pytest.approx(296.0)


def test_dataframe_with_mixed_cells():
    df = pd.DataFrame({"name": ["A", "B"], "fp8": ["296 TFLOPS", 300], "die_area": [814, None]})
    cat = from_frame(df)
    np.testing.assert_allclose(cat.values["fp8"], [296.0, 300.0])


def test_stream_of_bytes():
    cat = read_catalogue(io.BytesIO(b"name,fp8\nA,296\n"))
    assert cat.values["fp8"][0] == 296.0


def _error(tmp_path, text) -> InputError:
    p = write(tmp_path, text)
    with pytest.raises(InputError) as info:
        read_catalogue(p)
    return info.value


def test_unknown_unit_names_row_column_value(tmp_path):
    e = _error(tmp_path, "name,fp8\nA,296\nB,296 TFLOPZ\n")
    assert (e.row, e.column, e.value) == (2, "fp8", "296 TFLOPZ")
    assert "unknown unit" in str(e) and "in.csv" in str(e)


def test_wrong_dimension(tmp_path):
    e = _error(tmp_path, "name,fp8\nA,4 TB/s\n")
    assert (e.row, e.column) == (1, "fp8")
    assert "is not a throughput unit" in str(e)


def test_wrong_dimension_in_header(tmp_path):
    e = _error(tmp_path, "name,die_area [GB/s]\nA,4\n")
    assert e.column == "die_area [GB/s]" and e.row is None


def test_text_in_number_column(tmp_path):
    e = _error(tmp_path, "name,fp8\nA,296\nB,\nC,lots\n")
    assert (e.row, e.column, e.value) == (3, "fp8", "lots")
    assert "not a number" in str(e)


def test_duplicate_name(tmp_path):
    e = _error(tmp_path, "name,fp8\nA,1\nB,2\nA,3\n")
    assert e.row == 3 and e.value == "A" and "row 1" in str(e)


def test_missing_name_column(tmp_path):
    e = _error(tmp_path, "label,fp8\nA,1\n")  # 'device' is now read as the name (data/headers.toml)
    assert "no 'name' column" in str(e)


def test_empty_name(tmp_path):
    e = _error(tmp_path, "name,fp8\nA,1\n,2\n")
    assert e.row == 2 and e.column == "name"


def test_negative_value(tmp_path):
    e = _error(tmp_path, "name,fp8,die_area\nA,1,814\nB,2,-5\n")
    assert (e.row, e.column, e.value) == (2, "die_area", "-5")


def test_negative_value_with_unit(tmp_path):
    e = _error(tmp_path, "name,fp8\nA,-1 PFLOPS\n")
    assert e.value == "-1 PFLOPS"


def test_bad_datacenter_value(tmp_path):
    e = _error(tmp_path, "name,datacenter\nA,maybe\n")
    assert (e.row, e.column, e.value) == (1, "datacenter", "maybe")


def test_two_columns_for_one_field(tmp_path):
    e = _error(tmp_path, "name,fp8,FP8 [PFLOPS]\nA,1,2\n")
    assert "both give 'fp8'" in str(e)


def test_streaming_equals_whole_file(tmp_path):
    rows = "\n".join(f"d{i},{i} TFLOPS,{800 + i}" for i in range(1000))
    p = write(tmp_path, "name,fp8,die_area\n" + rows + "\n")
    whole = read_catalogue(p)
    parts = list(iter_catalogue(p, batch_rows=100))
    assert len(parts) > 1
    np.testing.assert_array_equal(np.concatenate([c.values["fp8"] for c in parts]), whole.values["fp8"])


def test_streaming_error_row_counts_from_file_start(tmp_path):
    rows = [f"d{i},{i}" for i in range(500)]
    rows[420] = "d420,oops"
    p = write(tmp_path, "name,fp8\n" + "\n".join(rows) + "\n")
    with pytest.raises(InputError) as info:
        for _ in iter_catalogue(p, batch_rows=50):
            pass
    assert info.value.row == 421


@pytest.mark.parametrize("sep", [";", "\t", "|"])
def test_other_delimiters(tmp_path, sep):
    p = write(tmp_path, sep.join(["name", "fp8", "die_area"]) + "\nH20" + sep + "296" + sep + "814\n")
    cat = read_catalogue(p)
    assert cat.values["fp8"][0] == 296.0 and cat.values["die_area"][0] == 814.0


def test_spec_sheet_headers_are_read_or_refused(tmp_path):
    # 'fp8 tensor [TFLOPS]' is a vendor spelling of fp8 (data/headers.toml); 'peak [PFLOPS]' names
    # a throughput unit but no format: refused (issue 20), where it used to be a warning.
    cat = read_catalogue(write(tmp_path, "name,fp8 tensor [TFLOPS],vendor\nX,1,ACME\n"))
    assert cat.values["fp8"][0] == 1.0 and cat.headers["fp8"] == "fp8 tensor [TFLOPS]"
    with pytest.raises(InputError) as info:
        read_catalogue(write(tmp_path, "name,peak [PFLOPS],vendor\nX,2,ACME\n"))
    assert info.value.column == "peak [PFLOPS]" and "throughput" in str(info.value)


def test_new_vocabulary_columns(tmp_path):
    # transistor counts in billions (H100: 80 billion, NVIDIA Hopper whitepaper), process node in nm,
    # yes/no flags where empty means unknown.
    p = write(tmp_path, "name,transistor_count,process_node,non_planar,has_hbm,device_type\n"
                        "A,80,4,yes,true,processor\nB,2.1e10 [dimensionless],16 nm,no,,system\nC,,,,,\n".replace(
                            "2.1e10 [dimensionless]", "21 billion"))
    cat = read_catalogue(p)
    assert cat.values["transistor_count"].tolist()[:2] == [80.0, 21.0]
    assert cat.values["process_node"].tolist()[:2] == [4.0, 16.0]
    assert cat.values["non_planar"][0] == 1.0 and cat.values["non_planar"][1] == 0.0
    assert np.isnan(cat.values["non_planar"][2]) and np.isnan(cat.values["has_hbm"][1])
    assert list(cat.device_type) == [0, DEVICE_TYPES.index("system"), 0]


def test_flag_column_refuses_other_words(tmp_path):
    p = write(tmp_path, "name,non_planar\nA,maybe\n")
    with pytest.raises(InputError, match="yes/no") as info:
        read_catalogue(p)
    assert info.value.row == 1 and info.value.column == "non_planar"


# --- the cell grammar (README "What a cell may hold") ---------------------------------------

@pytest.mark.parametrize("cell,tops", [
    ("296", 296.0), ("+296", 296.0), (".5", 0.5), ("1.", 1.0), ("1.2e3", 1200.0), ("1,234", 1234.0),
    ("1,234.5", 1234.5), ("1,234,567", 1234567.0), ("2,375 TOPS", 2375.0), ("4 PFLOPS", 4000.0),
    ("296TFLOPS", 296.0), ("296  tflops", 296.0), ("0.6 POPS", 600.0), ("500 GOPS", 0.5),
    ("  296  ", 296.0), ("0", 0.0),
])
def test_cells_in_the_grammar(cell, tops):
    cat = from_frame(pd.DataFrame({"name": ["A"], "fp8": [cell]}))
    assert cat.values["fp8"][0] == pytest.approx(tops, rel=1e-15)


@pytest.mark.parametrize("cell", ["", "NA", "na", "N/A", "n.a.", "-", "--", "—", "–", "?", "null", "None",
                                  "unknown", "TBD", "  NA  "])
def test_missing_spellings(cell):
    cat = from_frame(pd.DataFrame({"name": ["A"], "fp8": [cell]}))
    assert np.isnan(cat.values["fp8"][0])


@pytest.mark.parametrize("cell,why", [
    ("1 000 TOPS", "grouped"), ("1\u00a0000", "grouped"), ("1\u202f000 TOPS", "grouped"), ("1'000", "grouped"),
    ("1,5", "decimal comma"), ("1,5 PFLOPS", "decimal comma"), ("1.234,5", "decimal comma"),
    ("1,23", "decimal comma"), ("12,34,567", "is not a number"),
    ("600 TOPS 2", "text after the unit"), ("600 TOPS TOPS", "is not a unit"),
    ("0x10", "hexadecimal"), ("0b101", "hexadecimal"), ("inf", "finite"), ("-Infinity", "finite"),
    ("nan", "finite"), ("1e308 PFLOPS", "overflows"), ("1e999", "overflows"), ("1e101", "magnitudes"),
    ("-5", "zero or more"), ("abc", "is not a number"), ("1 10**10**8", "is not a number"),
    ("1 TOPS**10**8", "is not a unit"), ("4 TB/s", "is not a throughput unit"), ("1e", "is not a throughput unit"), ("1e TOPS", "is not a unit"),
])
def test_cells_refused_with_the_place_and_the_text(cell, why):
    with pytest.raises(InputError, match=why) as e:
        from_frame(pd.DataFrame({"name": ["A", "B"], "fp8": ["1", cell]}), source="f.csv")
    assert (e.value.source, e.value.row, e.value.column, e.value.value) == ("f.csv", 2, "fp8", cell)


@pytest.mark.parametrize("cell", ["0", "-1", "0 cm**2", "1e-101"])
def test_areas_must_be_positive(cell):
    with pytest.raises(InputError, match="more than zero|magnitudes") as e:
        from_frame(pd.DataFrame({"name": ["A"], "die_area": [cell]}), source="f.csv")
    assert e.value.row == 1 and e.value.column == "die_area"


def test_earliest_row_is_reported_whatever_the_check(tmp_path):
    # row 1: a bad unit in die_area; row 2: a bad number in fp8; row 3: no name
    p = write(tmp_path, "name,fp8,die_area\nA,1,3 parsecs\nB,x,1\n,1,1\n")
    with pytest.raises(InputError) as e:
        read_catalogue(p)
    assert (e.value.row, e.value.column) == (1, "die_area")
    for rows in (1, 2, 3):
        with pytest.raises(InputError) as s:
            list(iter_catalogue(p, batch_rows=rows))
        assert str(s.value) == str(e.value)


def test_header_parsing_is_linear():
    from chipclass.core.catalogue import parse_header

    # this header took 18 s with the old regular expression (cubic backtracking)
    assert parse_header(" " * 412 + "]", "f")[1] is None
    assert parse_header("a" + " " * 20000 + "[", "f") == ("a_[", None)
    assert parse_header("Die Area [cm**2]", "f") == ("die_area", "cm**2")
    assert parse_header("fp8-sparse [ PFLOPS ]", "f") == ("fp8_sparse", "PFLOPS")


# --- CSV reading -------------------------------------------------------------------------

@pytest.mark.parametrize("data,row,needle", [
    (b"name,fp8\nA,1\nB\n", 2, "has 1 fields but the header has 2"),
    (b"name,fp8\nA,1,2\n", 1, "has 3 fields"),
    (b'name,fp8,v\nA,1,"x\nB,2,y\n', 1, "unbalanced quote"),
    (b'name,fp8,v\nA,1,x\nB,2,"y\nC,3,"z\nD,4\n', 2, "unbalanced quote"),
    (b"name,v\nA,x\nB,caf\xe9\n", 2, "not UTF-8"),
])
def test_structural_faults_name_the_row(tmp_path, data, row, needle):
    p = tmp_path / "f.csv"
    p.write_bytes(data)
    for read in (read_catalogue, lambda q: list(iter_catalogue(q, batch_rows=1))):
        with pytest.raises(InputError, match=needle) as e:
            read(str(p))
        assert e.value.row == row and e.value.source == str(p)


@pytest.mark.parametrize("data,rows", [
    (b"\xef\xbb\xbfname,fp8\nA,1\n", 1),    # BOM
    (b"name,fp8", 0),                       # header only, no newline
    (b"name,fp8\n", 0),
    (b"name,fp8\r\nA,1\r\n\r\nB,2", 2),     # CRLF, blank line, no final newline
])
def test_accepted_shapes(tmp_path, data, rows):
    p = tmp_path / "f.csv"
    p.write_bytes(data)
    assert len(read_catalogue(str(p))) == rows
    assert sum(len(c) for c in iter_catalogue(str(p))) == rows
    if rows:
        assert read_catalogue(str(p)).headers["name"] == "name"


@pytest.mark.parametrize("header", ["name,fp8,vendor,vendor", "name,fp8,fp8", "name,name"])
def test_duplicate_headers_refused_by_name(tmp_path, header):
    p = write(tmp_path, header + "\n" + ",".join(["x"] * len(header.split(","))) + "\n")
    dup = header.split(",")[-1]
    with pytest.raises(InputError, match="two columns have this header") as e:
        read_catalogue(p)
    assert e.value.column == dup


def test_huge_cells_refused_with_the_limit(tmp_path):
    p = write(tmp_path, "name,fp8,v\nA,1," + "x" * 70_000 + "\n")
    with pytest.raises(InputError, match="64 KiB") as e:
        read_catalogue(p)
    assert e.value.row == 1 and e.value.column == "v"
    q = write(tmp_path, "name,fp8," + "h" * 140_000 + "\nA,1,2\n", "h.csv")
    with pytest.raises(InputError, match="64 KiB"):
        read_catalogue(q)


def test_name_index_across_batches():
    from chipclass.core.catalogue import NameIndex

    idx = NameIndex()
    assert idx.first_repeat(pd.Series(["a", "b"]), 0) is None
    assert idx.first_repeat(pd.Series(["c", "d"]), 2) is None
    assert idx.first_repeat(pd.Series(["e", "b", "e"]), 4) == (1, 2)   # 'b' first at row 2
    assert NameIndex().first_repeat(pd.Series(["x", "y", "x"]), 10) == (2, 11)
    big = NameIndex()
    for k in range(40):  # runs merge like a binary counter
        assert big.first_repeat(pd.Series([f"n{k}_{i}" for i in range(7)]), k * 7) is None
    assert len(big.runs) <= 6
    assert big.first_repeat(pd.Series(["zz", "n3_4"]), 280) == (1, 3 * 7 + 5)


def test_spec_catalogue_takes_flags_as_numbers_or_booleans():
    from chipclass.core.readers import spec_catalogue
    cat = spec_catalogue("x", fp8=296, non_planar=1.0, has_hbm=False, datacenter=0.0)
    assert cat.values["non_planar"][0] == 1.0 and cat.values["has_hbm"][0] == 0.0
    assert cat.datacenter[0] == 0.0
    assert np.isnan(spec_catalogue("y", non_planar=float("nan")).values["non_planar"][0])


from hypothesis import given, settings, strategies as st  # noqa: E402

_CELL_TEXT = st.one_of(
    st.from_regex(r"\A[-+]?\d{1,5}(\.\d{0,3})?([eE][-+]?\d{1,5})?( {1,2}(TFLOPS|TB/s|GB/s|PFLOPS|mm\*\*2|cm\*\*2|/s|2|TOPS 2))?\Z"),
    st.from_regex(r"\A\d{1,3}(,\d{3}){1,2}( TOPS)?\Z"), st.sampled_from(["", "NA", "nan", "inf", "0x10", "1 000", "4TB/s"]))


_CELLS_AND_KIND = (st.lists(_CELL_TEXT, min_size=1, max_size=6), st.sampled_from(["throughput", "bandwidth", "area"]))


@pytest.mark.parametrize("cells", [["1e0005"], ["1e0005", "2 TB/s"], ["1e0005", "2TB/s"], ["1,000", "1e0005"],
                                   ["1e-0002 TB/s", "3"]])
def test_an_exponent_of_any_length_is_read_alike_on_every_path(cells):
    """Arrow's parser (the fast paths) takes an exponent of any length, so the grammar does too:
    a cell is not read or refused depending on what the other cells of its column look like."""
    from chipclass.core.cells import numeric_column
    import pyarrow as pa

    values = numeric_column(pa.chunked_array([pa.array(cells)]), "bandwidth", None, "GB/s", source="s",
                            column="x", offset=0)
    exponent_cell = next(c for c in cells if "e" in c)
    assert values[cells.index(exponent_cell)] == pytest.approx(float(exponent_cell.split()[0]) * (
        1000 if "TB/s" in exponent_cell else 1))
    _fast_paths_agree_with_the_grammar(cells, "bandwidth")


@settings(max_examples=40, deadline=None)  # 1000 in the slow set
@given(*_CELLS_AND_KIND)
def test_fast_cell_paths_agree_with_the_grammar(cells, kind):
    _fast_paths_agree_with_the_grammar(cells, kind)


@pytest.mark.slow
@settings(max_examples=1000, deadline=None)
@given(*_CELLS_AND_KIND)
def test_fast_cell_paths_agree_with_the_grammar_exhaustively(cells, kind):
    _fast_paths_agree_with_the_grammar(cells, kind)


def _fast_paths_agree_with_the_grammar(cells, kind):
    # The plain cast and the split-at-the-first-space paths are shortcuts: whenever they answer,
    # the answer (values, or the first refused row) is the full grammar's.
    import pyarrow as pa

    from chipclass.core import cells as c
    from chipclass.core.errors import InputError as Err

    arr = pa.chunked_array([pa.array(cells, pa.string())])
    default = {"throughput": "TOPS", "bandwidth": "GB/s", "area": "mm**2"}[kind]

    def run():
        try:
            return ("ok", c.numeric_column(arr, kind, None, default, source="s", column="x", offset=0).tolist())
        except Err as exc:
            return ("err", exc.row)

    fast = run()
    plain, split = c._plain_cast, c._split_number_unit
    c._plain_cast, c._split_number_unit = (lambda *a: None), (lambda *a: None)
    try:
        slow = run()
    finally:
        c._plain_cast, c._split_number_unit = plain, split
    if fast[0] == "ok" and slow[0] == "ok":
        np.testing.assert_allclose(fast[1], slow[1], rtol=1e-15, equal_nan=True)
    else:
        assert fast == slow, (cells, fast, slow)


# --- the column checks on threads report the same first error as one by one ---------------

def _faulty(n, faults):
    """A catalogue table of ``n`` rows with each (column, row, text) fault written in."""
    import pyarrow as pa

    cols = {"name": [f"d{i}" for i in range(n)], "fp8 [TFLOPS]": ["100"] * n, "int8 [TOPS]": ["50"] * n,
            "die_area [mm^2]": ["300"] * n, "datacenter": ["yes"] * n}
    for col, row, text in faults:
        cols[col][row] = text
    return pa.table({k: pa.array(v, pa.string()) for k, v in cols.items()})


@pytest.mark.parametrize("faults", [
    [("fp8 [TFLOPS]", 900, "1 000"), ("die_area [mm^2]", 400, "-3"), ("name", 2000, "d5")],
    [("datacenter", 10, "maybe"), ("int8 [TOPS]", 10, "0x10")],   # same row: check order decides
    [("int8 [TOPS]", 70_000, "12 furlongs"), ("name", 69_999, "")],
    [],
])
def test_threaded_checks_raise_the_same_error(monkeypatch, faults):
    import chipclass.core.catalogue as catalogue

    table = _faulty(80_000, faults)
    seen = []
    for threshold in (1, 10**9):  # threaded, then one by one
        monkeypatch.setattr(catalogue, "THREADED_ROWS", threshold)
        try:
            cat = catalogue.from_table(table, source="f.csv")
            seen.append(("ok", float(np.nansum(cat.values["fp8"]))))
        except InputError as exc:
            seen.append(("error", str(exc), exc.row, exc.column))
    assert seen[0] == seen[1]
    assert (seen[0][0] == "ok") == (not faults)
