"""The command line: a thin click layer over :mod:`chipclass.api`.

Exit codes (:mod:`chipclass.errors`): 0 scored and nothing matched ``--fail-on``; 1 some
row matched ``--fail-on``; 2 bad usage, input or rule data (one line on stderr, no
traceback, no output file written).
"""

from __future__ import annotations

import functools
import json
import os
import sys

import click
import numpy as np
import pandas as pd

from chipclass import api
from chipclass.core.errors import EXIT_ERROR, EXIT_FINDINGS, EXIT_OK, ChipclassError
from chipclass.outputs.write import FORMATS, write_frame
from chipclass.rules.instruments import load_instruments

from chipclass.classification.result import STATUSES, matches


def _fail(message: str) -> None:
    click.echo(f"chipclass: error: {message}", err=True)
    sys.exit(EXIT_ERROR)


def reports_errors(fn):
    """Turn chipclass's own errors into one stderr line and exit 2."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except ChipclassError as exc:
            _fail(str(exc))
        except BrokenPipeError:
            sys.exit(EXIT_OK)

    return wrapper


def format_option(choices=FORMATS, default="table"):
    return click.option("-f", "--format", "fmt", type=click.Choice(choices), default=default,
                        show_default=True, help="Output format.")


def output_option(fn):
    return click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True),
                        default=None, help="Write to this file (atomically) instead of stdout.")(fn)


def as_of_option(fn):
    return click.option("--as-of", "as_of", default=None, metavar="YYYY-MM-DD",
                        help="Apply the rules in force on this date (default: today).")(fn)


def rules_option(fn):
    return click.option("--rules", "rules_dir", type=click.Path(exists=True, file_okay=False),
                        default=None, envvar="CHIPCLASS_RULES",
                        help="Read rule files from this directory instead of the shipped ones "
                             "(env CHIPCLASS_RULES).")(fn)


def to_option(fn):
    return click.option("--to", "destinations", multiple=True, metavar="COUNTRY",
                        help="Destination: ISO 3166 alpha-2/alpha-3 code or English name. Repeatable.")(fn)


def _known_selectors() -> set[str]:
    out = set(STATUSES)
    for inst in load_instruments():
        for c in inst.clauses:
            parts = c.id.split(".")
            out.update(".".join(parts[:k]) for k in range(1, len(parts) + 1))
            out.add(c.eccn)
    return out


def _check_fail_on(ctx, param, values):
    known = _known_selectors()
    extra = {"license"} if ctx.command.name in ("license", "licence", "explain") else set()
    for v in values:
        if v not in known | extra:
            raise click.BadParameter(f"{v!r} is not a status or 3A090 paragraph "
                                     f"(e.g. controlled, indeterminate, 3A090, 3A090.a, 3A090.b.2)")
    return values


def fail_on_option(fn):
    return click.option("--fail-on", multiple=True, callback=_check_fail_on, metavar="SELECTOR",
                        help="Exit 1 if any row has this status (controlled, indeterminate) or "
                             "falls in this paragraph or clause (3A090, 3A090.a, 3A090.b.2). "
                             "Repeatable.")(fn)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="chipclass")
def main():
    """How US export controls (ECCN 3A090) treat a chip, from its specification sheet."""


#: Inputs at least this large are scored in record batches (bounded memory).
STREAM_BYTES = int(os.environ.get("CHIPCLASS_STREAM_BYTES", 256 * 2**20))


def _progress(quiet: bool):
    """A row counter on stderr when it is a terminal (never in pipes or with -q)."""
    if quiet or not sys.stderr.isatty():
        return lambda rows, done=False: None

    def show(rows, done=False):
        click.echo(f"\rscored {rows:,} rows" + ("\n" if done else ""), err=True, nl=False)
    return show


@main.command()
@click.argument("file")
@format_option()
@output_option
@as_of_option
@fail_on_option
@click.option("--tf32-bits", type=click.IntRange(1, 64), default=None,
              help="Bit length counted for TF32 (default 32; 19 is the other reading).")
@click.option("--stream/--no-stream", default=None,
              help="Score in record batches with bounded memory (default: for inputs over "
                   "256 MiB, with -f csv, jsonl or parquet).")
@click.option("--batch-rows", type=click.IntRange(1), default=1 << 20, show_default=True,
              help="Rows per batch when streaming.")
@click.option("--engine", type=click.Choice(["pandas", "dask"]), default="pandas", show_default=True,
              help="dask: FILE may be a glob ('dir/*.parquet'); partitions are scored in parallel "
                   "(pip install 'chipclass[dask]').")
@click.option("-q", "--quiet", is_flag=True, help="No progress display.")
@rules_option
@reports_errors
def score(file, fmt, output, as_of, fail_on, tf32_bits, stream, batch_rows, engine, quiet, rules_dir):
    """Classify every device in FILE (CSV, Parquet by extension, or - for stdin)."""
    bits = {"tf32": tf32_bits} if tf32_bits else None
    if engine == "dask":
        from chipclass.dask import score_files
        hit = score_files(file, fmt, output, as_of=as_of, bit_lengths=bits, fail_on=fail_on,
                          rules_dir=rules_dir)
        sys.exit(EXIT_FINDINGS if hit else EXIT_OK)
    if stream is None:
        stream = (file != "-" and os.path.exists(file) and os.path.getsize(file) >= STREAM_BYTES
                  and fmt in ("csv", "jsonl", "parquet"))
    if stream:
        if fmt not in ("csv", "jsonl", "parquet"):
            raise click.UsageError("--stream writes csv, jsonl or parquet (-f)")
        from chipclass.outputs.write import StreamWriter

        show, rows, hit = _progress(quiet), 0, False
        with StreamWriter(fmt, output) as writer:
            for frame in api.score_stream(file, as_of, batch_rows=batch_rows, bit_lengths=bits,
                                          rules_dir=rules_dir):
                writer.write(frame)
                hit = hit or bool(fail_on and matches(frame, fail_on).any())
                rows += len(frame)
                show(rows)
        show(rows, done=True)
        sys.exit(EXIT_FINDINGS if hit else EXIT_OK)
    cat = api.load(file)
    if not quiet:
        for w in cat.warnings:
            click.echo(f"chipclass: warning: {w}", err=True)
    frame = api.score(cat, as_of=as_of, bit_lengths=bits, rules_dir=rules_dir)
    write_frame(frame, fmt, output)
    if fail_on and matches(frame, fail_on).any():
        sys.exit(EXIT_FINDINGS)


def _parse_specs(specs) -> dict:
    out = {}
    for s in specs:
        if "=" not in s:
            raise click.BadParameter(f"{s!r} is not KEY=VALUE (e.g. 'fp8=296 TFLOPS')",
                                     param_hint="--spec")
        k, v = s.split("=", 1)
        out[k.strip()] = v.strip()
    return out


@main.command()
@click.argument("file", required=False)
@click.argument("name", required=False)
@click.option("--spec", "specs", multiple=True, metavar="KEY=VALUE",
              help="A spec instead of a catalogue row, e.g. --spec 'fp8=296 TFLOPS' "
                   "--spec 'die_area=814 mm**2'. Repeatable.")
@format_option(choices=("text", "json"), default="text")
@as_of_option
@to_option
@click.option("--headquarters", default=None, metavar="COUNTRY",
              help="With --to: where the buyer is headquartered (default: the destination).")
@rules_option
@reports_errors
def explain(file, name, specs, fmt, as_of, destinations, headquarters, rules_dir):
    """Show one device step by step: per-format TPP, metrics, every clause, margins, citations.

    FILE NAME picks a catalogue row (chipclass explain data/chips.csv H20); --spec gives one
    on the command line.
    """
    if specs:
        ex = api.explain(as_of=as_of, name=name or file or "spec", rules_dir=rules_dir,
                         **_parse_specs(specs))
    elif file:
        ex = api.explain(file, name, as_of=as_of, rules_dir=rules_dir)
    else:
        raise click.UsageError("give FILE [NAME] or --spec KEY=VALUE")
    if destinations:
        from chipclass.licensing.determine import determine, to_json_rows

        frame = determine(ex.catalogue, destinations, headquarters, as_of, rules_dir=rules_dir)
        rows = to_json_rows(frame)
        ex.extra["licenses"] = rows
        block = ["Licences (enforced rules; * where the written rules differ)"]
        for r in rows:
            need = {True: "licence required", False: "no licence", None: "indeterminate"}[r["license_required"]]
            block.append(f"  -> {r['destination']} (buyer HQ {r['headquarters']}): {need}"
                         + ("  *" if r.get("written") else ""))
            block.append(f"       basis: {r['basis']}")
            if r["exceptions"]:
                block.append(f"       exceptions: {'; '.join(r['exceptions'])}")
            if r.get("review_policy"):
                block.append(f"       review policy: {r['review_policy']}")
            if r.get("written"):
                w = r["written"]
                block.append(f"       written (not enforced): licence required={w.get('license_required')}; "
                             f"{w.get('basis') or ''}; exceptions: {'; '.join(w.get('exceptions') or []) or 'none'}")
            for note in r["notes"]:
                block.append(f"       note: {note}")
        ex.extra.setdefault("text_blocks", []).append(block)
    click.echo(json.dumps(ex.to_dict(), indent=1, ensure_ascii=False) if fmt == "json" else ex.to_text())


@main.command()
@click.argument("file")
@reports_errors
def check(file):
    """Validate a catalogue: vocabulary, units, unique names, sources, sparse = 2 x dense."""
    from chipclass.core.validate import validate

    cat = api.load(file)
    problems = validate(cat)
    for p in problems:
        click.echo(f"chipclass: error: {p}", err=True)
    if problems:
        sys.exit(EXIT_ERROR)
    click.echo(f"{cat.source}: {len(cat)} devices, all checks passed")


@main.command()
@click.argument("file")
@click.option("--from", "from_date", required=True, metavar="YYYY-MM-DD", help="Earlier date.")
@click.option("--to", "to_date", required=True, metavar="YYYY-MM-DD", help="Later date.")
@format_option()
@output_option
@rules_option
@reports_errors
def diff(file, from_date, to_date, fmt, output, rules_dir):
    """Devices whose 3A090 paragraph, clause or status changed between the rules in force on
    two dates, side by side."""
    frame = api.diff(file, from_date, to_date, rules_dir=rules_dir)
    cols = ["name", "from_clause", "from_status", "to_clause", "to_status", "tpp", "performance_density"]

    def table(f):
        from chipclass.outputs.write import render_table
        head = (f"{len(f)} device(s) changed between {from_date} ({f['from_rule_set'].iloc[0] if len(f) else ''})"
                f" and {to_date} ({f['to_rule_set'].iloc[0] if len(f) else ''})\n")
        return head + render_table(f, cols)

    write_frame(frame, fmt, output, table_text=table)


def _license_output(frame, fmt, output):
    from chipclass.licensing.determine import matrix_text, to_json_rows

    if fmt in ("json", "jsonl"):
        rows = to_json_rows(frame)
        text = (json.dumps(rows, indent=1, ensure_ascii=False) if fmt == "json"
                else "\n".join(json.dumps(r, ensure_ascii=False) for r in rows))
        if output in (None, "-"):
            click.echo(text)
        else:
            from chipclass.outputs.write import atomic_path
            with atomic_path(output) as tmp, open(tmp, "w", encoding="utf-8") as fh:
                fh.write(text + "\n")
    else:
        write_frame(frame, fmt, output, table_text=matrix_text)


@main.command(name="license")
@click.argument("file")
@to_option
@click.option("--headquarters", default=None, metavar="COUNTRY",
              help="Where the buyer (or its ultimate parent) is headquartered; default: the destination.")
@click.option("--view", type=click.Choice(["enforced", "written"]), default="enforced", show_default=True,
              help="Which rules give the main answer; the other is shown where it differs.")
@format_option()
@output_option
@as_of_option
@fail_on_option
@rules_option
@reports_errors
def license_cmd(file, destinations, headquarters, view, fmt, output, as_of, fail_on, rules_dir):
    """Whether each device in FILE needs a US export licence to each --to destination.

    One row per device x destination (a matrix in the table format). `licence` is an alias.
    """
    from chipclass.licensing.determine import determine

    if not destinations:
        raise click.UsageError("give at least one --to COUNTRY")
    frame = determine(file, destinations, headquarters, as_of, view=view, rules_dir=rules_dir)
    _license_output(frame, fmt, output)
    if fail_on:
        hit = matches(frame, [f for f in fail_on if f != "license"])
        if "license" in fail_on:
            hit |= frame["license_required"].fillna(False).to_numpy(dtype=bool)
        if hit.any():
            sys.exit(EXIT_FINDINGS)


main.add_command(license_cmd, name="licence")

#: The shipped catalogue, for commands that look devices up by name.
DEFAULT_CATALOGUE = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "data", "chips.csv")


def catalogue_option(fn):
    return click.option("--catalogue", default=DEFAULT_CATALOGUE if os.path.exists(DEFAULT_CATALOGUE) else None,
                        metavar="FILE", help="Catalogue to look device names up in (default: the shipped "
                        "data/chips.csv).")(fn)


def _stamp_lines(d: dict) -> list[str]:
    return [f"rule set {d['rule_set']}: {d['citation']}", f"as of {d['as_of']}: {d['enforcement']}"]


@main.command()
@click.argument("countries", nargs=-1, required=True)
@format_option(choices=("table", "json", "csv", "jsonl"))
@as_of_option
@rules_option
@reports_errors
def tier(countries, fmt, as_of, rules_dir):
    """AI Diffusion tier (1, 2, 3) of each country, with the instrument and its enforcement."""
    from chipclass.licensing.diffusion import tiers

    frame = tiers(countries, as_of, rules_dir)
    if fmt == "table":
        from chipclass.outputs.write import render_table
        click.echo(render_table(frame, ["country", "tier", "enforced"]) + "\n".join(
            _stamp_lines(frame.iloc[0].to_dict())))
    else:
        write_frame(frame, fmt, None)


@main.command()
@click.option("--operations", type=float, default=None, help="Training operations, if known.")
@click.option("--params", type=float, default=None, help="Parameters (with --tokens: 6 N D).")
@click.option("--tokens", type=float, default=None, help="Training tokens.")
@click.option("--device", default=None, help="Catalogue device name (with --count, --utilisation, --days).")
@click.option("--count", type=float, default=None)
@click.option("--utilisation", "--utilization", "utilisation", type=float, default=None)
@click.option("--days", type=float, default=None)
@click.option("--precision", "train_format", default=None,
              help="Training number format for --device (default: bf16, else fp16, tf32, fp8).")
@click.option("--published-weights", is_flag=True, help="The weights are published (not controlled).")
@catalogue_option
@format_option(choices=("text", "json"), default="text")
@as_of_option
@fail_on_option
@rules_option
@reports_errors
def model(operations, params, tokens, device, count, utilisation, days, train_format, published_weights,
          catalogue, fmt, as_of, fail_on, rules_dir):
    """Would a model's closed weights be ECCN 4E091 (trained with 10^26 or more operations)?"""
    from chipclass.licensing.diffusion import model as model_fn

    dev = None
    if device is not None:
        dev = _training_device(device, catalogue, train_format)
    result = model_fn(operations=operations, params=params, tokens=tokens, device=dev, count=count,
                      utilisation=utilisation, days=days, published_weights=published_weights,
                      as_of=as_of, rules_dir=rules_dir)
    if fmt == "json":
        click.echo(json.dumps(result, indent=1))
    else:
        click.echo(f"operations  {result['operations']:.3e}  ({result['method']})")
        click.echo(f"threshold   {result['threshold']:.0e} or more  [{result['threshold_citation']}]")
        click.echo(f"eccn        {result['eccn'] or 'not 4E091'}: {result['reason']}")
        for line in _stamp_lines(result):
            click.echo(line)
        for e in result["exemptions"]:
            click.echo(f"exemption: {e}")
    if fail_on and result["eccn"] and any(f in ("controlled", "4E091") for f in fail_on):
        sys.exit(EXIT_FINDINGS)


def _training_device(name: str, catalogue: str | None, fmt: str | None) -> dict:
    from chipclass.core.errors import InputError
    from chipclass.core.metrics import dense_throughput

    if catalogue is None:
        raise InputError("no catalogue to look the device up in: give --catalogue FILE")
    cat = api.load(catalogue)
    names = [str(n) for n in cat.names]
    exact = [i for i, n in enumerate(names) if n.lower() == name.lower()]
    near = exact or [i for i, n in enumerate(names) if n.lower().startswith(name.lower())]
    if not near:
        raise InputError(f"no device named {name!r} in the catalogue", source=cat.source, column="name")
    i = near[0]
    formats = [fmt] if fmt else ["bf16", "fp16", "tf32", "fp8"]
    for f in formats:
        t = float(dense_throughput(cat.values[f][i:i + 1], cat.values[f"{f}_sparse"][i:i + 1])[0])
        if t == t:
            label = names[i] + (f" (matched {name!r}; also: {', '.join(names[j] for j in near[1:])})"
                                if len(near) > 1 and not exact else "")
            return {"name": label, "tops": t, "format": f}
    raise InputError(f"{names[i]} has no dense {'/'.join(formats)} figure", source=cat.source, column="name")


def _base_catalogue(base, catalogue, specs):
    """A one-row catalogue: a catalogue row by name, with --spec overrides, or specs alone."""
    if base is None:
        if not specs:
            raise click.UsageError("give BASE (a catalogue device) or --spec KEY=VALUE")
        return api.spec_catalogue("spec", **_parse_specs(specs))
    if catalogue is None:
        raise click.UsageError("no catalogue to look BASE up in: give --catalogue FILE")
    cat = api.load(catalogue)
    one = cat.take([cat.index_of(base)])
    if specs:  # overrides: rebuild the row from its values and the given specs
        from chipclass.core.catalogue import NUMERIC
        row = {k: one.values[k][0] for k in NUMERIC if not np.isnan(one.values[k][0])}
        row["datacenter"] = bool(one.datacenter[0])
        row.update(_parse_specs(specs))
        return api.spec_catalogue(base, **row)
    return one


@main.command()
@click.argument("base", required=False)
@click.option("--spec", "specs", multiple=True, metavar="KEY=VALUE", help="Base spec (or override). Repeatable.")
@click.option("--vary", multiple=True, required=True, metavar="SPEC=RANGE",
              help="fp8=200:600:5 (5 values, inclusive), fp8=200,300 (list), fp8=@file; a unit may follow.")
@click.option("--method", type=click.Choice(["grid", "random", "lhs"]), default="grid", show_default=True)
@click.option("--samples", type=click.IntRange(1), default=None, help="Variants to draw (random, lhs).")
@click.option("--seed", type=int, default=0, show_default=True)
@catalogue_option
@format_option(choices=("table", "csv", "json", "jsonl", "parquet"), default="table")
@output_option
@as_of_option
@to_option
@rules_option
@reports_errors
def sweep(base, specs, vary, method, samples, seed, catalogue, fmt, output, as_of, destinations, rules_dir):
    """Score every variant of BASE over the --vary ranges; a summary per paragraph/status."""
    from chipclass.design.sweep import expand, parse_range, summarise
    from chipclass.classification.engine import classify
    from chipclass.rules.instruments import rules_in_force

    one = _base_catalogue(base, catalogue, specs)
    ranges = dict(parse_range(v) for v in vary)
    if method != "grid" and not samples:
        raise click.UsageError(f"--method {method} needs --samples N")
    if method == "grid" and samples:
        method = "random"
    variants = expand(one, ranges, method, samples, seed)
    frame = classify(variants, rules_in_force(as_of, rules_dir)).to_frame()
    if destinations:
        from chipclass.licensing.determine import determine
        lic = determine(variants, destinations, None, as_of, rules_dir=rules_dir)
        for d in dict.fromkeys(lic["destination"]):
            frame[f"license_{d}"] = lic.loc[lic["destination"] == d, "license_required"].to_numpy()
    summary = summarise(frame)
    if fmt == "table":
        from chipclass.outputs.write import render_table
        keys = list(ranges)
        cols = ["variant", *keys, "tpp", "performance_density", "clause", "status"] + \
               [c for c in frame.columns if c.startswith("license_")]
        text = (f"{len(frame):,} variants of {str(one.names.iloc[0])} ({method}), as of "
                f"{rules_in_force(as_of, rules_dir).as_of} ({frame['rule_set'].iloc[0]})\n\n"
                + render_table(summary, ["result", "count", "share"]))
        if len(frame) <= 200:
            text += "\n" + render_table(frame, cols)
        if output in (None, "-"):
            click.echo(text)
        else:
            write_frame(frame, "csv", output)
            click.echo(text)
        return
    write_frame(frame, fmt, output)
    click.echo(render_summary(summary), err=True)


def render_summary(summary):
    return "; ".join(f"{r.result}: {r.count:,}" for r in summary.itertuples())


@main.command()
@click.argument("file")
@click.option("--spec-only", "specs_filter", multiple=True, metavar="SPEC", help="Only these specs.")
@format_option(choices=("table", "csv", "json", "jsonl"), default="table")
@output_option
@as_of_option
@rules_option
@reports_errors
def headroom(file, specs_filter, fmt, output, as_of, rules_dir):
    """For every device, how far each spec can move (up/down) before the class changes."""
    from chipclass.design.headroom import describe, headroom as headroom_fn
    from chipclass.rules.instruments import rules_in_force

    frame = headroom_fn(api.load(file), rules_in_force(as_of, rules_dir), specs_filter or None)
    if fmt == "table":
        def text(f):
            lines = []
            for name, grp in f.groupby("name", sort=False):
                lines.append(f"{name} ({grp['current_class'].iloc[0]})")
                moved = [describe(r) for r in grp.to_dict("records")
                         if r["limit"] is not None and r["limit"] == r["limit"]]
                lines += ["  " + m for m in moved] or ["  no single spec change alters the class"]
            return "\n".join(lines) + "\n"
        write_frame(frame, "table", output, table_text=text)
    else:
        write_frame(frame, fmt, output)


@main.command()
@click.argument("file")
@as_of_option
@click.option("--compare", "compare", default=None, metavar="YYYY-MM-DD",
              help="Also draw the regions in force on this date, beside the first (how they moved).")
@click.option("--sweep", "sweep_file", default=None, metavar="FILE",
              help="A sweep result (csv/parquet from chipclass sweep) drawn as a density layer.")
@click.option("-o", "--output", default="map.png", show_default=True, help="PNG or SVG file.")
@rules_option
@reports_errors
def plot(file, as_of, compare, sweep_file, output, rules_dir):
    """Draw TPP against performance density with the 3A090 regions and every device."""
    from chipclass.design.plot import plot_map

    plot_map(file, output, as_of=as_of, compare=compare, sweep=sweep_file, rules_dir=rules_dir)
    click.echo(f"wrote {output}")


@main.command()
@click.argument("file")
@catalogue_option
@click.option("--g2g", multiple=True, metavar="COUNTRY",
              help="Tier-2 country with a government-to-government arrangement (doubled allocation).")
@format_option(choices=("table", "json"))
@as_of_option
@click.option("--fail-on", "fail_on", type=click.Choice(["breach"]), multiple=True,
              help="Exit 1 if any limit check fails.")
@rules_option
@reports_errors
def fleet(file, catalogue, g2g, fmt, as_of, fail_on, rules_dir):
    """Account a deployment file under the AI Diffusion framework: TPP, H100-equivalents, the
    Tier-2 allocations, LPP, UVEU placement shares and NVEU caps, each against its limit."""
    from chipclass.licensing.diffusion import fleet as fleet_fn
    from chipclass.outputs.write import render_table, to_records

    res = fleet_fn(file, catalogue, as_of, rules_dir, g2g)
    if fmt == "json":
        out = {k: (to_records(v) if isinstance(v, pd.DataFrame) else v) for k, v in res.items()}
        click.echo(json.dumps(out, indent=1))
    else:
        t = res["total"]
        click.echo(f"fleet: {t['devices']:,.0f} devices, TPP {t['tpp']:,.0f} = {t['h100_equivalents']:,.1f} "
                   f"H100-equivalents (1 H100-equivalent = TPP {res['h100_equivalent_tpp']:,.0f})")
        for line in _stamp_lines(res):
            click.echo(line)
        click.echo("\nby country")
        click.echo(render_table(res["by_country"], ["country", "tier", "devices", "tpp", "h100_equivalents"]))
        click.echo("by owner")
        click.echo(render_table(res["by_owner"], ["owner", "devices", "tpp", "h100_equivalents"]))
        checks = res["checks"].copy()
        checks["result"] = np.where(checks["passed"], "pass", "FAIL")
        click.echo("limit checks")
        click.echo(render_table(checks, ["check", "scope", "value", "limit", "unit", "margin", "result"]))
        for c in dict.fromkeys(res["checks"]["citation"]):
            click.echo(f"  [{c}]")
    if fail_on and not res["checks"]["passed"].all():
        sys.exit(EXIT_FINDINGS)


if __name__ == "__main__":  # pragma: no cover
    main()
