"""The rule-record cache: the same records as parsing, a miss on any change, silent when it
cannot be used."""

from importlib import resources

import pytest

from chipclass.core import recordcache, schema
from chipclass.rules import instruments


def shipped_paths():
    root = resources.files("chipclass").joinpath("data/rules")
    return sorted(p for p in root.iterdir() if p.name.endswith(".toml") and p.name not in instruments.DATA_FILES)


def counting_parser(calls):
    def parse(p):
        calls.append(str(p))
        return schema.load(p, schema.InstrumentFile)
    return parse


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("CHIPCLASS_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("CHIPCLASS_CACHE", raising=False)
    return tmp_path / "cache"


def test_second_read_comes_from_the_cache_and_equals_parsing(cache):
    paths, calls = shipped_paths(), []
    first = recordcache.records(paths, schema.InstrumentFile, counting_parser(calls))
    assert len(calls) == len(paths) and len(list(cache.iterdir())) == 1
    again = recordcache.records(paths, schema.InstrumentFile, counting_parser(calls))
    assert len(calls) == len(paths)  # nothing parsed the second time
    assert again == first == [schema.load(p, schema.InstrumentFile) for p in paths]


def test_an_edited_rule_file_is_a_miss(cache, tmp_path):
    src = shipped_paths()[0]
    mine = tmp_path / src.name
    mine.write_text(src.read_text(encoding="utf-8"), encoding="utf-8")
    calls = []
    before = recordcache.records([mine], schema.InstrumentFile, counting_parser(calls))
    text = mine.read_text(encoding="utf-8")
    mine.write_text(text.replace(f'title = "{before[0].title}"', 'title = "edited"', 1)
                    if f'title = "{before[0].title}"' in text else text + "\n# edited\n", encoding="utf-8")
    after = recordcache.records([mine], schema.InstrumentFile, counting_parser(calls))
    assert len(calls) == 2 and after == [schema.load(mine, schema.InstrumentFile)]


def test_a_damaged_entry_is_parsed_again_and_replaced(cache):
    paths, calls = shipped_paths()[:3], []
    good = recordcache.records(paths, schema.InstrumentFile, counting_parser(calls))
    (entry,) = cache.iterdir()
    entry.write_bytes(b"\x93not msgpack")
    assert recordcache.records(paths, schema.InstrumentFile, counting_parser(calls)) == good
    assert len(calls) == 6 and entry.read_bytes() != b"\x93not msgpack"


def test_a_cache_path_that_is_a_file_is_passed_over(tmp_path, monkeypatch):
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("x")
    monkeypatch.setenv("CHIPCLASS_CACHE_DIR", str(blocker / "cache"))
    got = recordcache.records(shipped_paths()[:2], schema.InstrumentFile, counting_parser([]))
    assert len(got) == 2 and blocker.read_text() == "x"


def test_off_writes_nothing(cache, monkeypatch):
    monkeypatch.setenv("CHIPCLASS_CACHE", "off")
    calls = []
    recordcache.records(shipped_paths()[:2], schema.InstrumentFile, counting_parser(calls))
    recordcache.records(shipped_paths()[:2], schema.InstrumentFile, counting_parser(calls))
    assert len(calls) == 4 and not cache.exists()


def test_a_rule_file_error_is_raised_and_nothing_stored(cache, tmp_path):
    from chipclass.core.errors import RuleDataError

    bad = tmp_path / "bad.toml"
    bad.write_text("id = [\n", encoding="utf-8")
    with pytest.raises(RuleDataError):
        recordcache.records([bad], schema.InstrumentFile, lambda p: schema.load(p, schema.InstrumentFile))
    assert not cache.exists() or list(cache.iterdir()) == []


def test_old_entries_are_removed_beyond_the_newest_few(cache, tmp_path):
    """Every edit of a rule directory is a new entry; the cache keeps the newest KEEP."""
    import os

    src = shipped_paths()[0]
    mine = tmp_path / src.name
    text = src.read_text(encoding="utf-8")
    n = recordcache.KEEP + 5
    for k in range(n):
        mine.write_text(text + f"\n# edit {k}\n", encoding="utf-8")
        recordcache.records([mine], schema.InstrumentFile, counting_parser([]))
        newest = max(cache.iterdir(), key=lambda p: p.stat().st_mtime_ns)
        os.utime(newest, ns=(k * 10**9, k * 10**9))  # written in this order, whatever the clock's grain
    entries = sorted(cache.iterdir(), key=lambda p: p.stat().st_mtime_ns)
    assert len(entries) == recordcache.KEEP
    # the newest is the last edit's, still found without parsing
    calls = []
    recordcache.records([mine], schema.InstrumentFile, counting_parser(calls))
    assert calls == []
    assert [p.stat().st_mtime_ns for p in entries] == [k * 10**9 for k in range(n - recordcache.KEEP, n)]
