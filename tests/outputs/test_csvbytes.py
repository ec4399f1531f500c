"""The threaded CSV encoder writes exactly pyarrow's bytes for the whole table."""

import io

import pyarrow as pa
import pyarrow.csv as pacsv
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chipclass.outputs import csvbytes

TEXT = st.one_of(st.none(), st.text(alphabet=st.sampled_from('ab,"\n\r é=+-@ 0.5'), max_size=6))
FLOAT = st.one_of(st.none(), st.floats(allow_nan=True, allow_infinity=True), st.sampled_from([0.1, -0.0, 1e308, 5e-324]))


def whole(table, header=True):
    buf = io.BytesIO()
    pacsv.write_csv(table, buf, pacsv.WriteOptions(include_header=header))
    return buf.getvalue()


@pytest.fixture(autouse=True)
def several_threads(monkeypatch):  # the threaded path whatever the machine's core count
    monkeypatch.setattr(csvbytes, "_threads", lambda: 3)


@settings(max_examples=60, deadline=None)
@given(rows=st.lists(st.tuples(TEXT, FLOAT, st.one_of(st.none(), st.booleans()), st.integers(-2**63, 2**63 - 1)),
                     max_size=40),
       slice_rows=st.integers(1, 7), header=st.booleans())
def test_slices_concatenated_are_the_whole(rows, slice_rows, header):
    t = pa.table({"name": pa.array([r[0] for r in rows], pa.string()),
                  "x [TOPS]": pa.array([r[1] for r in rows], pa.float64()),
                  "flag": pa.array([r[2] for r in rows], pa.bool_()),
                  "n": pa.array([r[3] for r in rows], pa.int64())})
    got = b"".join(bytes(b) for b in csvbytes.csv_chunks(t, header, slice_rows))
    assert got == whole(t, header)


def test_more_slices_than_the_look_ahead_stay_in_order(tmp_path):
    t = pa.table({"i": pa.array(range(10_000)), "f": pa.array([i / 7 for i in range(10_000)])})
    got = b"".join(bytes(b) for b in csvbytes.csv_chunks(t, True, 97))  # 104 slices, 3 threads
    assert got == whole(t)
    csvbytes.write_csv(t, str(tmp_path / "o.csv"))
    assert (tmp_path / "o.csv").read_bytes() == whole(t)


def test_an_empty_table_is_its_header():
    t = pa.table({"a": pa.array([], pa.string()), "b": pa.array([], pa.float64())})
    assert b"".join(bytes(b) for b in csvbytes.csv_chunks(t)) == whole(t) == b'"a","b"\n'
