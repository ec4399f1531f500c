"""The AI Diffusion framework (90 FR 4544): tiers, fleet accounting and model weights.

Every figure (the H100-equivalent, the LPP limit, the Tier-2 allocation, the UVEU/NVEU shares
and caps, the 4E091 threshold) is read from the ``[diffusion.*]`` tables of the rule file
``rules/2025-01-diffusion.toml``, each with its citation and confidence. Each answer names the
rule set, its citation and whether it is enforced on the as-of date: the rule is in the CFR
from 2025-01-13 but BIS stopped enforcing it on 2025-05-13.

Fleet accounting choices (the issue was silent):

- A deployment row's ``authorization`` is ``license`` (default), ``lpp``, ``aia`` or ``veu``;
  a non-empty ``veu`` (``uveu``/``nveu``) implies ``veu``. Only ``license`` rows in Tier-2
  countries count against the country allocation (LPP and VEU shipments do not).
- The LPP check sums ``lpp`` rows per consignee (owner in a country) per calendar year.
- UVEU placement shares are of each UVEU owner's total TPP across all its rows (installed
  base); the US counts as Tier 1. NVEU rows are checked against the NVEU cap per owner and
  country.
- Allocation checks count deliveries in the years the allocation covers (2025-2027).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa

from chipclass.core.catalogue import Catalogue, from_table
from chipclass.licensing.fleet_input import counts as _counts, countries as _countries, years as _years
from chipclass.classification.engine import compute_metrics
from chipclass.rules.countries import country_code
from chipclass.core.formats import FORMATS
from chipclass.core.errors import InputError, RuleDataError
from chipclass.rules.licences import not_binding, records_in_force, tier_of
from chipclass.rules.instruments import as_date, load_instruments

__all__ = ["training_device", "framework", "Framework", "tiers", "fleet", "model", "training_operations_6nd",
           "training_operations_hardware"]


@dataclass(frozen=True)
class Figure:
    key: str
    value: float
    unit: str
    per: str
    citation: str
    confidence: str
    raw: object  # the schema record (chipclass.core.schema.FigureRec)


@dataclass(frozen=True)
class Framework:
    """The Diffusion instrument as it stands on a date."""

    instrument: object
    as_of: dt.date
    written: bool      # in the CFR on that date
    enforced: bool     # and enforced
    figures: dict
    why_not: str = ""  # why it does not bind in the enforced view (compliance date, non-enforcement)

    @property
    def rule_set(self) -> str:
        return self.instrument.id

    @property
    def citation(self) -> str:
        return self.instrument.reference

    def fig(self, key: str) -> Figure:
        try:
            return self.figures[key]
        except KeyError:
            raise RuleDataError(f"{self.instrument.path}: no [diffusion.{key}] figure "
                                f"(known: {', '.join(self.figures)})") from None

    def stamp(self) -> dict:
        return {"rule_set": self.rule_set, "citation": self.citation, "as_of": self.as_of.isoformat(),
                "in_cfr": self.written, "enforced": self.enforced,
                "enforcement": ("enforced" if self.enforced else
                                f"written in the CFR but not enforced: {self.why_not}" if self.written
                                else "not in force on this date")}


def _why(b: dict) -> str:
    if b["kind"] == "pending":
        return (f"in force from {b['effective'].isoformat()}, no compliance required before "
                f"{b['until'].isoformat()}")
    return f"not enforced from {b['since'].isoformat()} ({b['citation']})"


def framework(as_of=None, rules_dir: str | None = None) -> Framework:
    """The Diffusion framework's figures and status on ``as_of`` (default today)."""
    day = as_date(as_of)
    candidates = [i for i in load_instruments(rules_dir) if i.file.diffusion]
    if not candidates:
        raise RuleDataError("no rule file carries [diffusion] figures")
    inst = candidates[-1]
    figs = {key: Figure(key, rec.value, rec.unit, rec.per, rec.citation, rec.confidence or inst.confidence, rec)
            for key, rec in inst.file.diffusion.items()}
    written = inst.in_force(day)
    _, _, suspended = records_in_force(day, "enforced", rules_dir)
    why = "; ".join(_why(b) for b in not_binding(day, rules_dir).get(inst.id, []))
    sus = [i for i in load_instruments(rules_dir) if inst.id in i.file.suspends and i.effective <= day]
    if written and inst.compliance is not None and sus and sus[0].effective <= inst.compliance:
        why += (f"; suspended before its compliance date {inst.compliance.isoformat()}: "
                "it never bound anyone")
    return Framework(inst, day, written, written and inst.id not in suspended, figs, why)


# --- tiers ---------------------------------------------------------------------------------

def tiers(countries, as_of=None, rules_dir: str | None = None) -> pd.DataFrame:
    """Each country's Diffusion tier (1, 2, 3; null when no tier system is in the CFR)."""
    fw = framework(as_of, rules_dir)
    rows = []
    for c in countries:
        code = country_code(c)
        tier, inst = tier_of(code, fw.as_of, rules_dir)
        rows.append({"country": code, "tier": tier, **fw.stamp(),
                     "basis": inst.file.tiers.basis if tier else None})
    out = pd.DataFrame(rows)
    out["tier"] = out["tier"].astype("Int64")
    return out


# --- model weights (4E091) ----------------------------------------------------------------

def training_operations_6nd(params, tokens):
    r"""Training operations of a dense transformer, the usual estimate.

    .. math:: C \approx 6 N D

    Parameters
    ----------
    params : array_like
        Parameter count N. [dimensionless]
    tokens : array_like
        Training tokens D. [dimensionless]

    Returns
    -------
    ndarray
        Operations (forward and backward pass: 2 + 4 per parameter per token). [operations]

    References
    ----------
    Kaplan et al. (2020), "Scaling Laws for Neural Language Models", arXiv:2001.08361, sec. 2.1.

    Examples
    --------
    >>> float(training_operations_6nd(4e11, 1.5e13))
    3.6e+25
    """
    return 6.0 * np.asarray(params, dtype=np.float64) * np.asarray(tokens, dtype=np.float64)


def training_operations_hardware(throughput_tops, count, utilisation, seconds):
    r"""Training operations from hardware: peak dense rate x devices x utilisation x time.

    .. math:: C = T \cdot 10^{12} \cdot n \cdot u \cdot t

    Parameters
    ----------
    throughput_tops : array_like
        Dense peak throughput per device in the training format. [TOPS]
    count : array_like
        Number of devices. [dimensionless]
    utilisation : array_like
        Model FLOPs utilisation, 0 to 1. [dimensionless]
    seconds : array_like
        Training time. [s]

    Returns
    -------
    ndarray
        Operations. [operations]

    Examples
    --------
    >>> f"{float(training_operations_hardware(989.5, 20000, 0.4, 90 * 86400)):.3g}"   # H100 BF16
    '6.16e+25'
    """
    return (np.asarray(throughput_tops, dtype=np.float64) * 1e12 * np.asarray(count, dtype=np.float64)
            * np.asarray(utilisation, dtype=np.float64) * np.asarray(seconds, dtype=np.float64))


def model(*, operations: float | None = None, params: float | None = None, tokens: float | None = None,
          device: dict | None = None, count: float | None = None, utilisation: float | None = None,
          days: float | None = None, published_weights: bool = False, as_of=None,
          rules_dir: str | None = None) -> dict:
    """Whether a model's weights would be ECCN 4E091, from operations, 6ND or hardware.

    ``device`` is ``{"name": ..., "tops": dense TOPS, "format": ...}`` (see the CLI, which
    takes it from the catalogue).
    """
    fw = framework(as_of, rules_dir)
    fig = fw.fig("model_weights")
    if operations is not None:
        ops, method = float(operations), "given"
    elif params is not None and tokens is not None:
        ops = float(training_operations_6nd(params, tokens))
        method = f"estimate: 6 x parameters ({params:.3g}) x tokens ({tokens:.3g}), dense transformer"
    elif device is not None and None not in (count, utilisation, days):
        if not 0 < utilisation <= 1:
            raise InputError("utilisation must be in (0, 1]", value=utilisation)
        ops = float(training_operations_hardware(device["tops"], count, utilisation, days * 86400))
        method = (f"estimate: {device['name']} {device['format']} dense {device['tops']:g} TOPS x "
                  f"{count:g} devices x utilisation {utilisation:g} x {days:g} days")
    else:
        raise InputError("give operations, params and tokens, or device, count, utilisation and days")
    meets = ops >= fig.value * (1 - 1e-12)
    para = fig.raw.paragraph
    eccn = para if meets and not published_weights and fw.written else None
    if not fw.written:
        reason = f"{para} is not in force on this date"
    elif published_weights:
        first = fig.raw.exemptions[0].rstrip(".") if fig.raw.exemptions else "Published weights are not controlled"
        reason = first[:1].lower() + first[1:]
    elif meets:
        reason = f"{ops:.3g} operations >= {fig.value:.0e}: closed weights are {para}"
        if not fw.enforced:
            reason += f" in the written rules only ({fw.why_not})"
    else:
        reason = f"{ops:.3g} operations < {fig.value:.0e}"
    return {"operations": ops, "log10_operations": float(np.log10(ops)) if ops > 0 else None,
            "paragraph": para, "threshold": fig.value, "margin": ops - fig.value, "eccn": eccn, "method": method,
            "published_weights": published_weights, "reason": reason,
            "exemptions": list(fig.raw.exemptions), "threshold_citation": fig.citation,
            "counting": fig.raw.note,
            "confidence": fig.confidence, **fw.stamp()}


# --- fleet accounting ---------------------------------------------------------------------

_AUTH = ("license", "lpp", "aia", "veu")


def _deployments(frame: pd.DataFrame, catalogue: Catalogue | None, source: str, bit_lengths=None) -> pd.DataFrame:
    """Per-row TPP of a deployment table: catalogue names or inline specs."""
    cols: dict[str, str] = {}
    for c in frame.columns:
        key = str(c).strip().lower()
        if key in cols:
            raise InputError(f"columns {cols[key]!r} and {c!r} both give {key!r}; keep one", source=source, column=str(c))
        cols[key] = c
    for need in ("device", "count", "country"):
        if need not in cols:
            shown = ", ".join(map(str, list(frame.columns)[:20]))
            raise InputError(f"deployment file needs a {need!r} column (has: {shown})", source=source)
    df = frame.rename(columns={v: k for k, v in cols.items()}).reset_index(drop=True)
    n = len(df)
    no_device = df["device"].isna() | (df["device"].astype(str).str.strip() == "")
    if no_device.any():
        i = int(np.flatnonzero(no_device.to_numpy())[0])
        raise InputError("every row needs a device", source=source, row=i + 1, column="device", value="")
    tpp = np.full(n, np.nan)
    if catalogue is not None:
        names = pd.Index(catalogue.names.astype(object))
        cat_tpp = compute_metrics(catalogue, bit_lengths)["tpp"]
        pos = names.get_indexer(df["device"].astype(str))
        tpp = np.where(pos >= 0, cat_tpp[np.maximum(pos, 0)], np.nan)
    spec_cols = [c for c in df.columns if c not in ("device", "count", "country", "owner", "owner_hq",
                                                    "year", "veu", "authorization")]
    if spec_cols:  # inline specs for devices not in the catalogue
        table = pa.table({"name": pa.array([f"row {i + 1}" for i in range(n)]),
                          **{c: pa.array(df[c].astype(object).where(df[c].notna(), None).astype(str)
                                         .where(df[c].notna(), None), pa.string()) for c in spec_cols}})
        inline = compute_metrics(from_table(table, source=source), bit_lengths)["tpp"]
        tpp = np.where(np.isnan(tpp), inline, tpp)
    missing = np.isnan(tpp)
    if missing.any():
        i = int(np.flatnonzero(missing)[0])
        raise InputError("device is neither in the catalogue nor given with specs (e.g. an fp8 column)",
                         source=source, row=i + 1, column="device", value=str(df["device"][i]))
    count = _counts(df["count"], source)
    out = pd.DataFrame({"device": df["device"].astype(str), "count": count,
                        "country": _countries(df["country"], source, "country", required=True),
                        "owner": df["owner"].fillna("(unnamed)").astype(str) if "owner" in df else "(unnamed)",
                        "owner_hq": _countries(df["owner_hq"], source, "owner_hq") if "owner_hq" in df else None,
                        "year": _years(df["year"], source) if "year" in df else pd.NA,
                        "veu": df["veu"].fillna("").astype(str).str.lower().str.strip() if "veu" in df else "",
                        "tpp_each": tpp})
    auth = (df["authorization"].fillna("").astype(str).str.lower().str.strip() if "authorization" in df
            else pd.Series([""] * n))
    auth = np.where(out["veu"].isin(["uveu", "nveu"]), "veu", np.where(auth == "", "license", auth))
    bad = ~np.isin(auth, _AUTH)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise InputError(f"authorization must be one of {', '.join(_AUTH)}", source=source, row=i + 1,
                         column="authorization", value=str(auth[i]))
    out["authorization"] = auth
    out["tpp"] = out["tpp_each"] * out["count"]
    return out


def fleet(deployments, catalogue=None, as_of=None, rules_dir: str | None = None,
          g2g_countries=(), bit_lengths: dict | None = None) -> dict:
    """Account a fleet under the Diffusion framework: totals and every limit check.

    Returns a dict with ``rows`` (per deployment row), ``by_country``, ``by_owner``, ``checks``
    (each with value, limit, margin, unit, passed, citation) and the rule-set stamp.

    Length: one limit check after another, each a few lines around the shared ``check``
    recorder, in the order the checks are reported.
    """
    from chipclass.core.readers import load

    from chipclass.core.readers import read_table

    if isinstance(deployments, pd.DataFrame):
        source, frame = "<deployments>", deployments
    else:  # a path or '-': the catalogue's reader (UTF-8, ragged rows, quotes, sizes, headers)
        table, source = read_table(deployments)
        frame = table.to_pandas(types_mapper={pa.string(): pd.StringDtype("python")}.get).astype(object)
        frame = frame.where(frame.notna(), None)
    cat = load(catalogue) if catalogue is not None else None
    fw = framework(as_of, rules_dir)
    day = fw.as_of
    h100 = fw.fig("h100_equivalent").value
    rows = _deployments(frame, cat, source, bit_lengths)
    rows["tier"] = [tier_of(c, day, rules_dir)[0] for c in rows["country"]]
    rows["h100_equivalents"] = rows["tpp"] / h100
    g2g = {country_code(c) for c in g2g_countries}
    checks = []

    def check(name, scope, value, limit, unit, kind, fig):
        ok = value >= limit if kind == "min" else value <= limit
        checks.append({"check": name, "scope": scope, "value": value, "limit": limit, "unit": unit,
                       "margin": (value - limit) if kind == "min" else (limit - value),
                       "passed": bool(ok), "citation": fig.citation, "confidence": fig.confidence})

    # Tier-2 country allocations (licensed shipments in the covered years)
    alloc = fw.fig("tier2_allocation")
    alloc2 = fw.fig("tier2_allocation_g2g")
    if not alloc.raw.years:
        raise RuleDataError(f"{fw.instrument.path}: [diffusion.tier2_allocation] needs the years it covers")
    y0, y1 = alloc.raw.years[0], alloc.raw.years[-1]
    in_years = rows["year"].isna() | rows["year"].between(y0, y1)
    counted = rows[(rows["tier"] == 2) & (rows["authorization"] == "license") & in_years.fillna(True)]
    for country, tpp in counted.groupby("country")["tpp"].sum().items():
        fig = alloc2 if country in g2g else alloc
        check("tier2_allocation", country, tpp, fig.value * h100, "TPP", "max", fig)
    # LPP per consignee (owner in a country) per calendar year
    lpp = fw.fig("lpp_limit")
    lrows = rows[rows["authorization"] == "lpp"]
    for (owner, country, year), tpp in lrows.groupby(["owner", "country", "year"], dropna=False)["tpp"].sum().items():
        check("lpp_limit", f"{owner} in {country}, {year if pd.notna(year) else 'year not given'}",
              tpp, lpp.value, "TPP", "max", lpp)
    # UVEU placement shares
    for owner, grp in rows[rows["veu"] == "uveu"].groupby("owner"):
        owned = rows[rows["owner"] == owner]
        total = owned["tpp"].sum()
        if total <= 0:
            continue
        t1 = owned.loc[owned["tier"] == 1, "tpp"].sum() / total
        fig = fw.fig("uveu_min_tier1_share")
        check("uveu_tier1_share", owner, t1, fig.value, "share", "min", fig)
        t2 = owned[owned["tier"] == 2].groupby("country")["tpp"].sum() / total
        fig = fw.fig("uveu_max_tier2_country_share")
        if len(t2):
            check("uveu_max_tier2_country_share", f"{owner} ({t2.idxmax()})", float(t2.max()), fig.value,
                  "share", "max", fig)
        if "uveu_max_tier3_share" in fw.figures:  # [unconfirmed] in the shipped data: said in the check
            fig = fw.fig("uveu_max_tier3_share")
            t3 = owned[owned["tier"] == 3].groupby("country")["tpp"].sum() / total
            check("uveu_max_tier3_share", f"{owner} ({t3.idxmax() if len(t3) else 'none in Tier 3'})",
                  float(t3.max()) if len(t3) else 0.0, fig.value, "share", "max", fig)
        hq = owned["owner_hq"].dropna()
        if len(hq) and (hq == "US").any():
            fig = fw.fig("uveu_us_min_share")
            check("uveu_us_share", owner, owned.loc[owned["country"] == "US", "tpp"].sum() / total,
                  fig.value, "share", "min", fig)
    # NVEU caps per owner and country
    nveu = fw.fig("nveu_cap")
    for (owner, country), tpp in rows[rows["veu"] == "nveu"].groupby(["owner", "country"])["tpp"].sum().items():
        check("nveu_cap", f"{owner} in {country}", tpp, nveu.value * h100, "TPP", "max", nveu)

    by_country = rows.groupby("country").agg(tier=("tier", "first"), devices=("count", "sum"),
                                             tpp=("tpp", "sum"), h100_equivalents=("h100_equivalents", "sum"))
    by_owner = rows.groupby("owner").agg(devices=("count", "sum"), tpp=("tpp", "sum"),
                                         h100_equivalents=("h100_equivalents", "sum"))
    return {**fw.stamp(), "h100_equivalent_tpp": h100,
            "total": {"devices": float(rows["count"].sum()), "tpp": float(rows["tpp"].sum()),
                      "h100_equivalents": float(rows["h100_equivalents"].sum())},
            "rows": rows, "by_country": by_country.reset_index(), "by_owner": by_owner.reset_index(),
            "checks": pd.DataFrame(checks, columns=["check", "scope", "value", "limit", "unit", "margin",
                                                    "passed", "citation", "confidence"])}


def training_device(cat, name: str, fmt: str | None = None) -> dict:
    """``{name, tops, format}`` of a catalogue device for :func:`model` (exact name, else a prefix)."""
    from chipclass.core.metrics import dense_throughput

    names = [str(n) for n in cat.names]
    exact = [i for i, n in enumerate(names) if n.lower() == name.lower()]
    near = exact or [i for i, n in enumerate(names) if n.lower().startswith(name.lower())]
    if not near:
        raise InputError(f"no device named {name!r} in the catalogue", source=cat.source, column="name")
    i = near[0]
    if fmt is not None and fmt not in FORMATS:
        raise InputError(f"{fmt!r} is not a number format (one of: {', '.join(FORMATS)})").about("precision")
    formats = [fmt] if fmt else ["bf16", "fp16", "tf32", "fp8"]
    for f in formats:
        t = float(dense_throughput(cat.values[f][i:i + 1], cat.values[f"{f}_sparse"][i:i + 1])[0])
        if t == t:
            label = names[i] + (f" (matched {name!r}; also: {', '.join(names[j] for j in near[1:])})"
                                if len(near) > 1 and not exact else "")
            return {"name": label, "tops": t, "format": f}
    raise InputError(f"{names[i]} has no dense {'/'.join(formats)} figure", source=cat.source, column="name")
