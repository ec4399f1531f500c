from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CHIPS = ROOT / "data" / "chips.csv"


@pytest.fixture
def chips_csv():
    return str(CHIPS)


def write(tmp_path, text, name="in.csv"):
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return str(p)
