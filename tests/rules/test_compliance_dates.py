"""Every instrument with a compliance date binds, in every dated view, on that date and not the
day before (house rule: compliance dates are part of the answer). Walks the shipped rule files,
so a new instrument with a compliance date is checked without a new test."""

import datetime as dt

import pandas as pd
import pytest

from chipclass.rules.instruments import load_instruments
from chipclass.rules.licences import binds, records_in_force

WITH_COMPLIANCE = [i for i in load_instruments() if i.compliance is not None]
DAY = dt.timedelta(days=1)


def test_some_instruments_have_compliance_dates():
    # 89 FR 96790 (HBM, 2024-12-31), 90 FR 4544 (Diffusion, 2025-05-15), 90 FR 5298 (foundry, 2025-01-31)
    assert {"2024-12-hbm", "2025-01-diffusion", "2025-01-foundry"} <= {i.id for i in WITH_COMPLIANCE}


@pytest.mark.parametrize("inst", WITH_COMPLIANCE, ids=lambda i: i.id)
def test_licence_view_binds_on_the_compliance_date(inst):
    before, on = inst.compliance - DAY, inst.compliance
    assert not binds(inst, before) and binds(inst, on)
    if inst.effective <= before:  # written view: in the CFR from the effective date
        assert inst.id in {i.id for i in records_in_force(before, "written")[1]}
        assert inst.id not in {i.id for i in records_in_force(before, "enforced")[1]}
    used_on = {i.id for i in records_in_force(on, "enforced")[1]}
    suspended = records_in_force(on, "enforced")[2]
    assert inst.id in used_on or inst.id in suspended


@pytest.mark.parametrize("inst", [i for i in WITH_COMPLIANCE if i.file.foundry], ids=lambda i: i.id)
def test_foundry_view_binds_on_the_compliance_date(inst):
    from chipclass.licensing.foundry import presumption

    design = pd.DataFrame([{"name": "5 nm, 45 bn, HBM", "process_node": 5, "transistor_count": 45, "has_hbm": "yes"}])
    before = presumption(design, inst.compliance - DAY).frame.iloc[0]
    on = presumption(design, inst.compliance).frame.iloc[0]
    assert bool(before["presumed"]) is False and not bool(before["binding"])
    assert bool(on["presumed"]) is True and bool(on["binding"])
    written = presumption(design, inst.compliance - DAY, view="written").frame.iloc[0]
    assert bool(written["presumed"]) is True


@pytest.mark.parametrize("inst", [i for i in WITH_COMPLIANCE if i.file.license], ids=lambda i: i.id)
def test_licence_records_bind_on_the_compliance_date(inst):
    ids = {r.id for r in records_in_force(inst.compliance, "enforced")[0]}
    before = {r.id for r in records_in_force(inst.compliance - DAY, "enforced")[0] if r.instrument == inst.id}
    assert not before
    own = {r.id for r in inst.file.license}
    suspended = inst.id in records_in_force(inst.compliance, "enforced")[2]
    assert suspended or own & ids
