import os
import signal
import tempfile
from pathlib import Path

import pytest

# The rule-record cache (chipclass.core.recordcache) of this run's own, never the user's; child
# processes inherit it.
os.environ.setdefault("CHIPCLASS_CACHE_DIR", tempfile.mkdtemp(prefix="chipclass-test-cache-"))

# A shell starts a background job (`cmd &` in a script) with SIGINT ignored, and an ignored
# signal stays ignored across exec: the Ctrl-C tests' child processes would then never see
# their SIGINT. Catching it here makes the children start with the default disposition, as
# they do under a terminal.
if signal.getsignal(signal.SIGINT) == signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)

ROOT = Path(__file__).resolve().parent.parent
CHIPS = ROOT / "data" / "chips.csv"


@pytest.fixture
def chips_csv():
    return str(CHIPS)


def write(tmp_path, text, name="in.csv"):
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return str(p)


#: A few rows of the shipped catalogue for tests that render (a map of the whole catalogue is
#: rendered only in the slow set): datacenter parts either side of the lines, a consumer part,
#: and one without a die area (drawn in the strip).
FEW = ("H100 SXM", "H20", "RTX 4090", "B200")


@pytest.fixture(scope="session")
def few_chips_csv(tmp_path_factory):
    lines = CHIPS.read_text(encoding="utf-8").splitlines(keepends=True)
    keep = [lines[0]] + [ln for ln in lines[1:] if ln.split(",", 1)[0].strip('"') in FEW]
    assert len(keep) == len(FEW) + 1, "a device of FEW is missing from the shipped catalogue"
    p = tmp_path_factory.mktemp("few") / "few.csv"
    p.write_text("".join(keep), encoding="utf-8")
    return str(p)
