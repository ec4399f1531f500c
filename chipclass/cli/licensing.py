"""Commands on destinations and deployments: ``license`` (``licence``), ``tier``, ``fleet``, ``model``."""

from __future__ import annotations

import click

from chipclass.cli.base import findings, main
from chipclass.cli.options import (as_of_option, bit_lengths, catalogue_option, fail_on_option, format_option,
                                   headquarters_option, output_option, quiet_option, rules_option,
                                   shipped_catalogue, tf32_option, to_option)
from chipclass.outputs.formats import Format


@main.command(name="license")
@click.argument("file", required=False)
@to_option
@headquarters_option
@click.option("--view", type=click.Choice(["enforced", "written"]), default="enforced", show_default=True,
              help="Which rules give the main answer; the other is shown where it differs.")
@format_option(Format.TABLE, Format.CSV, Format.JSON, Format.JSONL, Format.PARQUET, Format.SARIF, Format.JUNIT)
@output_option
@as_of_option
@fail_on_option("license")
@tf32_option
@quiet_option
@rules_option
def license_cmd(file, destinations, headquarters, view, fmt, output, as_of, fail_on, tf32_bits, quiet, rules_dir):
    """Whether each device in FILE (default: the shipped catalogue) needs a US export licence to
    each --to destination. One row per device x destination (a matrix in the table format).
    `licence` is an alias."""
    import numpy as np

    from chipclass.classification.logic import bit_names
    from chipclass.cli.catalogue import AUDITED
    from chipclass.licensing.determine import decide
    from chipclass.outputs.formats import choose
    from chipclass.outputs.licence import licence_frame, licence_rows, matrix_text
    from chipclass.outputs.write import write_frame, write_json, write_text

    if not destinations:
        raise click.UsageError("give at least one --to COUNTRY")
    fmt = choose(fmt, output, [Format.TABLE, Format.CSV, Format.JSON, Format.JSONL, Format.PARQUET,
                               Format.SARIF, Format.JUNIT])
    file = file or shipped_catalogue()
    res = decide(file, destinations, headquarters, as_of, view=view, rules_dir=rules_dir,
                 bit_lengths=bit_lengths(tf32_bits))
    frame = licence_frame(res)
    meta = None
    if fmt in AUDITED:
        from chipclass.outputs.audit import audit_meta

        rules = res.classification.rules
        combos = dict.fromkeys(res.view.instruments.tolist())  # the instruments each row relied on
        used = ["+".join(bit_names(b, res.view.instrument_ids)) for b in combos if b]
        meta = audit_meta(file, used or [rules.id], rules.as_of)
    counts, hit = {}, np.zeros(len(res), dtype=bool)
    for s in fail_on:
        one = res.required == 1 if s == "license" else res.classification.hits([s])[res.device]
        counts[s] = int(one.sum())
        hit |= one
    if fmt is Format.SARIF:
        from chipclass.outputs.sarif import license_sarif

        rows = res.device + 1  # rows of the catalogue, per destination
        write_text(license_sarif(frame, res.required, rules, meta, hit, rows), output)
    elif fmt is Format.JUNIT:
        from chipclass.outputs.junit import junit_xml, license_cases

        write_text(junit_xml("chipclass license", license_cases(frame, res.required, meta, hit, fail_on), meta),
                   output)
    elif fmt in (Format.JSON, Format.JSONL):
        rows = licence_rows(res, frame)
        if fmt is Format.JSONL:
            write_json([{"_meta": meta}, *rows], output, lines=True)
        else:
            write_json({"meta": meta, "rows": rows}, output)
    else:
        write_frame(frame, fmt, output, table_text=lambda _frame: matrix_text(res), meta=meta)
    findings(counts, fail_on)


main.add_command(license_cmd, name="licence")


@main.command()
@click.argument("countries", nargs=-1, required=True)
@format_option(Format.TABLE, Format.CSV, Format.JSON, Format.JSONL)
@output_option
@as_of_option
@quiet_option
@rules_option
def tier(countries, fmt, output, as_of, quiet, rules_dir):
    """AI Diffusion tier (1, 2, 3) of each country, with the instrument and its enforcement."""
    from chipclass.licensing.diffusion import tiers
    from chipclass.outputs.formats import choose
    from chipclass.outputs.reports import tier_text
    from chipclass.outputs.write import write_frame

    fmt = choose(fmt, output, [Format.TABLE, Format.CSV, Format.JSON, Format.JSONL])
    write_frame(tiers(countries, as_of, rules_dir), fmt, output, table_text=tier_text)


@main.command()
@click.option("--operations", type=click.FloatRange(0, 1e40), default=None, help="Training operations, if known.")
@click.option("--params", type=click.FloatRange(0, 1e20), default=None, help="Parameters (with --tokens: 6 N D).")
@click.option("--tokens", type=click.FloatRange(0, 1e20), default=None, help="Training tokens.")
@click.option("--device", default=None, help="Catalogue device name (with --count, --utilisation, --days).")
@click.option("--count", type=click.FloatRange(0, 1e9), default=None, help="Number of devices.")
@click.option("--utilisation", "--utilization", "utilisation", type=click.FloatRange(0, 1), default=None,
              help="Model FLOPs utilisation, 0 to 1.")
@click.option("--days", type=click.FloatRange(0, 1e5), default=None, help="Training time in days.")
@click.option("--precision", "train_format", default=None,
              help="Training number format for --device (default: bf16, else fp16, tf32, fp8).")
@click.option("--published-weights", is_flag=True, help="The weights are published (not controlled).")
@catalogue_option
@format_option(Format.TABLE, Format.JSON)
@output_option
@as_of_option
@fail_on_option("model")
@quiet_option
@rules_option
def model(operations, params, tokens, device, count, utilisation, days, train_format, published_weights,
          catalogue, fmt, output, as_of, fail_on, quiet, rules_dir):
    """Would a model's closed weights be controlled (the model-weights ECCN of the rule data: trained
    with at least its threshold of operations)? --fail-on takes controlled or that ECCN."""
    from chipclass import api
    from chipclass.licensing.diffusion import model as model_fn, training_device
    from chipclass.outputs.formats import choose
    from chipclass.outputs.reports import model_text
    from chipclass.outputs.write import write_json, write_text

    fmt = choose(fmt, output, [Format.TABLE, Format.JSON])
    dev = None
    if device is not None:
        dev = training_device(api.load(catalogue or shipped_catalogue()), device, train_format)
    result = model_fn(operations=operations, params=params, tokens=tokens, device=dev, count=count,
                      utilisation=utilisation, days=days, published_weights=published_weights,
                      as_of=as_of, rules_dir=rules_dir)
    if fmt is Format.JSON:
        write_json(result, output)
    else:
        write_text(model_text(result), output)
    findings({s: int(bool(result["eccn"])) for s in fail_on if s in ("controlled", result["paragraph"])}, fail_on)


@main.command()
@click.argument("file")
@catalogue_option
@click.option("--g2g", multiple=True, metavar="COUNTRY",
              help="Tier-2 country with a government-to-government arrangement (doubled allocation).")
@format_option(Format.TABLE, Format.JSON)
@output_option
@as_of_option
@fail_on_option("breach")
@tf32_option
@quiet_option
@rules_option
def fleet(file, catalogue, g2g, fmt, output, as_of, fail_on, tf32_bits, quiet, rules_dir):
    """Account a deployment file under the AI Diffusion framework: TPP, H100-equivalents, the
    Tier-2 allocations, LPP, UVEU placement shares and NVEU caps, each against its limit."""
    from chipclass.licensing.diffusion import fleet as fleet_fn
    from chipclass.outputs.formats import choose
    from chipclass.outputs.reports import fleet_json, fleet_text
    from chipclass.outputs.write import write_json, write_text

    fmt = choose(fmt, output, [Format.TABLE, Format.JSON])
    res = fleet_fn(file, catalogue or shipped_catalogue(), as_of, rules_dir, g2g, bit_lengths=bit_lengths(tf32_bits))
    if fmt is Format.JSON:
        write_json(fleet_json(res), output)
    else:
        write_text(fleet_text(res), output)
    failed = int((~res["checks"]["passed"]).sum())
    findings({s: failed for s in fail_on if s == "breach"}, fail_on)
