import datetime as dt

import pytest

from chipclass.rules.countries import country_code, groups_of, in_group
from chipclass.core.errors import InputError

D = dt.date.fromisoformat


@pytest.mark.parametrize("text,code", [("CN", "CN"), ("chn", "CN"), ("China", "CN"), ("Saudi Arabia", "SA"),
                                       ("SAU", "SA"), ("de", "DE"), ("UAE", "AE"), ("Macau", "MO"),
                                       ("United Kingdom", "GB"), ("Hong Kong", "HK")])
def test_country_code(text, code):
    assert country_code(text) == code


def test_unknown_destination_suggests():
    with pytest.raises(InputError, match="did you mean.*Germany"):
        country_code("Germny")


@pytest.mark.parametrize("country,group,day,member", [
    # Nicaragua into D:1 and D:5 on 2024-03-15 (BIS release)
    ("NI", "D:5", "2024-03-14", False), ("NI", "D:5", "2024-03-15", True), ("NI", "D:1", "2024-03-15", True),
    # Cambodia out of D:5 on 2025-11-07 (State Department ITAR 126.1 change, controlling through
    # the note to D:5; the EAR's conforming edit of 2026-02-03 only followed), stays in D:1
    ("KH", "D:5", "2025-11-06", True), ("KH", "D:5", "2025-11-07", False), ("KH", "D:5", "2026-02-03", False),
    ("KH", "D:1", "2025-11-07", True),
    # UAE from D:4 to A:5 on 2026-07-10 (91 FR 43034)
    ("AE", "D:4", "2026-07-09", True), ("AE", "D:4", "2026-07-10", False), ("AE", "A:5", "2026-07-10", True),
    # Israel is in D:4 and A:6 (digest s.4)
    ("IL", "D:4", "2024-01-01", True), ("IL", "A:6", "2024-01-01", True),
    # Hong Kong counts as China
    ("HK", "D:5", "2024-01-01", True),
])
def test_dated_membership(country, group, day, member):
    assert in_group(country, group, D(day)) is member


def test_groups_of_china():
    assert set(groups_of("CN", D("2024-01-01"))) == {"D:1", "D:4", "D:5"}
