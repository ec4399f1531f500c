"""Spec-sheet headers read as the catalogue vocabulary, or refused.

A header is read once per column (never per row), in four steps:

1. **Configuration.** A ``[columns]`` mapping (or ``--pass-through``) for the header, matched
   case-insensitively with spaces collapsed, wins: ``"FP8 Dense" = "fp8 [TFLOPS]"`` reads the
   column as ``fp8``; ``"TDP (W)" = "-"`` passes it through untouched.
2. **Vocabulary.** ``fp8``, ``Die Area``, ``memory_bandwidth (TB/s)``: the vocabulary name in
   any case, spaces or hyphens for ``_``, with an optional unit in brackets or parentheses.
3. **Synonyms** from ``data/headers.toml``: the words vendors print (``FP8 Tensor Core``,
   ``Peak FP16 Performance with Structured Sparsity``, ``Die size (mm²)``, ``HBM bandwidth
   (TB/s)``, ``Chip-to-chip bandwidth``, ``Half-precision (FP16)``, ``Transistors (billion)``).
   Every word of the header must be known there; a bracketed group is its unit when it parses
   as one, else more words (``(dense)``, ``(FP8)``). Headers chipclass knows and does not score
   (``TDP``, ``Form Factor``, ``Process``) pass through as text.
4. **Refusal.** A header that is none of these but is *about* a dimension the catalogue knows
   (a throughput, memory, bandwidth, area, transistor or node word, a unit of one of those
   kinds, or a name within a small edit distance of a vocabulary name, such as
   ``memory_bandwith``) is an error naming the column, the closest vocabulary names and the
   ``[columns]`` line that fixes it. Any other header passes through to the output.

Two headers read as one column, or one header that says both dense and sparse, are refused:
nothing a user wrote about compute, area or bandwidth is dropped without their say.
"""

from __future__ import annotations

import difflib
import functools
import tomllib
from dataclasses import dataclass
from importlib import resources

from chipclass.core.aliases import PASS_THROUGH, current_aliases
from chipclass.core.errors import InputError
from chipclass.core.formats import BIT_LENGTH
from chipclass.core.metric_table import INPUTS
from chipclass.core.units import FACTORS, UnitError, check_unit_text, normalise_spelling, unit_factor

__all__ = ["Column", "read_header", "resolve", "SYNONYMS", "unit_kind", "words_of", "vocabulary_name", "parse_header",
           "refusal"]

#: Kinds of quantity a header's unit may have (canonical units in chipclass.core.units).
UNIT_KINDS = ("throughput", "area", "memory", "bandwidth", "count", "length")
#: Kind words for messages.
_KIND_TEXT = {"throughput": "a throughput", "area": "an area", "memory": "a memory size",
              "bandwidth": "a bandwidth", "count": "a count", "length": "a length"}
#: Headers longer than this are not read as spec-sheet phrases (only exact names and units).
_MAX_PHRASE_HEADER = 200
_MAX_GROUPS = 8
#: Kinds a unit written as the header's last word may have ('FP32 TFLOPS'; not 'point', a length).
_WORD_UNIT_KINDS = ("throughput", "memory", "bandwidth")


@dataclass(frozen=True)
class Column:
    """How one header is read.

    ``name`` is the vocabulary name (numeric or text), a known pass-through name such as
    ``source``, or None; ``unit`` the header's unit (None for the column's default); ``how``
    one of ``vocabulary``, ``synonym``, ``configuration``, ``text`` (known, not scored) and
    ``pass-through``.
    """
    header: str
    name: str | None
    unit: str | None
    how: str


def words_of(text: str) -> tuple[str, ...]:
    """Lower-case words of a header or table phrase: spaces, ``_ - / , : ; + |`` separate;
    ``w/`` reads as ``with`` and ``w/o`` as ``without``.

    >>> words_of("FP8 Tensor (dense) w/o sparsity")
    ('fp8', 'tensor', '(dense)', 'without', 'sparsity')
    """
    text = f" {text.casefold()} ".replace(" w/o ", " without ").replace(" w/ ", " with ")
    for sep in "_-/,:;+|&":
        text = text.replace(sep, " ")
    return tuple(text.split())


class _Table:
    """The synonym table of ``data/headers.toml``, as phrase -> (role, value) lookups."""

    def __init__(self, data: dict):
        self.phrases: dict[tuple[str, ...], tuple[str, str]] = {}
        for fmt, spellings in data["formats"].items():
            if fmt not in BIT_LENGTH:
                raise ValueError(f"headers.toml: formats.{fmt}: not a format of formats.toml")
            self._add(spellings, "format", fmt)
        self._add(data["throughput"]["words"], "tput", "")
        self._add(data["sparsity"]["sparse"], "sparse", "")
        self._add(data["sparsity"]["dense"], "dense", "")
        self._add(data["filler"]["words"], "filler", "")
        for concept, spellings in data["concepts"].items():
            self._add(spellings, "concept", concept)
        self.longest = max(len(p) for p in self.phrases)
        self.words = {w for p in self.phrases for w in p}
        self.columns = {frozenset(c): name for name, combos in data["columns"].items() for c in combos}
        self.dimensions = {c: dim for dim, concepts in data["dimensions"].items() for c in concepts}
        self.text = {words_of(p): (None if name == "-" else name)
                     for name, spellings in data["text"].items() for p in spellings}
        self.text_units = data.get("text_with_unit", {})
        self.names = {words_of(p) for p in data["name"]["words"]}
        self.known_text = tuple(sorted({n for n in self.text.values() if n}))

    def _add(self, spellings, role, value):
        for s in spellings:
            self.phrases[words_of(s)] = (role, value)


@functools.cache
def _table() -> _Table:
    with resources.files("chipclass").joinpath("data/headers.toml").open("rb") as fh:
        return _Table(tomllib.load(fh))


def __getattr__(name):
    if name == "SYNONYMS":  # the table, loaded on first use
        return _table()
    raise AttributeError(name)


@functools.lru_cache(maxsize=4096)
def unit_kind(text: str) -> tuple[str, str] | None:
    """``('TB/s', 'bandwidth')`` when ``text`` is a unit of a kind the catalogue knows, else None.

    >>> unit_kind("mm²"), unit_kind("W"), unit_kind("dense")
    (('mm**2', 'area'), None, None)
    """
    unit = text.strip().replace("²", "**2").replace("³", "**3")
    if unit[-1:] in "23" and unit[:-1] in ("mm", "cm", "um", "µm"):  # mm2 as vendors write it
        unit = f"{unit[:-1]}**{unit[-1]}"
    if not unit or len(unit) > 40:
        return None
    spelled = normalise_spelling(unit)
    for kind in UNIT_KINDS:  # the common units without pint
        if (spelled, kind) in FACTORS:
            return unit, kind
    if "_" in unit or set(words_of(unit)) <= _table().words:
        return None  # a vocabulary-like name or the table's own words: no need to ask pint
    try:
        check_unit_text(unit)
    except UnitError:
        return None
    for kind in UNIT_KINDS:
        try:
            unit_factor(unit, kind)
            return unit, kind
        except UnitError:
            continue
    return None


def _split(header: str) -> tuple[str, list[str]]:
    """The header's text outside brackets, and the bracketed groups, in time linear in its length
    (no backtracking regular expression: a header of 400 spaces once took 18 s)."""
    outside, groups, k, n = [], [], 0, len(header)
    while k < n:
        ch = header[k]
        close = {"[": "]", "(": ")"}.get(ch)
        end = header.find(close, k + 1) if close else -1
        if close and end > 0 and "[" not in header[k + 1:end] and "(" not in header[k + 1:end]:
            groups.append(ch + header[k + 1:end])
            outside.append(" ")
            k = end + 1
        else:
            outside.append(ch)
            k += 1
    return "".join(outside), groups


def vocabulary_name(text: str) -> str:
    """``'Die Area'`` -> ``'die_area'`` (the vocabulary's own spelling rule)."""
    return "_".join(text.lower().replace("-", " ").split())


@functools.lru_cache(maxsize=4096)
def _parse(header: str) -> tuple[str, str | None, tuple[str, ...], str | None]:
    """(vocabulary-style name, unit as written, words, unit error) of a header."""
    text, groups = _split(header.strip())
    if len(groups) > _MAX_GROUPS:
        return vocabulary_name(header), None, (), None
    words, units, worded = list(words_of(text)), [], False
    for g in groups:
        bracket, g = g[0], g[1:]
        found = unit_kind(g)
        if found is not None or (bracket == "[" and g.strip()):  # [..] is always a unit, as before
            units.append(found[0] if found is not None else g.strip())
        else:
            words += words_of(g)
            worded = True
    if not units:  # a unit written as a word at the end: 'FP32 TFLOPS', 'Memory Bandwidth GB/s'
        tail = text.split()[-1:] if len(text.split()) > 1 else []
        found = unit_kind(tail[0]) if tail else None
        if found is not None and found[1] in _WORD_UNIT_KINDS and not set(words_of(tail[0])) & _table().words:
            units.append(unit_kind(tail[0])[0])
            words = words[:len(words) - len(words_of(tail[0]))]
    unit_error = f"more than one unit ({', '.join(units)})" if len(units) > 1 else None
    bare = text.split()
    if units and not groups and bare and unit_kind(bare[-1]) is not None:
        bare = bare[:-1]
    name = vocabulary_name(" ".join(bare)) + ("_(...)" if worded else "")  # words in brackets: not exact
    return name, (units[0] if units else None), tuple(words), unit_error


def parse_header(header: str) -> tuple[str, str | None]:
    """``'Die Area [cm**2]'`` -> ``('die_area', 'cm**2')``; ``'Die size (mm²)'`` -> ``('die_size', 'mm²')``."""
    name, unit, _, _ = _parse(str(header))
    return name.removesuffix("_(...)"), unit


def _phrases(words: tuple[str, ...]) -> list[tuple[str, str]] | None:
    """Greedy longest-match of ``words`` against the table; None when a word is not in it."""
    table, out, k = _table(), [], 0
    while k < len(words):
        for size in range(min(table.longest, len(words) - k), 0, -1):
            hit = table.phrases.get(words[k:k + size])
            if hit is not None:
                out.append(hit)
                k += size
                break
        else:
            return None
    return out


def _synonym(words: tuple[str, ...]) -> tuple[str | None, str | None]:
    """(vocabulary name the words make, reason they make none). (None, None): not recognised."""
    table = _table()
    core = tuple(w for w in words if table.phrases.get((w,), ("",))[0] != "filler") or words
    if core in table.text or words in table.text:
        return table.text.get(core, table.text.get(words)), "text"
    if words in table.names:
        return "name", "name"
    found = _phrases(words)
    if not found:
        return None, None
    roles = {r for r, _ in found}
    formats = {v for r, v in found if r == "format"}
    concepts = frozenset(v for r, v in found if r == "concept")
    if formats and not concepts:
        if "sparse" in roles and "dense" in roles:
            return None, "says both dense and sparse"
        best = max(formats, key=lambda f: (BIT_LENGTH[f], -list(BIT_LENGTH).index(f)))
        return (f"{best}_sparse" if "sparse" in roles else best), None
    if concepts and roles <= {"concept", "filler"}:
        return table.columns.get(concepts), None
    return None, None


def _dimensions(words: tuple[str, ...], unit: str | None) -> list[str]:
    """The dimensions a header is about, from its words and its unit (for refusals)."""
    table, dims = _table(), []
    for k in range(len(words)):
        for size in range(min(table.longest, len(words) - k), 0, -1):
            role, value = table.phrases.get(words[k:k + size], ("", ""))
            dim = ("throughput" if role in ("format", "tput", "sparse", "dense")
                   else table.dimensions.get(value) if role == "concept" else None)
            if dim and dim not in dims:
                dims.append(dim)
            if role:
                break
    found = unit_kind(unit) if unit else None
    if found and found[1] in ("throughput", "area", "memory", "bandwidth"):
        kind = {"throughput": "throughput"}.get(found[1], found[1])
        if kind not in dims:
            dims.append(kind)
    return dims


def _distance(a: str, b: str) -> int:
    """Levenshtein distance (short strings only)."""
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]


def _close_names(name: str, vocabulary) -> list[str]:
    """Vocabulary names within a small edit distance (1 up to 5 letters, else 2)."""
    if len(name) > 64:
        return []
    return [v for v in vocabulary if abs(len(v) - len(name)) <= 2
            and _distance(name, v) <= (1 if len(v) <= 5 else 2)]


@functools.lru_cache(maxsize=4096)
def _read(header: str, numeric: tuple[str, ...], text: tuple[str, ...]) -> Column | str:
    """A :class:`Column`, or the reason (a sentence) the header is refused."""
    name, unit, words, unit_error = _parse(header)
    vocabulary = set(numeric) | set(text)
    if name in vocabulary or name in _table().known_text:
        return Column(header, name, unit, "vocabulary")
    synonym, why = (None, None) if len(header) > _MAX_PHRASE_HEADER else _synonym(words)
    if why == "text":
        if synonym is not None and unit is not None and (unit_kind(unit) or ("", ""))[1] in _table().text_units.get(
                synonym, {}):
            return Column(header, _table().text_units[synonym][unit_kind(unit)[1]], unit, "synonym")
        plain = header.strip() == vocabulary_name(header)  # 'market', 'launch_year': the vocabulary's style
        return Column(header, synonym, None, "vocabulary" if plain else "text")
    if synonym is not None and unit_error is None:
        return Column(header, synonym, unit, "synonym")
    dims = _dimensions(words, unit)
    close = _close_names(name.removesuffix("_(...)"), [v for v in (*numeric, "name") if v != name])
    if not dims and not close and why is None and unit_error is None:
        return Column(header, None, None, "pass-through")
    what = why or unit_error or (f"is close to the vocabulary name {close[0]!r}" if close else
                                 f"looks like {' and '.join(_KIND_TEXT.get(d, 'a ' + d) for d in dims)}")
    return what


def _suggest(header: str, numeric, unit: str | None) -> list[str]:
    """Closest vocabulary names for a refused header."""
    name, _, words, _ = _parse(header)
    found = _phrases(words) or []
    formats = [v for r, v in found if r == "format"]
    guesses = [f for f in formats] + [f"{f}_sparse" for f in formats]
    table = _table()
    for (role, value) in found:
        if role == "concept":
            guesses += [n for c, n in table.columns.items() if value in c]
    kind = (unit_kind(unit) or ("", ""))[1] if unit else ""
    if kind:
        guesses += [n for n in numeric if not n.endswith("_sparse") and (
            "throughput" if n in BIT_LENGTH else INPUTS.get(n)) == kind][:4]
    if not guesses:
        guesses += difflib.get_close_matches(name, numeric, n=3, cutoff=0.6)
    out = []
    for g in guesses:
        if g in numeric and g not in out:
            out.append(g)
    return out[:4]


def refusal(header: str, why: str, numeric, source: str) -> InputError:
    """The one-line error for a header that cannot be read (names the fix)."""
    _, unit, _, _ = _parse(header)
    names = _suggest(header, numeric, unit)
    target = f"{names[0]} [{unit}]" if names and unit else (names[0] if names else "<column> [<unit>]")
    closest = f"; closest vocabulary names: {', '.join(names)}" if names else ""
    return InputError(f"{why} and is not recognised{closest}; map it in the configuration "
                      f"([columns] \"{header}\" = \"{target}\") or pass it through "
                      f"([columns] \"{header}\" = \"-\", or --pass-through \"{header}\")", source=source, column=header)


def read_header(header: str, numeric: tuple[str, ...], text: tuple[str, ...], source: str) -> Column:
    """How ``header`` is read (configuration first), or an :class:`InputError` naming it."""
    aliases = current_aliases()
    target = aliases.get(" ".join(str(header).split()).casefold()) if aliases else None
    if target is not None and target.strip() == PASS_THROUGH:
        return Column(header, None, None, "pass-through (configuration)")
    if target is not None:
        name, unit, _, _ = _parse(target)
        if name not in numeric and name not in text and name not in _table().known_text:
            raise InputError(f"the configuration maps this column to {target!r}, which is not a catalogue column",
                             source=source, column=header)
        return Column(header, name, unit, "configuration")
    found = _read(str(header), numeric, text)
    if isinstance(found, str):
        raise refusal(header, found, numeric, source)
    return found


def resolve(headers: list[str], numeric: tuple[str, ...], text: tuple[str, ...],
            source: str) -> list[Column]:
    """Every header read (in order); the first refused header, or two headers read as one
    column, is an :class:`InputError` naming the column. A ``name`` synonym (``Product``) is
    used only when no header is ``name`` itself; of two text columns read as one known name
    (``source``) the first is used and the other passes through."""
    cols = [read_header(h, numeric, text, source) for h in headers]
    taken: dict[str, Column] = {}
    exact_name = any(c.name == "name" and c.how != "text" and c.how != "synonym" for c in cols)
    out = []
    for c in cols:
        if c.name is None:
            out.append(c)
            continue
        if c.name == "name" and c.how == "synonym" and exact_name:
            c = Column(c.header, None, None, "pass-through")
        elif c.name in taken and (c.how == "text" or c.name not in numeric and c.name != "name"):
            c = Column(c.header, None, None, "pass-through")
        elif c.name in taken:
            first = taken[c.name]
            raise InputError(f"columns {first.header!r} and {c.header!r} both give {c.name!r}; "
                             f"keep one, or pass one through ([columns] \"{c.header}\" = \"-\", or "
                             f"--pass-through \"{c.header}\")", source=source, column=c.header)
        if c.name is not None:
            taken[c.name] = c
        out.append(c)
    return out
