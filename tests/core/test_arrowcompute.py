"""chipclass.core.arrowcompute gives what pyarrow.compute gives, kernel for kernel."""

import pyarrow as pa
import pyarrow.compute as real
import pytest

from chipclass.core import arrowcompute as ours

S = pa.chunked_array([["a", " B ", None, "4 TB/s", "1,200", "=x"], ["n/a", "", "x\ny"]])
N = pa.array([1.5, None, -2.0, 7.0])
B = pa.array([True, None, False, True])
CASES = [
    ("cast", (pa.array(["1", None, "2.5"]), pa.float64())), ("cast", (N, pa.string())),
    ("take", (pa.array(["x", "y"]), pa.array([1, None, 0]))),
    ("fill_null", (N, 0.0)), ("fill_null", (B, False)), ("fill_null", (pa.array([1, None], pa.int32()), -1)),
    ("if_else", (B, N, pa.scalar(0.0))), ("is_null", (S,)), ("is_valid", (N,)), ("invert", (B,)),
    ("and_", (B, pa.array([True, True, None, False]))), ("or_", (B, B)), ("or_kleene", (B, pa.array([None] * 4, pa.bool_()))),
    ("equal", (S, "a")), ("greater", (N, 1)), ("less", (N, 1.5)), ("any", (B,)), ("all", (B,)),
    ("unique", (S,)), ("is_in", (S, pa.array(["a", "n/a"]))), ("index_in", (S, pa.array(["", "a"]))),
    ("utf8_lower", (S,)), ("utf8_trim_whitespace", (S,)), ("match_substring_regex", (S, r"^[0-9,]+$")),
    ("extract_regex", (S, r"(?P<num>[0-9.,]+)\s*(?P<unit>.*)")), ("list_value_length", (pa.array([[1], [], None]),)),
    ("list_element", (pa.array([["p", "q"], ["r", "s"]]), 1)), ("binary_length", (S,)),
    ("replace_substring", (S, ",", "")), ("binary_join_element_wise", ("'", S, "")),
]


@pytest.mark.parametrize("name,args", CASES, ids=[f"{n}-{k}" for k, (n, _) in enumerate(CASES)])
def test_same_result_as_pyarrow_compute(name, args):
    assert getattr(ours, name)(*args).equals(getattr(real, name)(*args))


def test_keyword_options_match():
    assert ours.split_pattern(S, " ", max_splits=1).equals(real.split_pattern(S, " ", max_splits=1))
    parts = real.extract_regex(S, r"(?P<num>[0-9.,]+)\s*(?P<unit>.*)")
    assert ours.struct_field(parts, "unit").equals(real.struct_field(parts, "unit"))
    a, b = pa.array(["1", "2"]), pa.array(["x", "y"])
    assert ours.make_struct(a, b, field_names=["num", "unit"]).equals(real.make_struct(a, b, field_names=["num", "unit"]))
    assert ours.is_in(S, value_set=pa.array(["a"])).equals(real.is_in(S, value_set=pa.array(["a"])))


def test_an_unsafe_cast_is_refused_as_by_pyarrow():
    with pytest.raises(pa.ArrowInvalid):
        ours.cast(pa.array(["1.5x"]), pa.float64())
    with pytest.raises(pa.ArrowInvalid):
        ours.cast(pa.array([1.5]), pa.int64())
