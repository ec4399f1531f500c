"""The Arrow compute kernels chipclass uses, called by name without importing ``pyarrow.compute``.

``import pyarrow.compute`` builds a Python wrapper with a generated docstring for each of the
~400 kernels in Arrow's registry: 40 ms, a tenth of a small run's start-up. The kernels
themselves live in ``pyarrow._compute`` (5 ms), and ``call_function(name, args, options)`` is
what every wrapper ends in, so the functions below are the same kernels with the same options
and the same results; only the ones chipclass calls are here, with ``pyarrow.compute``'s names
and signatures. Python values among the arguments become Arrow scalars as in the wrappers.

Arrow's own array *methods* (``Array.cast``, ``.take``, ``.fill_null`` ...) import
``pyarrow.compute`` on first use; code on the start-up path calls these functions instead (a
test checks that scoring the shipped catalogue imports no ``pyarrow.compute``).
"""

from __future__ import annotations

from pyarrow import _compute as _c

__all__ = ["cast", "take", "fill_null", "if_else", "is_null", "is_valid", "invert", "and_", "or_", "or_kleene",
           "equal", "greater", "less", "any", "all", "unique", "is_in", "index_in", "utf8_lower",
           "utf8_trim_whitespace", "match_substring_regex", "extract_regex", "split_pattern", "list_element",
           "list_value_length", "struct_field", "make_struct", "replace_substring", "binary_length",
           "binary_join_element_wise"]


def _call(name: str, *args, options=None):
    return _c.call_function(name, list(args), options)


def cast(arr, target_type, safe: bool = True):
    """``pyarrow.compute.cast``: a safe cast unless ``safe`` is false."""
    return _call("cast", arr, options=(_c.CastOptions.safe if safe else _c.CastOptions.unsafe)(target_type))


def take(data, indices):
    """``pyarrow.compute.take`` (bounds checked)."""
    return _call("take", data, indices, options=_c.TakeOptions(boundscheck=True))


def fill_null(values, fill_value):
    """``pyarrow.compute.fill_null``: nulls replaced by ``fill_value`` (a scalar of the values' type)."""
    import pyarrow as pa

    if not isinstance(fill_value, (pa.Array, pa.ChunkedArray, pa.Scalar)):
        fill_value = pa.scalar(fill_value, type=values.type)
    elif fill_value.type != values.type:
        fill_value = fill_value.cast(values.type)
    return _call("coalesce", values, fill_value)


def if_else(cond, left, right):
    """``pyarrow.compute.if_else``."""
    return _call("if_else", cond, left, right)


def is_null(values):
    """``pyarrow.compute.is_null``."""
    return _call("is_null", values)


def is_valid(values):
    """``pyarrow.compute.is_valid``."""
    return _call("is_valid", values)


def invert(values):
    """``pyarrow.compute.invert``."""
    return _call("invert", values)


def and_(x, y):
    """``pyarrow.compute.and_``."""
    return _call("and", x, y)


def or_(x, y):
    """``pyarrow.compute.or_``."""
    return _call("or", x, y)


def or_kleene(x, y):
    """``pyarrow.compute.or_kleene``."""
    return _call("or_kleene", x, y)


def equal(x, y):
    """``pyarrow.compute.equal``."""
    return _call("equal", x, y)


def greater(x, y):
    """``pyarrow.compute.greater``."""
    return _call("greater", x, y)


def less(x, y):
    """``pyarrow.compute.less``."""
    return _call("less", x, y)


def any(values):  # noqa: A001 (pyarrow.compute's name)
    """Whether any value is true (nulls skipped): a BooleanScalar."""
    return _call("any", values, options=_c.ScalarAggregateOptions(skip_nulls=True, min_count=1))


def all(values):  # noqa: A001 (pyarrow.compute's name)
    """Whether every value is true (nulls skipped): a BooleanScalar."""
    return _call("all", values, options=_c.ScalarAggregateOptions(skip_nulls=True, min_count=1))


def unique(values):
    """``pyarrow.compute.unique``."""
    return _call("unique", values)


def is_in(values, value_set):
    """``pyarrow.compute.is_in``."""
    return _call("is_in", values, options=_c.SetLookupOptions(value_set))


def index_in(values, value_set):
    """``pyarrow.compute.index_in``."""
    return _call("index_in", values, options=_c.SetLookupOptions(value_set))


def utf8_lower(strings):
    """``pyarrow.compute.utf8_lower``."""
    return _call("utf8_lower", strings)


def utf8_trim_whitespace(strings):
    """``pyarrow.compute.utf8_trim_whitespace``."""
    return _call("utf8_trim_whitespace", strings)


def match_substring_regex(strings, pattern: str):
    """``pyarrow.compute.match_substring_regex``."""
    return _call("match_substring_regex", strings, options=_c.MatchSubstringOptions(pattern))


def extract_regex(strings, pattern: str):
    """``pyarrow.compute.extract_regex``."""
    return _call("extract_regex", strings, options=_c.ExtractRegexOptions(pattern))


def split_pattern(strings, pattern: str, max_splits=None):
    """``pyarrow.compute.split_pattern``."""
    return _call("split_pattern", strings, options=_c.SplitPatternOptions(pattern, max_splits=max_splits))


def list_element(lists, index):
    """``pyarrow.compute.list_element``."""
    return _call("list_element", lists, index)


def list_value_length(lists):
    """``pyarrow.compute.list_value_length``."""
    return _call("list_value_length", lists)


def struct_field(values, indices):
    """``pyarrow.compute.struct_field``."""
    return _call("struct_field", values, options=_c.StructFieldOptions(indices))


def make_struct(*args, field_names=()):
    """``pyarrow.compute.make_struct``."""
    return _call("make_struct", *args, options=_c.MakeStructOptions(field_names))


def replace_substring(strings, pattern: str, replacement: str):
    """``pyarrow.compute.replace_substring``."""
    return _call("replace_substring", strings, options=_c.ReplaceSubstringOptions(pattern, replacement))


def binary_length(strings):
    """``pyarrow.compute.binary_length``."""
    return _call("binary_length", strings)


def binary_join_element_wise(*strings):
    """``pyarrow.compute.binary_join_element_wise``."""
    return _call("binary_join_element_wise", *strings, options=_c.JoinOptions())
