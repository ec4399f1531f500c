"""The knowledge horizon: the date up to which the rule data was reviewed (``horizon.toml`` of
the rules directory, else the shipped one). Answers for later dates may miss rules published
since; :func:`past` tells whether a date is beyond it. The wording of the notice lives in
:mod:`chipclass.outputs.timeline`."""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from chipclass.core import data_schema, schema

__all__ = ["Horizon", "horizon", "past", "FILE"]

FILE = "horizon.toml"


@dataclass(frozen=True)
class Horizon:
    """The knowledge horizon as read: last day reviewed, basis, spot checks, confidence and the file it came from."""
    reviewed_through: dt.date
    basis: str
    spot_checks: tuple[str, ...]
    confidence: str
    path: str

    def to_dict(self) -> dict:
        """The horizon as plain JSON types (date as ISO text; no path)."""
        return {"reviewed_through": self.reviewed_through.isoformat(), "basis": self.basis,
                "spot_checks": list(self.spot_checks), "confidence": self.confidence}


@functools.lru_cache(maxsize=8)
def horizon(directory: str | None = None) -> Horizon:
    """The horizon of ``directory`` (a --rules directory holding ``horizon.toml``) or the shipped one."""
    path = Path(directory) / FILE if directory and (Path(directory) / FILE).exists() else None
    rec = schema.load(path or resources.files("chipclass").joinpath(f"data/rules/{FILE}"), data_schema.HorizonFile).horizon
    return Horizon(rec.reviewed_through, " ".join(rec.basis.split()), tuple(rec.spot_checks), rec.confidence,
                   str(path or f"chipclass/data/rules/{FILE}"))


def past(day: dt.date, directory: str | None = None) -> bool:
    """Whether ``day`` is after the horizon (rules published since may be missing)."""
    return day > horizon(directory).reviewed_through
