"""The names' 64-bit hashes (uniqueness across batches, blocks and files) from Arrow buffers."""

import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from chipclass.core.cells import NameIndex, string_hashes


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(max_size=12), min_size=1, max_size=60), st.integers(0, 5), st.integers(1, 7))
def test_equal_names_hash_equal_and_distinct_names_apart(names, cut, chunk):
    arr = pa.array(names, pa.string())
    h = string_hashes(arr, chunk=chunk)
    # a slice (an offset into the buffers), a large_string copy and one chunk at a time agree
    assert list(string_hashes(arr.slice(min(cut, len(names)))) ) == list(h[min(cut, len(names)):])
    assert list(string_hashes(arr.cast(pa.large_string()))) == list(h)
    assert list(string_hashes(pa.chunked_array([arr]))) == list(h)
    by_name = {}
    for name, x in zip(names, h.tolist()):
        assert by_name.setdefault(name, x) == x
    assert len(set(by_name.values())) == len(by_name)  # no collision among these


def test_known_near_misses_differ():
    names = ["", "a", "a ", " a", "ab", "ba", "A100", "A100 ", "a\x00", "\x00a", "é", "e\u0301", "x" * 1000, "x" * 1001]
    assert len(set(string_hashes(pa.array(names)).tolist())) == len(names)


def test_a_pandas_series_hashes_as_its_arrow_array():
    import pandas as pd

    names = ["B200", "H100 SXM", "Ascend 910B"]
    assert list(NameIndex.hashes(pd.Series(names, dtype=object))) == list(string_hashes(pa.array(names)))


def test_first_repeat_across_batches():
    idx = NameIndex()
    assert idx.first_repeat(pa.array(["a", "b"]), 0) is None
    assert idx.first_repeat(pa.array(["c", "b"]), 2) == (1, 2)
