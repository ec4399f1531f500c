import datetime as dt

import pytest

from chipclass.core.errors import AsOfError, RuleDataError
from chipclass.rules.instruments import load_file, load_instruments, rules_in_force


def test_shipped_rules_load_with_citations():
    inst = {i.id: i for i in load_instruments()}
    assert inst["2022-10-acs"].citation == "87 FR 62186"
    assert inst["2023-11-acs"].effective == dt.date(2023, 11, 17)
    assert inst["2024-12-hbm"].fr_doc == "2024-28270"


@pytest.mark.parametrize("day,ids,clauses", [
    ("2022-10-07", "2022-10-acs", ["3A090.a.1"]),
    ("2023-11-16", "2022-10-acs", ["3A090.a.1"]),
    ("2023-11-17", "2023-11-acs", ["3A090.a.1", "3A090.a.2", "3A090.b.1", "3A090.b.2"]),
    ("2024-12-01", "2023-11-acs", ["3A090.a.1", "3A090.a.2", "3A090.b.1", "3A090.b.2"]),
    ("2024-12-02", "2023-11-acs+2024-12-hbm",
     ["3A090.a.1", "3A090.a.2", "3A090.b.1", "3A090.b.2", "3A090.c"]),
])
def test_composition_by_date(day, ids, clauses):
    rs = rules_in_force(day)
    assert rs.id == ids
    assert [c.id for c in rs.clauses] == clauses


def test_before_first_rule_is_an_error():
    with pytest.raises(AsOfError, match="before the first rule file"):
        rules_in_force("2022-10-06")


def test_bad_date_text():
    with pytest.raises(AsOfError, match="not a date"):
        rules_in_force("yesterday")


def test_threshold_units_convert(tmp_path):
    p = tmp_path / "r.toml"
    p.write_text('id = "x"\ntitle = "t"\ncitation = "1 FR 1"\npublished = 2030-01-01\n'
                 'effective = 2030-01-01\n[[clause]]\nid = "X.a"\neccn = "X.a"\ntext = "t"\n'
                 'conditions = [{ metric = "interconnect_bandwidth", op = ">=", value = 0.6, unit = "TB/s" }]\n')
    assert load_file(p).clauses[0].conditions[0].value == pytest.approx(600.0)


@pytest.mark.parametrize("body,message", [
    ('id = "x"\ntitle = "t"\ncitation = "c"\npublished = 2030-01-01\neffective = 2030-01-01\n'
     '[[clause]]\nid = "a"\neccn = "a"\ntext = "t"\nconditions = [{ metric = "speed", op = ">=", value = 1 }]\n',
     "unknown metric 'speed'"),
    ('id = "x"\ntitle = "t"\ncitation = "c"\npublished = 2030-01-01\neffective = 2030-01-01\n'
     '[[clause]]\nid = "a"\neccn = "a"\ntext = "t"\nconditions = [{ metric = "tpp", op = "~", value = 1 }]\n',
     "unknown op"),
    ('id = "x"\ntitle = "t"\ncitation = "c"\npublished = 2030-01-01\neffective = "soon"\n', "expected a date"),
    ('id = "x"\ntitle = "t"\ncitation = "c"\npublished = 2030-01-01\neffective = 2030-01-01\n'
     '[[clause]]\nid = "a"\neccn = "a"\ntext = "t"\n'
     'conditions = [{ metric = "tpp", op = ">=", value = 1, unit = "GB/s" }]\n', "dimension"),
    ('id = "x"\ntitle = "t"\ncitation = "c"\npublished = 2030-01-01\neffective = 2030-01-01\ncolour = 1\n',
     "unknown key"),
    ('id = "x"\ntitle = "t"\n[[clause\n', "not valid TOML"),
])
def test_malformed_rule_file(tmp_path, body, message):
    p = tmp_path / "bad.toml"
    p.write_text(body)
    with pytest.raises(RuleDataError, match=message) as info:
        load_file(p)
    assert "bad.toml" in str(info.value)


def test_new_rule_year_is_a_data_file(tmp_path):
    # A hypothetical 2030 rule that lowers a.1 to 4000, added as a file: no engine change.
    import shutil
    from importlib import resources
    for p in resources.files("chipclass").joinpath("data/rules").iterdir():
        if p.name.endswith(".toml"):
            shutil.copy(p, tmp_path / p.name)
    (tmp_path / "2030-01-x.toml").write_text(
        'id = "2030-01-x"\ntitle = "t"\ncitation = "95 FR 1"\npublished = 2030-01-01\n'
        'effective = 2030-01-02\nmode = "amend"\n[[clause]]\nid = "3A090.a.1"\neccn = "3A090.a"\n'
        'text = "TPP of 4000 or more"\nconditions = [{ metric = "tpp", op = ">=", value = 4000 }]\n')
    import chipclass
    import pandas as pd
    df = pd.DataFrame({"name": ["X"], "fp8": [520.0], "die_area": [5000.0]})  # TPP 4160, PD 0.83
    before = chipclass.score(df, as_of="2030-01-01", rules_dir=str(tmp_path))
    after = chipclass.score(df, as_of="2030-01-02", rules_dir=str(tmp_path))
    assert before["status"][0] == "not controlled"
    assert after["clause"][0] == "3A090.a.1"
    assert after["rule_set"][0] == "2023-11-acs+2024-12-hbm+2030-01-x"
