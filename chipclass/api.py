"""The Python API: what the CLI calls, and what a notebook uses.

>>> import chipclass
>>> from chipclass import ureg
>>> chipclass.tpp(fp8=296 * ureg.TFLOPS, fp16=148 * ureg.TFLOPS)   # NVIDIA H20
2368.0
>>> row = chipclass.classify_spec(fp8="1979 TFLOPS", die_area="814 mm**2", as_of="2024-01-01")
>>> row["clause"], row["status"]
('3A090.a.1', 'controlled')
>>> row = chipclass.classify_spec(fp8=1979 * ureg.TFLOPS, die_area=8.14 * ureg.cm**2, as_of="2024-01-01")
>>> f"{row['performance_density']:.3g~P}"           # Quantities in, Quantities out
'19.4 1/mm²'
"""

from __future__ import annotations

from chipclass.classification import engine
from chipclass.core.readers import load, spec_catalogue
from chipclass.outputs.table import score_frame
from chipclass.rules.instruments import rules_in_force

from chipclass.core.metric_table import METRIC_QUANTITY
from chipclass.core.units import CANONICAL

__all__ = ["load", "score", "score_stream", "diff", "tpp", "spec_catalogue", "classify_spec", "explain",
           "classify", "envelope", "licences", "license_table", "sweep", "rules_timeline", "rules_diff", "horizon"]

#: Canonical unit of each numeric result, for Quantity outputs.
RESULT_UNITS = {m: CANONICAL[METRIC_QUANTITY[m]] for m in ("tpp", "performance_density", "memory_bandwidth_density")}


def classify(data, as_of=None, *, bit_lengths: dict[str, int] | None = None,
                   rules_dir: str | None = None):
    """Classify a catalogue and keep the result as arrays and codes.

    Parameters
    ----------
    data : path, ``-``, pandas.DataFrame, pyarrow.Table or Catalogue
        The catalogue (the column vocabulary is in :mod:`chipclass.core.catalogue`).
    as_of : date or 'YYYY-MM-DD', optional
        The date whose rules apply (default: today).
    bit_lengths : dict, optional
        Bit lengths that differ from the defaults, e.g. ``{'tf32': 19}``.
    rules_dir : str, optional
        A directory of rule files to use instead of the shipped ones.

    Returns
    -------
    chipclass.classification.result.Classification
        Codes and float64 arrays; ``chipclass.outputs.table.score_frame(result)`` for a table, and an HTML view in Jupyter.

    Raises
    ------
    chipclass.core.errors.InputError
        A cell, column or file that cannot be scored (file, row, column and value named).
    chipclass.core.errors.AsOfError
        A date before the first rule (2022-10-07).
    chipclass.core.errors.RuleDataError
        Malformed rule data.
    """
    return engine.classify(load(data), rules_in_force(as_of, rules_dir), bit_lengths)


def score(data, as_of=None, *, bit_lengths: dict[str, int] | None = None, rules_dir: str | None = None):
    """Classify every device of a catalogue under the 3A090 rules in force on ``as_of``.

    Parameters
    ----------
    data : path, ``-``, pandas.DataFrame, pyarrow.Table or Catalogue
        The catalogue (the column vocabulary is in :mod:`chipclass.core.catalogue`).
    as_of : date or 'YYYY-MM-DD', optional
        The date whose rules apply (default: today). Before 2022-10-07 is an error.
    bit_lengths : dict, optional
        Bit lengths that differ from the defaults, e.g. ``{'tf32': 19}``.
    rules_dir : str, optional
        A directory of rule files to use instead of the shipped ones.

    Returns
    -------
    pandas.DataFrame
        One row per device: ``name, device_type, datacenter, tpp, tpp_format,
        performance_density, memory_bandwidth_density, eccn, clause, status, missing, note,
        margin_*, rule_set`` and the pass-through columns. Given a DataFrame, the result keeps
        its index, and its columns follow the result's (a name both use gets `` (input)``).

    Raises
    ------
    chipclass.core.errors.InputError
        A cell, column or file that cannot be scored (file, row, column and value named).
    chipclass.core.errors.AsOfError
        A date before the first rule.
    chipclass.core.errors.RuleDataError
        Malformed rule data.
    """
    import pandas as pd

    frame = score_frame(classify(data, as_of, bit_lengths=bit_lengths, rules_dir=rules_dir))
    if isinstance(data, pd.DataFrame):
        frame.index = data.index
        for col in data.columns:
            key = str(col)
            if key not in frame.columns:
                frame[key] = data[col].to_numpy()
            elif f"{key} (input)" not in frame.columns and not frame[key].equals(data[col]):
                frame[f"{key} (input)"] = data[col].to_numpy()
    return frame


def score_stream(path, as_of=None, *, batch_rows: int = 1 << 20,
                 bit_lengths: dict[str, int] | None = None, rules_dir: str | None = None):
    """Score a catalogue file batch by batch, with memory bounded by ``batch_rows``.

    Parameters
    ----------
    path : str
        A CSV or Parquet file, or ``-`` for stdin.
    as_of, bit_lengths, rules_dir
        As for :func:`score`.
    batch_rows : int, optional
        Rows per batch.

    Returns
    -------
    iterator of pandas.DataFrame
        One result table per batch; concatenated, they equal :func:`score` on the whole file.

    Raises
    ------
    chipclass.core.errors.InputError
        As for :func:`score`, with rows counted from the start of the file.
    """
    from chipclass.core.readers import iter_catalogue

    rules = rules_in_force(as_of, rules_dir)
    for cat in iter_catalogue(path, batch_rows=batch_rows):
        yield score_frame(engine.classify(cat, rules, bit_lengths))


def diff(data, from_date, to_date, *, rules_dir: str | None = None, bit_lengths: dict[str, int] | None = None):
    """Devices whose paragraph, clause or status differs between the rules of two dates.

    Parameters
    ----------
    data : path, DataFrame, pyarrow.Table or Catalogue
        The catalogue.
    from_date, to_date : date or 'YYYY-MM-DD'
        The earlier and the later date.
    rules_dir, bit_lengths
        As for :func:`score`.

    Returns
    -------
    pandas.DataFrame
        ``name``, ``from_eccn from_clause from_status``, ``to_eccn to_clause to_status``,
        ``change`` ('— -> 3A090.a.1'), the metrics, and both rule-set ids.

    Raises
    ------
    chipclass.core.errors.InputError, chipclass.core.errors.AsOfError
        As for :func:`score`.
    """
    import numpy as np
    import pandas as pd

    cat = load(data)
    old = engine.classify(cat, rules_in_force(from_date, rules_dir), bit_lengths)
    new = engine.classify(cat, rules_in_force(to_date, rules_dir), bit_lengths)
    rows = np.flatnonzero((old.label() != new.label()) | (old.eccn_text() != new.eccn_text()))
    before, after = score_frame(old), score_frame(new)
    out = pd.DataFrame({"name": after["name"].iloc[rows].to_numpy()})
    for side, frame in (("from", before), ("to", after)):
        for k in ("eccn", "clause", "status"):
            out[f"{side}_{k}"] = frame[k].iloc[rows].to_numpy()
    out["change"] = [f"{a} -> {b}" for a, b in zip(old.label()[rows], new.label()[rows])]
    for k in ("tpp", "performance_density", "memory_bandwidth_density"):
        out[k] = after[k].iloc[rows].to_numpy()
    out["interconnect_bandwidth"] = cat.values["interconnect_bandwidth"][rows]
    out["from_rule_set"] = old.rules.id
    out["to_rule_set"] = new.rules.id
    return out


def tpp(bit_lengths: dict[str, int] | None = None, **throughputs) -> float:
    """TPP of one device from its per-format throughputs.

    Parameters
    ----------
    bit_lengths : dict, optional
        Bit lengths that differ from the defaults, e.g. ``{'tf32': 19}``.
    **throughputs : Quantity, str or number
        Format names (``fp8``) or ``<format>_sparse`` (counted at half): pint Quantities
        (``296 * ureg.TFLOPS``), strings with units (``'296 TFLOPS'``) or numbers in TOPS.

    Returns
    -------
    float
        The highest per-format TPP (dense TOPS or TFLOPS x bit length). [dimensionless]

    Raises
    ------
    chipclass.core.errors.InputError
        A value that is not a throughput.

    Examples
    --------
    >>> from chipclass import ureg
    >>> tpp(fp4_sparse=2375 * ureg.TOPS)   # RTX 5090 D "AI TOPS": sparse FP4
    4750.0
    """
    from chipclass.classification.engine import compute_metrics

    return float(compute_metrics(spec_catalogue(**throughputs), bit_lengths)["tpp"][0])


def classify_spec(as_of=None, name: str = "spec", *, rules_dir: str | None = None,
                  bit_lengths: dict[str, int] | None = None, **specs) -> dict:
    """Classify one device given as keyword specs.

    Parameters
    ----------
    as_of : date or 'YYYY-MM-DD', optional
        The date whose rules apply (default: today).
    name : str, optional
        The device's name in the result.
    rules_dir, bit_lengths
        As for :func:`score`.
    **specs : Quantity, str, number or bool
        Catalogue columns: ``fp8=296 * ureg.TFLOPS``, ``die_area='8.14 cm**2'``,
        ``datacenter=False``; numbers are in the column's default unit.

    Returns
    -------
    dict
        The result row. When any spec is a pint Quantity, ``tpp``, ``performance_density``
        and ``memory_bandwidth_density`` come back as Quantities in their canonical units.

    Raises
    ------
    chipclass.core.errors.InputError
        A spec that cannot be read.
    """
    import math


    from chipclass.core.units import ureg

    frame = score_frame(engine.classify(spec_catalogue(name, **specs), rules_in_force(as_of, rules_dir), bit_lengths))
    row = {k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in frame.iloc[0].to_dict().items()}
    if any(isinstance(v, ureg.Quantity) for v in specs.values()):
        for key, unit in RESULT_UNITS.items():
            if row.get(key) is not None:
                row[key] = ureg.Quantity(row[key], unit)
    return row


def explain(data=None, name: str | None = None, as_of=None, rules_dir: str | None = None,
            bit_lengths: dict[str, int] | None = None, **specs):
    """Step-by-step explanation of one device.

    Parameters
    ----------
    data : path, DataFrame, pyarrow.Table or Catalogue, optional
        A catalogue; with ``name``, the device to explain (else its first row).
    name : str, optional
        The device's name (exact).
    as_of, rules_dir, bit_lengths
        As for :func:`score`.
    **specs
        Without ``data``: the device as keyword specs, as for :func:`classify_spec`.

    Returns
    -------
    chipclass.explanation.Explanation
        ``.to_text()``, ``.to_dict()``, and an HTML view in Jupyter.

    Raises
    ------
    chipclass.core.errors.InputError
        No device of that name (close names suggested), or a spec that cannot be read.
    """
    from chipclass.explanation import explain_row

    if data is None:
        cat, index = spec_catalogue(name or "spec", **specs), 0
    else:
        cat = load(data)
        if not len(cat):
            from chipclass.core.errors import InputError

            raise InputError("the catalogue has no rows to explain", source=cat.source)
        index = cat.index_of(name) if name is not None else 0
    return explain_row(cat, index, rules_in_force(as_of, rules_dir), bit_lengths)




def envelope(data=None, name: str | None = None, *, free, target: str, as_of=None, bounds: dict | None = None,
             maximise: str | None = None, rules_dir: str | None = None,
             bit_lengths: dict[str, int] | None = None, **specs):
    """The region around a base design, over the ``free`` specs, that keeps ``target``.

    Parameters
    ----------
    data, name
        A catalogue and the base device's name (else its first row); or, without ``data``,
        the base design as keyword ``specs`` (as for :func:`classify_spec`).
    free : list of str
        1 to 4 specs that may move: format throughputs (``fp8``), ``die_area``,
        ``memory_bandwidth``, ``package_area``, ``interconnect_bandwidth``.
    target : str
        A class (``'not controlled'``, ``'3A090.b'``, ``'3A090.a.1'``, ``'controlled'``) or a
        licence answer: ``'no-licence:CN'``, ``'licence:CN'``, ``'case-by-case:CN'``.
    as_of, rules_dir, bit_lengths
        As for :func:`score`.
    bounds : dict, optional
        Spec -> (low, high) in the spec's default unit, or ``'LOW:HIGH unit'`` text; the box the
        envelope is solved in (default 0 to 4x the base, areas a quarter to 4x).
    maximise : str, optional
        The free spec whose largest value inside the envelope is reported (default the first).

    Returns
    -------
    chipclass.design.envelope.Envelope
        ``.vertices``, ``.faces``, ``.table``, ``.nearest``, ``.largest``, ``.to_dict()``.
    """
    from chipclass.design.envelope import envelope as solve, parse_bounds

    if data is None:
        cat = spec_catalogue(name or "spec", **specs)
    else:
        cat = load(data)
        cat = cat.take([cat.index_of(name) if name is not None else 0])
    parsed = {}
    for k, v in (bounds or {}).items():
        if isinstance(v, str):
            k, v = parse_bounds(f"{k}={v}")
        parsed[k.lower()] = (float(v[0]), float(v[1]))
    return solve(cat, free, target, rules_in_force(as_of, rules_dir), bounds=parsed, maximise=maximise,
                 bit_lengths=bit_lengths, rules_dir=rules_dir)


def licences(data, destinations, headquarters: str | None = None, as_of=None, *, view: str = "enforced",
             rules_dir: str | None = None, bit_lengths: dict[str, int] | None = None):
    """Whether each device of ``data`` needs a licence to each destination, as codes.

    Returns
    -------
    chipclass.licensing.result.LicenceResult
        Per device x destination: licence required (1/0/-1), the reason code, the deciding
        licence records, exceptions, review policy and the inputs missing, each a record id of
        the rule data; :func:`license_table` makes the table of it.
    """
    from chipclass.licensing.determine import decide

    return decide(data, destinations, headquarters, as_of, view=view, rules_dir=rules_dir, bit_lengths=bit_lengths)


def license_table(data, destinations, headquarters: str | None = None, as_of=None, *, view: str = "enforced",
                  rules_dir: str | None = None, bit_lengths: dict[str, int] | None = None):
    """The licence table (one row per device x destination, as ``chipclass license -f csv``):
    :func:`licences` with its sentences made by :func:`chipclass.outputs.licence.licence_frame`."""
    from chipclass.outputs.licence import licence_frame

    return licence_frame(licences(data, destinations, headquarters, as_of, view=view, rules_dir=rules_dir,
                                  bit_lengths=bit_lengths))


def sweep(base, vary: dict, as_of=None, *, method: str = "grid", samples: int | None = None,
          seed: int = 0, summary_only: bool = False, rules_dir: str | None = None) -> "pd.DataFrame":
    """Score every variant of ``base`` (a one-row catalogue or a dict of specs).

    ``vary`` maps spec names to arrays (canonical units) or range strings ('200:600:5').
    Returns one row per variant (the ``variant`` index and the varied specs as columns), or
    with ``summary_only`` the counts per result.
    """
    import numpy as np

    from chipclass.design.sweep import expand, parse_range
    from chipclass.outputs.table import score_frame

    if isinstance(base, dict):
        base = spec_catalogue(str(base.get("name", "base")), **{k: v for k, v in base.items() if k != "name"})
    else:
        base = load(base)
    ranges = {}
    for k, v in vary.items():
        if isinstance(v, str):
            k, v = parse_range(f"{k}={v}")
        ranges[k] = np.asarray(v, dtype=np.float64)
    variants = expand(base, ranges, method, samples, seed)
    result = engine.classify(variants, rules_in_force(as_of, rules_dir))
    return result.summary() if summary_only else score_frame(result)


def rules_timeline(as_of=None, rules_dir: str | None = None) -> list[dict]:
    """Every instrument in the rule data (and every dated Country Group move and product note):
    id, Federal Register citation, publication, effective, compliance and end or suspension
    dates, status on ``as_of`` (default today: ``in_force``, ``not_enforced`` = written but not
    enforced, ``suspended``, ``superseded``, ``future``, ``ended``), confidence, and what it
    changed (``changes``: kind, id, detail, confidence).

    >>> rows = rules_timeline("2023-11-17")
    >>> [r["status"] for r in rows if r["id"] == "2023-11-acs"]
    ['in_force']
    """
    from chipclass.rules.timeline import timeline

    return [e.to_dict() for e in timeline(as_of, rules_dir)]


def rules_diff(before, after, rules_dir: str | None = None) -> list[dict]:
    """What changed between two dates: entries whose status differs, and composed 3A090 clauses
    that appeared, went or changed their thresholds (``before``/``after`` status codes)."""
    from chipclass.rules.timeline import diff as timeline_diff

    return [{"kind": d.kind, "id": d.id, "citation": d.citation or None, "before": d.before, "after": d.after,
             "changes": [c.__dict__ for c in d.changes]} for d in timeline_diff(before, after, rules_dir)]


def horizon(rules_dir: str | None = None) -> dict:
    """The knowledge horizon: ``reviewed_through`` (the last day whose rules were checked against
    the primary texts), its basis and the later spot checks."""
    from chipclass.rules.horizon import horizon as get

    return get(rules_dir).to_dict()
