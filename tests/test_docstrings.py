"""Every public name of chipclass has a docstring (the API pages of the docs site are made
from them).

Public: the package's lazy namespace (``chipclass.__all__``), every module whose dotted path has
no part starting with ``_``, and in each such module the functions and classes it exports
(its ``__all__``; without one, the names not starting with ``_`` defined in it), with their
public methods and properties. A dataclass's generated ``Name(field: type, ...)`` text is not a
docstring.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import chipclass


def _modules() -> list[str]:
    out = ["chipclass"]
    for m in pkgutil.walk_packages(chipclass.__path__, "chipclass."):
        if not any(part.startswith("_") for part in m.name.split(".")[1:]):
            out.append(m.name)
    return out


def _has_doc(obj) -> bool:
    if inspect.isclass(obj):
        doc = obj.__dict__.get("__doc__")
        return bool(doc and doc.strip()) and not doc.startswith(f"{obj.__name__}(")
    return bool((getattr(obj, "__doc__", None) or "").strip())


def _exported(mod) -> list[str]:
    names = getattr(mod, "__all__", None)
    if names is not None:
        return list(names)
    return [n for n, o in vars(mod).items() if not n.startswith("_") and (inspect.isfunction(o) or inspect.isclass(o))
            and getattr(o, "__module__", None) == mod.__name__]


def _members(cls):
    for name, member in vars(cls).items():
        if name.startswith("_"):
            continue
        if isinstance(member, property):
            yield name, member.fget if member.__doc__ is None else member
        elif isinstance(member, (staticmethod, classmethod)):
            yield name, member.__func__
        elif inspect.isfunction(member):
            yield name, member


def undocumented() -> list[str]:
    """Dotted names of the public modules, functions, classes, methods without a docstring."""
    missing = []
    for name in _modules():
        mod = importlib.import_module(name)
        if not _has_doc(mod):
            missing.append(f"{name} (module)")
        for attr in _exported(mod):
            obj = getattr(mod, attr)
            if not (inspect.isfunction(obj) or inspect.isclass(obj)):
                continue  # constants, the registry, re-exported modules
            if name != "chipclass" and getattr(obj, "__module__", name) != name:
                continue  # re-exported: checked where it is defined
            if not _has_doc(obj):
                missing.append(f"{name}.{attr}")
            if inspect.isclass(obj):
                missing += [f"{name}.{attr}.{m}" for m, f in _members(obj) if not _has_doc(f)]
    return sorted(set(missing))


def test_every_public_name_has_a_docstring():
    missing = undocumented()
    assert not missing, f"{len(missing)} public name(s) without a docstring:\n" + "\n".join(missing)


def test_the_check_sees_a_missing_docstring(monkeypatch):
    import chipclass.core.extras as mod

    def helper():
        return None

    helper.__module__ = mod.__name__
    monkeypatch.setattr(mod, "__all__", [*mod.__all__, "helper"])
    monkeypatch.setattr(mod, "helper", helper, raising=False)
    assert "chipclass.core.extras.helper" in undocumented()


if __name__ == "__main__":
    print("\n".join(undocumented()))
