"""Commands on the design space: ``sweep``, ``headroom``, ``envelope`` and ``plot``."""

from __future__ import annotations

import click

from chipclass.cli.base import main
from chipclass.cli.options import (as_of_option, bit_lengths, catalogue_option, env_int, format_option,
                                   output_option, quiet_option, rules_option, shipped_catalogue, spec_option,
                                   tf32_option, to_option)
from chipclass.outputs.formats import Format

TABULAR = (Format.TABLE, Format.CSV, Format.JSON, Format.JSONL, Format.PARQUET)


def base_catalogue(base, catalogue, specs):
    """A one-row catalogue: a catalogue row by name, with --spec overrides, or specs alone."""
    import numpy as np

    from chipclass import api
    from chipclass.cli.catalogue import parse_specs
    from chipclass.core.catalogue import NUMERIC

    if base is None:
        if not specs:
            raise click.UsageError("give BASE (a catalogue device) or --spec KEY=VALUE")
        return api.spec_catalogue("spec", **parse_specs(specs))
    cat = api.load(catalogue or shipped_catalogue())
    one = cat.take([cat.index_of(base)])
    if specs:  # overrides: rebuild the row from its (system-resolved) values and the given specs
        from chipclass.core.catalogue import DEVICE_TYPES
        from chipclass.core.systems import find_column

        row = {k: one.values[k][0] for k in NUMERIC if not np.isnan(one.values[k][0])}
        row["datacenter"] = bool(one.datacenter[0])
        row["device_type"] = DEVICE_TYPES[int(one.device_type[0])]
        kept = find_column(one.extra.column_names, "base_eccn")
        if kept is not None and one.extra.column(kept)[0].is_valid:
            row["base_eccn"] = str(one.extra.column(kept)[0].as_py())
        row.update(parse_specs(specs))
        return api.spec_catalogue(base, **row)
    return one


@main.command()
@click.argument("base", required=False)
@spec_option
@click.option("--vary", multiple=True, required=True, metavar="SPEC=RANGE",
              help="fp8=200:600:5 (5 values, inclusive), fp8=200:600 (the span, with --samples), fp8=200,300 "
                   "(list), fp8=@file (values, units allowed); a unit may follow.")
@click.option("--method", type=click.Choice(["grid", "random", "lhs"]), default="grid", show_default=True,
              help="grid: every combination of the --vary values; random (grid given --samples): --samples "
                   "variants drawn uniformly between each --vary's lowest and highest value; lhs: a Latin "
                   "hypercube of --samples variants (each span cut into that many strata, one draw in each).")
@click.option("--samples", type=click.IntRange(1), default=None, help="Variants to draw (random, lhs).")
@click.option("--seed", type=int, default=0, show_default=True,
              help="Seed of the random generator for random and lhs: the same seed draws the same variants.")
@click.option("--max-variants", type=click.IntRange(1), default=None, show_default="50,000,000",
              help="Refuse a larger sweep (its size is computed first).")
@catalogue_option
@format_option(*TABULAR)
@output_option
@as_of_option
@to_option
@tf32_option
@quiet_option
@rules_option
def sweep(base, specs, vary, method, samples, seed, max_variants, catalogue, fmt, output, as_of, destinations,
          tf32_bits, quiet, rules_dir):
    """Score every variant of BASE over the --vary ranges; a summary per paragraph/status."""
    from chipclass.core.errors import InputError
    from chipclass.design.ranges import planned_count

    limit = max_variants or 50_000_000  # MAX_VARIANTS, without importing the sweep engine yet
    planned = 1
    for v in vary:  # the size first, from the text alone: nothing is allocated for a refused sweep
        planned *= planned_count(v, limit)
    if (samples or planned) > limit:
        raise InputError(f"this sweep has {samples or planned:,} variants, more than --max-variants "
                         f"{limit:,}; narrow the ranges or raise --max-variants")
    from chipclass.design.sweep import MAX_VARIANTS, expand, parse_vary
    from chipclass.outputs.sweep import run, run_to_parquet
    from chipclass.outputs.formats import choose
    from chipclass.outputs.progress import progress
    from chipclass.outputs.reports import sweep_summary_line, sweep_text
    from chipclass.outputs.write import atomic_path, write_frame
    from chipclass.rules.instruments import rules_in_force

    fmt = choose(fmt, output, TABULAR)
    _no_pandas_for_files(fmt, output)
    bits = bit_lengths(tf32_bits)
    assert limit == (max_variants or MAX_VARIANTS), "MAX_VARIANTS moved"
    one = base_catalogue(base, catalogue, specs)
    parsed = [parse_vary(v, limit) for v in vary]
    ranges = {k: v for k, v, _span in parsed}
    if method != "grid" and not samples:
        raise click.UsageError(f"--method {method} needs --samples N")
    if method == "grid" and samples:
        method = "random"
    spans = [k for k, _v, span in parsed if span]
    if method == "grid" and spans:
        raise click.UsageError(f"--vary {spans[0]}=LOW:HIGH is a span: give a count for a grid (LOW:HIGH:N) "
                               "or --samples N to draw from it")
    variants = expand(one, ranges, method, samples, seed, max_variants or MAX_VARIANTS)
    rules = rules_in_force(as_of, rules_dir)
    show = progress(quiet, unit="variants", total=len(variants))
    name = one.name_at(0)
    if fmt is Format.PARQUET and output not in (None, "-"):
        with atomic_path(output) as tmp:  # written slice by slice while the next is scored
            summary = run_to_parquet(tmp, variants, rules, bit_lengths=bits, destinations=destinations,
                                     rules_dir=rules_dir, show=show)
        show(len(variants), done=True)
    else:
        table, summary = run(variants, rules, bits, destinations, rules_dir=rules_dir, show=show)
        show(len(variants), done=True)
    if fmt is Format.PARQUET and output not in (None, "-"):
        pass  # written above
    elif fmt is Format.TABLE:
        frame = table.to_pandas()
        write_frame(frame, fmt, output, table_text=lambda f: sweep_text(
            f, summary.to_pandas(), list(ranges), name, method, rules.as_of, rules.id))
    else:
        write_frame(table.to_pandas(), fmt, output)
    if fmt is not Format.TABLE and not quiet:
        click.echo(sweep_summary_line(summary), err=True)


def _no_pandas_for_files(fmt, output) -> None:
    """A sweep to a Parquet file is scored and written as Arrow: pandas is never imported (a
    third of a 10^7-variant sweep's time)."""
    if fmt is Format.PARQUET and output not in (None, "-"):
        from chipclass.core.lazy import defer_pandas

        defer_pandas()


@main.command()
@click.argument("file", required=False)
@click.option("--spec-only", "specs_filter", multiple=True, metavar="SPEC", help="Only these specs.")
@format_option(Format.TABLE, Format.CSV, Format.JSON, Format.JSONL, Format.PARQUET)
@output_option
@as_of_option
@tf32_option
@quiet_option
@rules_option
def headroom(file, specs_filter, fmt, output, as_of, tf32_bits, quiet, rules_dir):
    """For every device of FILE (default: the shipped catalogue), how far each spec can move
    (up/down) before the class changes."""
    from chipclass import api
    from chipclass.design.headroom import headroom as headroom_fn
    from chipclass.outputs.formats import choose
    from chipclass.outputs.reports import headroom_text
    from chipclass.outputs.write import write_frame
    from chipclass.rules.instruments import rules_in_force

    fmt = choose(fmt, output, [Format.TABLE, Format.CSV, Format.JSON, Format.JSONL, Format.PARQUET])
    cat = api.load(file or shipped_catalogue())
    rules, bits = rules_in_force(as_of, rules_dir), bit_lengths(tf32_bits)
    if fmt in (Format.CSV, Format.JSONL, Format.PARQUET):  # written batch by batch: bounded memory
        from chipclass.design.headroom import headroom_batches
        from chipclass.outputs.write import StreamWriter

        with StreamWriter(fmt, output) as writer:
            for frame in headroom_batches(cat, rules, specs_filter or None, bits,
                                          env_int("CHIPCLASS_HEADROOM_BATCH", 1 << 16)):
                writer.write(frame)
        return
    frame = headroom_fn(cat, rules, specs_filter or None, bit_lengths=bits)
    write_frame(frame, fmt, output, table_text=headroom_text)


@main.command()
@click.argument("base", required=False)
@spec_option
@click.option("--free", "free", multiple=True, required=True, metavar="SPEC",
              help="A spec that may move (1 to 4): fp8, fp16, ..., die_area, memory_bandwidth, package_area, "
                   "interconnect_bandwidth. Repeatable.")
@click.option("--target", required=True, metavar="OUTCOME",
              help="A status ('not controlled', 'controlled'), a paragraph or clause id of the rules, or "
                   "'no-licence:CN', 'licence:CN', 'case-by-case:CN'.")
@click.option("--range", "ranges", multiple=True, metavar="SPEC=LOW:HIGH",
              help="The box of a free spec (default 0 to 4x the base; areas a quarter to 4x); a unit may follow.")
@click.option("--maximise", default=None, metavar="SPEC", help="Report this free spec's largest value (default: the first).")
@catalogue_option
@format_option(*TABULAR)
@output_option
@as_of_option
@tf32_option
@quiet_option
@rules_option
def envelope(base, specs, free, target, ranges, maximise, catalogue, fmt, output, as_of, tf32_bits, quiet, rules_dir):
    """The region around BASE, over the --free specs, that keeps --target: vertices and faces,
    the nearest point that reaches it and the largest value of one spec, solved from the rules."""
    from chipclass.design.envelope import envelope as solve, parse_bounds
    from chipclass.outputs.formats import choose
    from chipclass.outputs.reports import envelope_text
    from chipclass.outputs.write import write_frame, write_json, write_text
    from chipclass.rules.instruments import rules_in_force

    fmt = choose(fmt, output, TABULAR)
    one = base_catalogue(base, catalogue, specs)
    env = solve(one, free, target, rules_in_force(as_of, rules_dir), bounds=dict(parse_bounds(r) for r in ranges),
                maximise=maximise, bit_lengths=bit_lengths(tf32_bits), rules_dir=rules_dir)
    if fmt is Format.TABLE:
        write_text(envelope_text(env), output)
    elif fmt is Format.JSON:
        write_json(env.to_dict(), output)
    else:
        write_frame(env.table, fmt, output)


@main.command()
@click.argument("file", required=False)
@as_of_option
@click.option("--compare", "compare", default=None, metavar="YYYY-MM-DD",
              help="Also draw the regions in force on this date (panels left to right by date).")
@click.option("--sweep", "sweep_file", default=None, metavar="FILE",
              help="A sweep result (csv/parquet from chipclass sweep) drawn as a density layer.")
@click.option("--envelope", "envelope_file", default=None, metavar="FILE",
              help="An envelope (chipclass envelope -f json -o FILE) drawn over the map.")
@format_option(Format.PNG, Format.SVG, Format.PDF)
@click.option("-o", "--output", type=click.Path(dir_okay=False), default="map.png", show_default=True,
              help="Write to this file (atomically; a link's target, a FIFO or device in place) instead of stdout.")
@tf32_option
@quiet_option
@rules_option
def plot(file, as_of, compare, sweep_file, envelope_file, fmt, output, tf32_bits, quiet, rules_dir):
    """Draw TPP against performance density with the 3A090 regions and every device of FILE
    (default: the shipped catalogue)."""
    from chipclass.outputs.formats import choose

    import importlib.util

    from chipclass.core.errors import ChipclassError

    if importlib.util.find_spec("matplotlib") is None:  # the docs helper's generic check may replace this
        raise ChipclassError("plot needs matplotlib: pip install 'chipclass[plot]'")
    from chipclass.core.lazy import defer_pandas
    from chipclass.outputs.map import render_map

    defer_pandas()  # the map is drawn from arrays (pandas was a fifth of its time)
    fmt = choose(fmt, output, [Format.PNG, Format.SVG, Format.PDF], default=Format.PNG)
    from chipclass.outputs.write import atomic_output

    data = render_map(file or shipped_catalogue(), str(fmt), as_of=as_of, compare=compare, sweep=sweep_file,
                      rules_dir=rules_dir, bit_lengths=bit_lengths(tf32_bits), envelope=envelope_file)
    with atomic_output(output) as fh:
        fh.write(data)
    if not quiet:
        click.echo(f"wrote {output}", err=True)
