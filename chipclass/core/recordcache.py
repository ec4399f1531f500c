"""A cache of validated rule records, so a run does not parse the same TOML again.

Parsing the rule files with Python's ``tomllib`` and validating them with msgspec is a sixth of
a small run's start-up (about 45 ms for the shipped rules). :func:`records` keeps the
validated records, encoded as MessagePack, in the user's cache directory
(``$CHIPCLASS_CACHE_DIR``, else ``$XDG_CACHE_HOME/chipclass``, else ``.cache/chipclass`` in
the home directory),
under a key that is a SHA-256 of everything the records depend on:

- the bytes and names of the TOML files themselves;
- the source of the modules that define and validate the record types (``schema.py``,
  ``tomlload.py``, ``metric_table.py``) and the package's vocabulary files (``data/*.toml``);
- the versions of chipclass and msgspec.

So an edited rule file, a changed schema or an upgrade is a miss, never a stale answer; a
decoded entry is validated again by msgspec against the record type. A file is written
atomically (a temporary file renamed over it); a cache directory that cannot be written, or an
entry that cannot be read, is passed over in silence and the TOML is parsed as without a
cache. ``CHIPCLASS_CACHE=off`` turns the cache off. Each kind of record keeps its
:data:`KEEP` most recently written entries: an older one (a rule directory edited since, an
earlier version of chipclass) is removed when a new entry is written.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Callable

__all__ = ["records", "lookup", "store", "cache_dir"]

_SOURCES = ("core/schema.py", "core/tomlload.py", "core/metric_table.py")
#: Entries kept per kind of record (a few KB each): the newest, by the time they were written.
KEEP = 16


def cache_dir() -> Path | None:
    """Where entries are kept, or None when ``CHIPCLASS_CACHE`` is ``off`` (or ``0``, ``no``)."""
    if os.environ.get("CHIPCLASS_CACHE", "").strip().lower() in ("off", "0", "no", "false"):
        return None
    explicit = os.environ.get("CHIPCLASS_CACHE_DIR")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "chipclass"


def _key(paths, kind: type) -> str:
    import msgspec

    import chipclass

    package = Path(chipclass.__file__).parent
    h = hashlib.sha256(f"{chipclass.__version__}\0{msgspec.__version__}\0{kind.__qualname__}\0".encode())
    for dependency in [*(package / s for s in _SOURCES), *sorted((package / "data").glob("*.toml"))]:
        h.update(dependency.name.encode() + b"\0" + dependency.read_bytes() + b"\0")
    for p in paths:
        h.update(Path(p).name.encode() + b"\0" + Path(p).read_bytes() + b"\0")
    return h.hexdigest()


def lookup(paths, kind: type) -> tuple[list | None, Path | None]:
    """(the cached ``kind`` records of ``paths`` or None, the entry to :func:`store` them in
    after parsing, or None when there is no usable cache)."""
    where = cache_dir()
    try:
        entry = where / f"{kind.__name__}-{_key(paths, kind)}.msgpack" if where is not None else None
    except OSError:  # a file vanished or cannot be read: parsing reports it
        return None, None
    found = _read(entry, kind) if entry is not None else None
    return (found if found is not None and len(found) == len(paths) else None), entry


def store(entry: Path | None, parsed: list) -> None:
    """Keep ``parsed`` (every file's record, all valid) under ``entry``; a cache directory
    that cannot be written is passed over."""
    if entry is not None:
        _write(entry, parsed)


def records(paths, kind: type, parse: Callable) -> list:
    """``[parse(p) for p in paths]`` (each a ``kind`` record), from the cache when its key
    matches; parsed and stored otherwise. Errors of ``parse`` are raised as they are (and
    nothing is stored)."""
    found, entry = lookup(paths, kind)
    if found is not None:
        return found
    parsed = [parse(p) for p in paths]
    store(entry, parsed)
    return parsed


def _read(entry: Path, kind: type) -> list | None:
    import msgspec

    try:
        data = entry.read_bytes()
    except OSError:
        return None
    try:
        return msgspec.msgpack.decode(data, type=list[kind])
    except (msgspec.DecodeError, msgspec.ValidationError):  # damaged or foreign: parsed again
        return None


def _write(entry: Path, parsed: list) -> None:
    import msgspec

    from chipclass.core.interrupt import release, temporary_file

    try:
        entry.parent.mkdir(parents=True, exist_ok=True)
        tmp = temporary_file(str(entry.parent), entry.name)
        try:
            with open(tmp, "wb") as fh:
                fh.write(msgspec.msgpack.encode(parsed))
            os.replace(tmp, entry)
            _prune(entry)
        except BaseException:
            try:
                os.unlink(tmp)
            except OSError:
                pass
            raise
        finally:
            release(tmp)
    except OSError:  # a read-only or full cache directory: no cache, same answer
        pass


def _prune(entry: Path) -> None:
    """Remove the entries of ``entry``'s kind beyond the :data:`KEEP` newest (``entry`` is
    kept whatever the clocks say); one that vanishes meanwhile is passed over."""
    kind = entry.name.split("-", 1)[0]
    dated = []
    for other in entry.parent.glob(f"{kind}-*.msgpack"):
        try:
            dated.append((other.stat().st_mtime_ns, other))
        except OSError:
            continue
    dated.sort(reverse=True)
    for _, old in [d for d in dated if d[1] != entry][KEEP - 1:]:
        try:
            old.unlink()
        except OSError:
            pass
