"""Commands on a catalogue: ``score``, ``check``, ``diff`` and ``explain``."""

from __future__ import annotations

import os

import click

from chipclass.cli.base import Matches, findings, main
from chipclass.cli.options import (as_of_option, bit_lengths, catalogue_option, date_type, env_int, spec_option,
                                   fail_on_option, format_option, headquarters_option, output_option,
                                   quiet_option, rules_option, shipped_catalogue, tf32_option, to_option)
from chipclass.core.errors import UsageError
from chipclass.outputs.formats import Format


def _warn(cat, quiet):
    if not quiet and cat.warnings:
        from chipclass.outputs.tables import safe

        for w in cat.warnings:
            click.echo(f"chipclass: warning: {safe(w)}", err=True)


def match_counts(frame, selectors) -> "Matches":
    """The devices of a score table matching each ``--fail-on`` selector.

    Parameters
    ----------
    frame : pandas.DataFrame
        A result table (``name``, ``status``, ``clause``, ``eccn`` columns).
    selectors : iterable of str
        Statuses or paragraphs (``controlled``, ``3A090.a``).

    Returns
    -------
    Matches
        selector -> the matching devices (names and count).
    """
    from chipclass.classification.result import matches

    found = Matches(selectors)
    for s in selectors:
        found.add(s, matches(frame, [s]), frame["name"])
    return found


STREAMABLE = (Format.CSV, Format.JSONL, Format.PARQUET)
#: Formats that carry the audit fields (chipclass.outputs.audit).
AUDITED = (Format.JSON, Format.JSONL, Format.PARQUET, Format.SARIF, Format.JUNIT)


def audit_for(fmt, file, rules) -> dict | None:
    """The audit fields for a machine format (None for csv and table: no hashing cost)."""
    if fmt not in AUDITED:
        return None
    from chipclass.outputs.audit import audit_meta

    return audit_meta(file, [rules.id], rules.as_of)


def write_findings(frame, fmt, output, meta, rules, fail_on, hit) -> None:
    """Write a score table (Arrow or pandas) as SARIF or JUnit; ``hit``: rows matching --fail-on."""
    from chipclass.outputs.write import write_text

    if fmt is Format.SARIF:
        from chipclass.outputs.sarif import score_sarif

        write_text(score_sarif(frame, rules, meta, hit), output)
    else:
        from chipclass.outputs.junit import junit_xml, score_cases

        write_text(junit_xml("chipclass score", score_cases(frame, meta, hit, fail_on), meta), output)


@main.command()
@click.argument("file", required=False)
@format_option(Format.TABLE, Format.CSV, Format.JSON, Format.JSONL, Format.PARQUET, Format.SARIF, Format.JUNIT)
@output_option
@as_of_option
@fail_on_option()
@tf32_option
@click.option("--stream/--no-stream", default=None,
              help="Score in record batches with bounded memory (default: for inputs over 256 MiB, "
                   "with csv, jsonl or parquet output).")
@click.option("--batch-rows", type=click.IntRange(1), default=1 << 20, show_default=True,
              help="Rows per batch when streaming.")
@click.option("--engine", type=click.Choice(["pandas", "dask"]), default="pandas", show_default=True,
              help="dask: FILE may be a glob ('dir/*.parquet'); files are scored in parallel in blocks "
                   "of 32 MiB (CSV byte ranges, Parquet row groups; pip install 'chipclass[dask]').")
@click.option("--scheduler", default=None, metavar="ADDRESS",
              help="With --engine dask: a dask.distributed scheduler (tcp://host:8786) to run on; "
                   "the files must be readable from every worker.")
@quiet_option
@rules_option
def score(file, fmt, output, as_of, fail_on, tf32_bits, stream, batch_rows, engine, scheduler, quiet, rules_dir):
    """Classify every device in FILE (CSV, Parquet by suffix, - for stdin; default: the shipped
    catalogue)."""
    from chipclass import api
    from chipclass.outputs.formats import choose
    from chipclass.outputs.write import write_frame

    file = file or shipped_catalogue()
    bits = bit_lengths(tf32_bits)
    fmt = choose(fmt, output, [Format.TABLE, *STREAMABLE, Format.JSON, Format.SARIF, Format.JUNIT])
    if scheduler is not None and engine != "dask":
        raise UsageError("--scheduler applies to --engine dask only")
    if engine == "dask":
        findings(_score_dask(file, fmt, output, as_of, bits, fail_on, rules_dir, scheduler), fail_on)
        return
    if stream is None:
        limit = env_int("CHIPCLASS_STREAM_BYTES", 256 * 2**20)
        stream = file != "-" and os.path.isfile(file) and os.path.getsize(file) >= limit and fmt in STREAMABLE
    from chipclass.rules.instruments import rules_in_force

    rules = rules_in_force(as_of, rules_dir)
    meta = audit_for(fmt, file, rules)
    if stream:
        if fmt not in STREAMABLE:
            raise UsageError("--stream writes csv, jsonl or parquet (-f)")
        findings(_score_stream(file, fmt, output, meta, as_of, batch_rows, bits, rules_dir, fail_on, quiet), fail_on)
        return
    if fmt is not Format.TABLE:
        from chipclass.core.lazy import defer_pandas

        defer_pandas()
    cat = api.load(file)
    _warn(cat, quiet)
    if fmt is Format.TABLE:
        frame = api.score(cat, as_of=as_of, bit_lengths=bits, rules_dir=rules_dir)
        write_frame(frame, fmt, output, meta=meta)
        findings(match_counts(frame, fail_on), fail_on)
        return
    # files and machine formats: codes -> Arrow -> writer, no pandas (start-up and memory)
    from chipclass.classification.engine import classify
    from chipclass.outputs.table import score_arrow

    result = classify(cat, rules, bits)
    table = score_arrow(result)
    if fmt in (Format.SARIF, Format.JUNIT):
        write_findings(table, fmt, output, meta, rules, fail_on, result.hits(fail_on))
    else:
        from chipclass.outputs.write import write_table

        write_table(table, fmt, output, meta)
    found = Matches(fail_on)
    _add_hits(found, result, cat, fail_on)
    findings(found, fail_on)


def _score_dask(file, fmt, output, as_of, bits, fail_on, rules_dir, scheduler) -> Matches:
    """``score --engine dask``: the files (a large one in blocks) as Dask tasks."""
    if fmt in (Format.SARIF, Format.JUNIT):
        raise UsageError("--engine dask writes table, csv, json, jsonl or parquet, not sarif or junit")
    from chipclass.dask import score_files
    from chipclass.rules.instruments import rules_in_force

    return score_files(file, fmt, output, as_of=as_of, bit_lengths=bits, fail_on=fail_on, rules_dir=rules_dir,
                       meta=audit_for(fmt, file, rules_in_force(as_of, rules_dir)),
                       scheduler=scheduler, block_bytes=env_int("CHIPCLASS_BLOCK_BYTES", 32 << 20))


def _add_hits(found: Matches, result, cat, fail_on) -> None:
    """Add the rows of a Classification of ``cat`` matching each ``--fail-on`` selector."""
    for s in fail_on:
        found.add(s, result.hits([s]), cat.names_arrow)


def _score_stream(file, fmt, output, meta, as_of, batch_rows, bits, rules_dir, fail_on, quiet) -> Matches:
    """Score a file batch by batch, each written as it comes; the devices matching ``--fail-on``.
    Each batch goes codes -> Arrow -> writer as in memory (no pandas), so a streamed file and an
    in-memory one are written by the same encoder."""
    from chipclass.classification.engine import classify
    from chipclass.core.lazy import defer_pandas
    from chipclass.core.readers import iter_catalogue, read_ahead
    from chipclass.outputs.progress import progress
    from chipclass.outputs.table import score_arrow
    from chipclass.outputs.write import StreamWriter
    from chipclass.rules.instruments import rules_in_force

    defer_pandas()
    rules = rules_in_force(as_of, rules_dir)
    show, rows, counts = progress(quiet), 0, Matches(fail_on)
    with StreamWriter(fmt, output, meta) as writer:
        for cat in read_ahead(iter_catalogue(file, batch_rows=batch_rows)):
            result = classify(cat, rules, bits)
            writer.write_table(score_arrow(result))
            _add_hits(counts, result, cat, fail_on)
            rows += len(cat)
            show(rows)
    show(rows, done=True)
    return counts


def parse_specs(specs) -> dict:
    """``--spec KEY=VALUE`` arguments as a mapping (values still text: the cell grammar reads them).

    Parameters
    ----------
    specs : iterable of str
        ``'fp8=296 TFLOPS'``, ``'die_area=814'`` ...

    Returns
    -------
    dict
        key -> value text, both stripped.

    Raises
    ------
    click.BadParameter
        An argument without ``=`` (exit 2).
    """
    out = {}
    for s in specs:
        if "=" not in s:
            raise click.BadParameter(f"{s!r} is not KEY=VALUE (e.g. 'fp8=296 TFLOPS')", param_hint="--spec")
        k, v = s.split("=", 1)
        out[k.strip()] = v.strip()
    return out


def _write_explanation(ex, fmt, output, rules_dir) -> None:
    """JSON with the knowledge horizon, or the text report with the horizon footer."""
    from chipclass.outputs.write import horizon_line, write_json, write_text
    from chipclass.rules.horizon import horizon

    if fmt is Format.JSON:
        write_json({**ex.to_dict(), "horizon": horizon(rules_dir).reviewed_through.isoformat()}, output)
    else:
        write_text(f"{ex.to_text().rstrip()}\n\n{horizon_line(rules_dir)}\n", output)


@main.command()
@click.argument("file", required=False)
@click.argument("name", required=False)
@spec_option
@click.option("--foundry", is_flag=True,
              help="Also answer: would a front-end fabricator or OSAT have to presume the IC controlled "
                   "(the foundry due-diligence presumption), for each designer status, and what overcomes it.")
@click.option("--view", "views", multiple=True, type=click.Choice(["foundry"]), hidden=True,
              help="Deprecated spelling of --foundry (--view foundry).")
@click.option("--designer", type=click.Choice(["approved", "authorized", "applicant", "none"]), default=None,
              help="With --foundry: only this designer status (default: all).")
@click.option("--applied-on", type=date_type, default=None,
              help="With --foundry: date the designer applied to become approved (applicant status).")
@format_option(Format.TABLE, Format.JSON)
@output_option
@as_of_option
@to_option
@headquarters_option
@fail_on_option("license")
@tf32_option
@catalogue_option
@quiet_option
@rules_option
def explain(file, name, specs, foundry, views, designer, applied_on, fmt, output, as_of, destinations, headquarters,
            fail_on, tf32_bits, catalogue, quiet, rules_dir):
    """Show one device step by step: per-format TPP, metrics, every clause, margins, headroom,
    citations (and licences with --to).

    FILE NAME picks a catalogue row (chipclass explain data/chips.csv H20); NAME alone looks it up
    in --catalogue (default: the shipped one); --spec gives a device on the command line.
    """
    from chipclass import api
    from chipclass.outputs.formats import choose
    from chipclass.outputs.licence import licence_explain_lines, licence_rows

    fmt = choose(fmt, output, [Format.TABLE, Format.JSON])
    bits = bit_lengths(tf32_bits)
    if specs:
        ex = api.explain(as_of=as_of, name=name or file or "spec", rules_dir=rules_dir, bit_lengths=bits,
                         **parse_specs(specs))
    elif file and name is None and not os.path.exists(file):
        ex = api.explain(catalogue or shipped_catalogue(), file, as_of=as_of, rules_dir=rules_dir, bit_lengths=bits)
    elif file:
        ex = api.explain(file, name, as_of=as_of, rules_dir=rules_dir, bit_lengths=bits)
    else:
        raise click.UsageError("give FILE [NAME], NAME, or --spec KEY=VALUE")
    res = None
    _show_columns(ex)
    if destinations:
        from chipclass.licensing.determine import decide

        res = decide(ex.catalogue, destinations, headquarters, as_of, rules_dir=rules_dir, bit_lengths=bits)
        rows = licence_rows(res)
        ex.rely_on({i for r in rows for i in r["rule_sets"]}, rules_dir)  # licence rules too
        ex.extra["licenses"] = rows
        ex.extra.setdefault("text_blocks", []).append(licence_explain_lines(res, rows))
    if views and not quiet:
        click.echo("chipclass: --view foundry is deprecated (it will be removed); use --foundry", err=True)
    if foundry or "foundry" in views:
        from chipclass.licensing.foundry import DESIGNERS, presumption
        from chipclass.outputs.foundry import foundry_frame, foundry_lines

        results = [presumption(ex.catalogue, as_of, designer=d, applied_on=applied_on, rules_dir=rules_dir)
                   for d in ([designer] if designer else DESIGNERS)]
        ex.extra["foundry"] = [foundry_frame(r).iloc[0].to_dict() for r in results]
        ex.extra.setdefault("text_blocks", []).append(foundry_lines(results))
        ex.rely_on({inst.id for _, inst in results[0].figures.values()}, rules_dir)  # the foundry rules too
    _write_explanation(ex, fmt, output, rules_dir)
    hits = {}
    if fail_on:
        from chipclass.classification.logic import STATUSES, falls_under

        status, clause, eccn = ex.result["status"], ex.result["clause"] or "", ex.result["eccn"] or ""
        for s in fail_on:
            if s == "license":
                hits[s] = int(res is not None and bool((res.required == 1).any()))
            else:
                hits[s] = int(s == status if s in STATUSES else falls_under(clause, s) or falls_under(eccn, s))
    found = Matches(fail_on)
    for s, v in hits.items():
        found.add(s, [bool(v)], [ex.name])
    findings(found, fail_on)


def _show_columns(ex) -> None:
    """Add how the catalogue's headers were read to an explanation (when any is not the vocabulary)."""
    columns = getattr(ex.catalogue, "columns", None) or []
    if any(c.how != "vocabulary" for c in columns):
        from chipclass.outputs.columns import column_lines, column_records

        ex.extra["columns"] = column_records(columns)
        ex.extra.setdefault("text_blocks", []).append(["Columns read (spec-sheet headers)", *column_lines(columns)])


@main.command()
@click.argument("file", required=False)
@format_option(Format.TABLE, Format.JSON)
@click.option("--sources", "sources", type=click.Path(dir_okay=False), default=None,
              help="The figure-level sources file (default: sources.csv beside FILE, if there is one).")
@click.option("--weak", is_flag=True, help="List, row by row, the figures resting on one source only and "
              "those whose sources disagree beyond 1 % (the default prints their count).")
@output_option
@quiet_option
def check(file, fmt, sources, weak, output, quiet):
    """Validate a catalogue: vocabulary, units, unique names, sources, sparse = 2 x dense, the
    market/status/launch-year vocabulary, plausible transistor counts and nodes, and TPP within 1 %
    of a published figure. With a sources file (sources.csv beside FILE, or --sources), every
    figure needs a source row and every source row a figure. Every problem is reported (one line
    each on stderr; -f json lists them), not only the first. Spec-sheet headers that are not the
    vocabulary are listed with the column each is read as (docs/spec-sheets.md)."""
    from chipclass.core.validate import check_file, check_provenance
    from chipclass.outputs.columns import column_lines, column_records
    from chipclass.outputs.formats import choose
    from chipclass.outputs.provenance import weak_lines
    from chipclass.outputs.tables import safe
    from chipclass.outputs.write import write_json, write_text

    fmt = choose(fmt, output, [Format.TABLE, Format.JSON])
    file = file or shipped_catalogue()
    cat, problems = check_file(file)
    sources_name, more, report = check_provenance(cat, file, sources)
    problems = problems + more
    source = cat.source if cat is not None else ("<stdin>" if file == "-" else file)
    columns = cat.columns if cat is not None else []
    if fmt is Format.JSON:
        write_json({"file": source, "devices": len(cat) if cat is not None else None, "ok": not problems,
                    "columns": column_records(columns), "sources": sources_name,
                    "weak": [w.to_dict() for w in report], "problems": [p.to_dict() for p in problems]}, output)
    elif not problems:
        read = column_lines(columns)
        lines = [f"{source}: columns read as spec-sheet headers:", *read] if read else []
        lines += [f"{source}: {len(cat)} devices, all checks passed"]
        if sources_name is not None:
            lines += weak_lines(report, sources_name, listing=weak)
        write_text("\n".join(lines), output)
    for p in problems:
        click.echo(f"chipclass: error: {safe(' '.join(str(p).split()))}", err=True)
    if problems:
        raise SystemExit(2)


@main.command()
@click.argument("file", required=False)
@click.option("--before", "from_date", type=date_type, required=True, help="The earlier date.")
@click.option("--after", "to_date", type=date_type, required=True, help="The later date.")
@format_option(Format.TABLE, Format.CSV, Format.JSON, Format.JSONL, Format.PARQUET)
@output_option
@fail_on_option()
@tf32_option
@quiet_option
@rules_option
def diff(file, from_date, to_date, fmt, output, fail_on, tf32_bits, quiet, rules_dir):
    """Devices whose 3A090 paragraph, clause or status changed between the rules in force on
    two dates (--before, --after), side by side; --fail-on looks at the later date."""
    from chipclass import api
    from chipclass.outputs.formats import choose
    from chipclass.outputs.reports import diff_text
    from chipclass.outputs.write import write_frame

    fmt = choose(fmt, output, [Format.TABLE, Format.CSV, Format.JSON, Format.JSONL, Format.PARQUET])
    frame = api.diff(file or shipped_catalogue(), from_date, to_date, rules_dir=rules_dir,
                     bit_lengths=bit_lengths(tf32_bits))
    write_frame(frame, fmt, output, table_text=lambda f: diff_text(f, from_date, to_date))
    if fail_on:
        to = frame.rename(columns={"to_clause": "clause", "to_eccn": "eccn", "to_status": "status"})
        findings(match_counts(to, fail_on), fail_on)
