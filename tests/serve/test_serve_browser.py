"""chipclass serve end to end: a real headless Chromium (selenium + chromedriver) against
``chipclass serve`` on a free loopback port.

Marked ``browser`` (not in the default run; ``.ci/run`` runs ``pytest -m browser``). Skipped,
with the reason, when chromium or chromedriver is not installed
(``apt-get install chromium chromium-driver``). Screenshots of every page go to
``test-artifacts/serve/`` (git-ignored).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts" / "serve"
HOSTILE = "<img src=x onerror=alert(1)>"
BROWSERS = ("chromium", "chromium-browser", "google-chrome")


def _binaries():
    browser = next((p for p in map(shutil.which, BROWSERS) if p), None)
    driver = shutil.which("chromedriver")
    return browser, driver


def env() -> dict:
    return {**os.environ, "PYTHONPATH": str(ROOT)}


def cli(args, cwd) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "chipclass", *args], check=False, capture_output=True, cwd=cwd,
                          env=env(), timeout=120)


@pytest.fixture(scope="module")
def server():
    pytest.importorskip("selenium")
    pytest.importorskip("uvicorn")
    browser, driver = _binaries()
    if not (browser and driver):
        pytest.skip("chromium and chromedriver are not installed (apt-get install chromium chromium-driver)")
    proc = subprocess.Popen([sys.executable, "-m", "chipclass", "serve", "--port", "0"], stderr=subprocess.PIPE,
                            stdout=subprocess.DEVNULL, env=env(), text=True)
    try:
        line = proc.stderr.readline()
        m = re.search(r"(http://127\.0\.0\.1:\d+)/", line)
        assert m, f"chipclass serve did not start: {line!r}"
        yield m.group(1)
    finally:
        proc.terminate()
        proc.wait(timeout=20)


@pytest.fixture(scope="module")
def downloads(tmp_path_factory):
    return tmp_path_factory.mktemp("downloads")


@pytest.fixture(scope="module")
def driver(server, downloads):
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    browser, chromedriver = _binaries()
    opts = Options()
    opts.binary_location = browser
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1400,1000"):
        opts.add_argument(arg)
    opts.add_experimental_option("prefs", {"download.default_directory": str(downloads),
                                           "download.prompt_for_download": False})
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    d = webdriver.Chrome(service=Service(chromedriver), options=opts)
    d.set_page_load_timeout(60)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    yield d
    d.quit()


def wait(d, predicate, timeout=30):
    """Poll ``predicate`` until true; an element replaced while it was read (the page re-renders
    a table as results arrive) counts as not yet, not as a failure."""
    from selenium.common.exceptions import StaleElementReferenceException
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(d, timeout, poll_frequency=0.1,
                         ignored_exceptions=(StaleElementReferenceException,)).until(lambda _: predicate())


def by_id(d, key):
    return d.find_element("id", key)


def text(d, key) -> str:
    from selenium.common.exceptions import (
        NoSuchElementException,
        StaleElementReferenceException,
    )

    try:
        return by_id(d, key).text
    except (NoSuchElementException, StaleElementReferenceException):
        return ""


def shot(d, name):
    d.save_screenshot(str(ARTIFACTS / f"{name}.png"))


def console_errors(d) -> list[str]:
    return [e["message"] for e in d.get_log("browser") if e["level"] == "SEVERE"]


def set_value(d, key, value):
    """Type into a field as a person would: clear it, then keys (a change event follows)."""
    el = by_id(d, key)
    el.clear()
    el.send_keys(value)


def set_date(d, key, value):
    """A date input's value (its typing order depends on the locale), then the input event."""
    d.execute_script("const e = document.getElementById(arguments[0]); e.value = arguments[1];"
                     "e.dispatchEvent(new Event('input', {bubbles: true}));", key, value)


@pytest.mark.parametrize("path, ready", [("/design", "start"), ("/map", "rule-set"), ("/catalogue", "catalogue-table"),
                                         ("/licences", "licence-matrix"), ("/rules", "timeline"),
                                         ("/device?name=H20", "explanation")])
def test_every_page_opens(driver, server, path, ready):
    driver.get(server + path)
    wait(driver, lambda: by_id(driver, ready).is_displayed())
    if path == "/map":
        wait(driver, lambda: "FR" in text(driver, "rule-set"))
        wait(driver, lambda: len(driver.find_elements("css selector", "#map-plot .point")) > 50)
    assert driver.title.endswith("· chipclass")
    assert console_errors(driver) == []
    shot(driver, path.strip("/").split("?")[0] or "index")


def start_from(d, server, name, as_of=None):
    d.get(server + "/design")
    set_value(d, "start", name)
    by_id(d, "start-button").click()
    wait(d, lambda: by_id(d, "f-name").get_attribute("value") == name)
    if as_of:
        set_date(d, "f-as_of", as_of)
        wait(d, lambda: f"as of {as_of}" in text(d, "answer"))


def test_design_h20_turns_3a090b1_at_tpp_2400(driver, server):
    # The H20 (data/chips.csv): FP8 296 dense TOPS, die 814 mm² -> TPP 2,368, PD 2.91: 3A991.p.
    # 3A090.b.1 is TPP >= 2400 and < 4800 with PD in [1.6, 5.92) (88 FR 73458): FP8 300 x 8 = 2400.
    start_from(driver, server, "H20", as_of="2025-06-01")
    assert (text(driver, "r-tpp"), text(driver, "r-clause"), text(driver, "r-eccn")) == ("2,368", "—", "3A991.p")
    for fp8, tpp in (("298", "2,384"), ("299.9", "2,399")):
        set_value(driver, "f-fp8", fp8)
        wait(driver, lambda tpp=tpp: text(driver, "r-tpp") == tpp)
        assert text(driver, "r-clause") == "—"
    set_value(driver, "f-fp8", "300")
    wait(driver, lambda: text(driver, "r-tpp") == "2,400")
    assert text(driver, "r-clause") == "3A090.b.1" and text(driver, "r-eccn") == "3A090.b"
    shot(driver, "design-h20-300")


def test_design_licence_changes_on_the_day_a_rule_took_effect(driver, server):
    # A800 SXM to CN: not 3A090 under the 2022 rule (interconnect 400 GB/s < 600 GB/s); 3A090.a.1
    # from 2023-11-17 (88 FR 73458 effective), and so a licence to China.
    start_from(driver, server, "A800 SXM", as_of="2023-11-16")
    set_value(driver, "f-to", "CN")
    cell = "#r-licences td[data-dest='CN']"
    wait(driver, lambda: [e.text for e in driver.find_elements("css selector", cell)] == ["no"])
    set_date(driver, "f-as_of", "2023-11-17")
    wait(driver, lambda: [e.text for e in driver.find_elements("css selector", cell)] == ["yes"])
    assert text(driver, "r-clause") == "3A090.a.1"
    shot(driver, "design-a800-cn")


def test_map_regions_follow_the_slider_and_take_a_sweep(driver, server):
    driver.get(server + "/map")
    wait(driver, lambda: "FR" in text(driver, "rule-set"))
    for day, rule in (("2023-11-16", "2022-10-acs"), ("2023-11-17", "2023-11-acs")):
        driver.execute_script(
            "const s = document.getElementById('date-slider'); const first = Date.parse(s.closest('div').dataset.first);"
            "s.value = String(Math.round((Date.parse(arguments[0]) - first) / 86400000));"
            "s.dispatchEvent(new Event('input', {bubbles: true}));", day)
        wait(driver, lambda rule=rule, day=day: rule in text(driver, "rule-set") and text(driver, "date-label") == day)
    by_id(driver, "sweep-button").click()
    wait(driver, lambda: "100,000 variants" in text(driver, "sweep-message"))
    set_value(driver, "map-search", "H20\n")
    wait(driver, lambda: text(driver, "search-result").startswith("H20: TPP 2,368"))
    shot(driver, "map-sweep")
    assert console_errors(driver) == []


def upload(d, path):
    by_id(d, "upload-file").send_keys(str(path))


def test_upload_bad_cell_shows_the_cli_line(driver, server, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("name,fp8,die_area\nok,296,814\nbad,2 96,814\n", encoding="utf-8")
    expected = cli(["score", "bad.csv", "-q"], cwd=tmp_path).stderr.decode().strip()
    assert expected.startswith("chipclass: error: bad.csv, row 2")
    driver.get(server + "/catalogue")
    upload(driver, bad)
    wait(driver, lambda: text(driver, "upload-message") == expected)
    shot(driver, "upload-bad-cell")


def test_upload_hostile_name_is_text(driver, server, tmp_path):
    from selenium.common.exceptions import NoAlertPresentException

    f = tmp_path / "hostile.csv"
    f.write_text(f'name,fp8,die_area\n"{HOSTILE}",300,814\nplain,100,400\n', encoding="utf-8")
    driver.get(server + "/catalogue?date=2025-06-01")
    upload(driver, f)
    wait(driver, lambda: "data=" in driver.current_url and text(driver, "dataset-label") == "hostile.csv")
    names = [e.text for e in driver.find_elements("css selector", "#catalogue-table td.name")]
    assert HOSTILE in names
    assert driver.find_elements("css selector", "main img") == []
    with pytest.raises(NoAlertPresentException):
        driver.switch_to.alert.text  # noqa: B018 - no alert ran
    shot(driver, "upload-hostile-catalogue")
    by_id(driver, "nav-map").click()
    wait(driver, lambda: "FR" in text(driver, "rule-set"))
    set_value(driver, "map-search", HOSTILE + "\n")
    wait(driver, lambda: text(driver, "search-result").startswith(HOSTILE + ": TPP 2,400"))
    assert driver.find_elements("css selector", "main img") == []
    shot(driver, "upload-hostile-map")


def test_download_equals_chipclass_score(driver, server, tmp_path, downloads):
    f = tmp_path / "mine.csv"
    f.write_text("name,fp8,die_area,interconnect_bandwidth,source\nA,300,814,900,=x\nB,600,400,,y\n", encoding="utf-8")
    want = cli(["score", "mine.csv", "-f", "csv", "--as-of", "2025-06-01"], cwd=tmp_path)
    assert want.returncode == 0
    driver.get(server + "/catalogue?date=2025-06-01")
    upload(driver, f)
    wait(driver, lambda: text(driver, "dataset-label") == "mine.csv")
    target = downloads / "score-2025-06-01.csv"
    if target.exists():
        target.unlink()
    by_id(driver, "download-score-csv").click()
    wait(driver, lambda: target.exists() and target.stat().st_size > 0)
    time.sleep(0.3)  # the browser renames the finished file into place
    assert target.read_bytes() == want.stdout
