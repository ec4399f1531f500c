"""chipclass serve: every handler through Starlette's TestClient (no browser, no socket).

The browser tests are in test_serve_browser.py.
"""

from __future__ import annotations

import html
import io
import json
import re
import subprocess
import sys
from importlib import resources

import pytest

pytest.importorskip("starlette")
pytest.importorskip("httpx2")  # starlette's test client (plain httpx is deprecated there)

from click.testing import CliRunner

from starlette.testclient import TestClient  # noqa: E402

from chipclass.api import score as api_score
from chipclass.cli import main
from chipclass.serve import create_app
from chipclass.serve.web import CSP
from chipclass.serve.data import Limits

SHIPPED = str(resources.files("chipclass").joinpath("data/chips.csv"))
HOSTILE = "<img src=x onerror=alert(1)>"
# The H20 as catalogued (data/chips.csv): FP8/INT8 296, FP16/BF16 148, TF32 74 dense TOPS; die 814 mm².
H20 = {"name": "H20", "fp8": "296", "int8": "296", "fp16": "148", "bf16": "148", "tf32": "74", "die_area": "814",
       "datacenter": "yes", "interconnect_bandwidth": "900", "memory_bandwidth": "4000"}


@pytest.fixture(scope="module")
def client():
    with TestClient(create_app(limits=Limits(max_bytes=4096, max_rows=50)), raise_server_exceptions=False) as c:
        yield c


def fields(text: str) -> dict:
    """The answer's result fields (id="r-...") as text."""
    return {k: html.unescape(v) for k, v in re.findall(r'id="r-([a-z-]+)">([^<]*)<', text)}


def error_line(text: str) -> str | None:
    m = re.search(r'id="error-line">([^<]*)<', text)
    return html.unescape(m.group(1)) if m else None


def cli(args, cwd=None) -> subprocess.CompletedProcess:
    import os

    env = {**os.environ, "PYTHONPATH": os.getcwd()}
    return subprocess.run([sys.executable, "-m", "chipclass", *args], check=False, capture_output=True, cwd=cwd,
                          env=env, timeout=120)


# --- pages -----------------------------------------------------------------------------

def test_root_redirects_to_design(client):
    r = client.get("/", follow_redirects=False)
    assert r.status_code == 302 and r.headers["location"] == "/design"


@pytest.mark.parametrize("url", ["/design", "/map", "/catalogue", "/licences", "/rules", "/device?name=H20"])
def test_every_page_opens_with_strict_headers(client, url):
    r = client.get(url)
    assert r.status_code == 200, error_line(r.text)
    assert r.headers["content-security-policy"] == CSP
    assert r.headers["x-content-type-options"] == "nosniff"
    assert "<script>" not in r.text and "onclick" not in r.text  # no inline script


def test_other_host_names_are_refused(client):
    # DNS rebinding: a page at evil.example resolving to 127.0.0.1 sends Host: evil.example
    assert client.get("/design", headers={"Host": "evil.example"}).status_code == 400
    assert client.get("/design", headers={"Host": "localhost:8765"}).status_code == 200


def test_upload_needs_the_filename_header(client):
    # a cross-site form or simple request cannot set it, so it cannot upload
    r = client.post("/upload", content=b"name,fp8\nx,1\n", headers={"Content-Type": "text/plain"})
    assert r.status_code == 400 and "X-Filename" in r.json()["error"]


def test_csp_allows_scripts_from_this_server_only():
    script = next(d for d in CSP.split(";") if d.strip().startswith("script-src")).split()
    assert script == ["script-src", "'self'"]
    assert "unsafe-eval" not in CSP and "default-src 'none'" in CSP


def test_design_start_from_catalogue_device(client):
    r = client.get("/design?start=H20&as_of=2025-06-01")
    assert 'id="f-fp8" value="296"' in r.text and 'id="f-die_area" value="814"' in r.text
    # data/chips.csv: TPP 296 x 8 = 2,368 < 2,400; 8 TOPS or more -> 3A991.p (the ladder)
    got = fields(r.text)
    assert got["eccn"] == "3A991.p" and got["clause"] == "—" and got["tpp"] == "2,368"
    # the envelope's targets: the paragraphs and clauses of the rules in force (88 FR 73458)
    targets = re.search(r'<datalist id="targets">(.*?)</datalist>', r.text, re.S).group(1)
    assert all(f'<option value="{t}">' in targets for t in ("not controlled", "3A090.b", "3A090.b.1", "licence:CN"))


@pytest.mark.parametrize("fp8, clause, eccn, tpp", [
    ("299.99", "—", "3A991.p", "2,400"),      # TPP 2,399.92: under 2400 (fmt_number shows 4 figures)
    ("300", "3A090.b.1", "3A090.b", "2,400"),  # TPP 2400 exactly; PD 2400/814 = 2.95 in [1.6, 5.92)
    ("300.01", "3A090.b.1", "3A090.b", "2,400"),
])
def test_design_answer_turns_3a090b1_at_tpp_2400(client, fp8, clause, eccn, tpp):
    # 3A090.b.1: TPP >= 2400 and < 4800, PD >= 1.6 and < 5.92 (88 FR 73458)
    r = client.post("/api/design", data={**H20, "fp8": fp8, "int8": "", "as_of": "2025-06-01"})
    got = fields(r.text)
    assert (got["clause"], got["eccn"], got["tpp"]) == (clause, eccn, tpp)
    assert got["tpp-format"] == "fp8"


def test_design_answer_has_margins_headroom_foundry(client):
    r = client.post("/api/design", data={**H20, "as_of": "2025-06-01"})
    assert "margin_tpp_2400" in r.text and 'id="r-headroom"' in r.text and 'id="r-foundry"' in r.text
    assert "FP8 can rise to just under 300 TFLOPS" in html.unescape(r.text)
    # no process node given: whether the presumption applies is unknown (this used to crash
    # foundry_lines, as it did `chipclass explain --spec ... --view foundry`)
    foundry = html.unescape(re.search(r'id="r-foundry">([^<]*)<', r.text).group(1))
    assert "applies: cannot decide, needs process_node or non_planar" in foundry


def test_design_licence_changes_on_the_day_a_rule_took_effect(client):
    # A800 SXM (data/chips.csv) to CN: 3A991.p under the 2022 rule (interconnect 400 GB/s < 600);
    # 3A090.a.1 from 2023-11-17 (88 FR 73458, effective 2023-11-17): a licence is required.
    base = "/design?start=A800%20SXM&to=CN&as_of="
    before, on = client.get(base + "2023-11-16"), client.get(base + "2023-11-17")
    cell = re.compile(r'data-dest="CN">([^<]*)<')
    assert cell.search(before.text).group(1) == "no"
    assert cell.search(on.text).group(1) == "yes"


def test_design_system_contains_an_ic(client):
    # a system holding an IC that meets 3A090.a is 4A090.a (H100 SXM: TPP 15,832, data/chips.csv)
    r = client.post("/api/design", data={"name": "box", "device_type": "system", "ic": "H100 SXM", "ic_count": "8",
                                         "as_of": "2025-06-01"})
    assert fields(r.text)["eccn"] == "4A090.a"


def test_design_licence_shows_the_matrix_symbol(client):
    # H20 to CN on 2025-06-01: 3A991.p needs no licence under the ECCN rules, but the product note
    # of 2025-04-09 (NVIDIA Form 8-K, rule data product_notes.toml) says one is required: "-!"
    r = client.post("/api/design", data={**H20, "to": "CN", "as_of": "2025-06-01"})
    row = re.search(r'data-dest="CN">([^<]*)</td>\s*<td class="lic-False">([^<]*)<', r.text)
    assert row.groups() == ("no", "-!")


def test_design_bad_cell_is_one_line(client):
    r = client.post("/api/design", data={**H20, "fp8": "1,5 PFLOPS"})
    line = error_line(r.text)
    assert line.startswith("chipclass: error:") and "1,5 PFLOPS" in line and "\n" not in line
    assert "Traceback" not in r.text


def test_design_envelope_two_free_specs(client):
    r = client.post("/api/design", data={**H20, "as_of": "2025-06-01", "free1": "fp8", "free2": "die_area",
                                         "target": "not controlled"})
    text = html.unescape(r.text)
    assert "envelope of not controlled" in text and "nearest:" in text
    chart = json.loads(html.unescape(re.search(r'data-chart="([^"]*)"', r.text).group(1)))
    assert chart["free"] == ["fp8", "die_area"] and chart["base"] == [296, 814] and chart["pieces"]
    # the H20 is not controlled as it stands (TPP 2,368 < 2,400): it is its own nearest point
    assert chart["nearest"] == [296, 814]
    same = client.post("/api/design", data={**H20, "free1": "fp8", "free2": "fp8", "target": "3A090.b"})
    assert "two different free specs" in error_line(same.text)


def test_internal_error_never_shows_a_traceback(client, monkeypatch):
    from chipclass.serve import data

    def boom(*a, **k):
        raise RuntimeError("kaput")

    monkeypatch.setattr(data, "design_answer", boom)
    monkeypatch.setattr(data, "timeline", boom)
    r = client.post("/api/design", data=H20)
    assert error_line(r.text) == "chipclass: internal error: RuntimeError: kaput"
    page = client.get("/rules")
    assert page.status_code == 500 and "Traceback" not in page.text and "File " not in page.text


def test_not_found_page(client):
    r = client.get("/nowhere")
    assert r.status_code == 404 and error_line(r.text) == "chipclass: error: no page at /nowhere"


# --- map -------------------------------------------------------------------------------

def test_map_regions_move_with_the_rules(client):
    before = client.get("/api/map?date=2023-11-16").json()
    on = client.get("/api/map?date=2023-11-17").json()
    assert before["rule_set"] != on["rule_set"] and "2023-11-acs" in on["rule_set"]
    assert before["regions"]["z"] != on["regions"]["z"]
    # every device of the catalogue is on the map, the TPP-only strip, the HBM panel or named
    placed = sum(len(on[k]["name"]) for k in ("devices", "tpp_only", "hbm")) + len(on["not_placed"])
    frame = api_score(SHIPPED, as_of="2023-11-17")
    assert placed == on["devices_total"] == len(frame)
    stacks = frame[(frame["device_type"] == "hbm") & frame["memory_bandwidth_density"].gt(0)]["name"]
    assert len(stacks) >= 10 and sorted(on["hbm"]["name"]) == sorted(stacks)
    assert "H20" in on["devices"]["name"]


def test_map_refuses_a_date_before_the_first_rule(client):
    r = client.get("/api/map?date=2022-10-06")
    assert r.status_code == 400 and "2022-10-07" in r.json()["error"]


def test_sweep_overlay_counts_every_variant(client):
    r = client.get("/api/sweep?base=H20&vary=fp8=100:900:400&vary=die_area=200:1000:250&date=2025-06-01").json()
    assert r["n"] == 100_000 and r["placed"] == 100_000
    assert sum(v for row in r["z"] for v in row if v) == 100_000


def test_sweep_overlay_errors(client):
    assert "LOW:HIGH:N" in client.get("/api/sweep?base=H20").json()["error"]
    big = client.get("/api/sweep?base=H20&vary=fp8=1:2:2000&vary=die_area=1:2:2000").json()
    assert "4,000,000 variants" in big["error"]


def test_envelope_overlay_polygons(client):
    r = client.post("/api/envelope", data={"start": "H20", "free1": "fp8", "free2": "die_area",
                                           "target": "not controlled", "as_of": "2025-06-01"})
    polys = r.json()["polygons"]
    assert polys and all(len(p[0]) == 2 for p in polys)


# --- catalogue, device, licences, rules --------------------------------------------------

def test_catalogue_search_filter_sort(client):
    r = client.get("/catalogue?q=h100&sort=tpp&desc=1&date=2025-06-01")
    names = [html.unescape(n) for n in re.findall(r'<td class="name"><a [^>]*>([^<]*)</a>', r.text)]
    assert names and all("h100" in n.lower() for n in names)
    only_b = client.get("/catalogue?eccn=3A090.b&date=2025-06-01")
    assert "3A090.a.1" not in only_b.text.split("<tbody>")[1]


def test_device_page_cites_its_rules(client):
    r = client.get("/device?name=H20&date=2025-06-01")
    assert "88 FR 73458" in r.text and "Headroom" in r.text and "tomshardware" in r.text
    assert 'id="figure-sources"' in r.text  # data/sources.csv: every figure of the row with its source
    missing = client.get("/device?name=H2O")
    assert missing.status_code == 400 and "H2O" in error_line(missing.text)


def test_licence_matrix_cells_open_their_basis(client):
    r = client.get("/licences?to=CN&date=2025-06-01&view=written")
    text = html.unescape(r.text)
    assert "742.6(a)(6)(iii)" in text and "<summary>L" in text and "review policy" in text
    # a note on every item to a destination is listed once under the matrix, not in each cell
    notes = re.findall(r'id="general-notes">(.*?)</ul>', r.text, re.S)
    assert notes and "<li>" in notes[0] and "general notes</dt>" not in r.text
    bad = client.get("/licences?to=CN&view=sideways")
    assert bad.status_code == 400 and "enforced or written" in error_line(bad.text)


def test_rules_page_lists_every_instrument(client):
    from chipclass.rules.instruments import load_instruments

    r = client.get("/rules")
    for inst in load_instruments():
        assert f"instrument {inst.id} " in r.text and inst.citation.split(",")[0] in r.text


def test_rules_page_names_the_knowledge_horizon(client):
    import tomllib
    from importlib.resources import files

    # the horizon as the rule data states it (chipclass/data/rules/horizon.toml), not as the page computes it
    reviewed = str(tomllib.loads(files("chipclass").joinpath("data/rules/horizon.toml").read_text())["horizon"]["reviewed_through"])
    r = client.get("/rules")
    assert f"reviewed through <b>{reviewed}</b>" in r.text


# --- uploads and downloads ---------------------------------------------------------------

def upload(client, name: str, payload: bytes):
    return client.post("/upload", content=payload, headers={"X-Filename": name})


def test_upload_bad_cell_gives_the_cli_line(client, tmp_path):
    payload = b"name,fp8,die_area\nok,296,814\nbad,29x6,814\n"
    r = upload(client, "bad.csv", payload)
    (tmp_path / "bad.csv").write_bytes(payload)
    expected = cli(["score", "bad.csv", "-q"], cwd=tmp_path).stderr.decode().strip()
    assert r.status_code == 400 and r.json()["error"] == expected
    assert "row 2" in expected and "'29x6'" in expected


def test_upload_limits(client):
    big = upload(client, "big.csv", b"name,fp8\n" + b"x,1\n" * 2000)
    assert big.status_code == 400 and "at most 4,096" in big.json()["error"]
    rows = upload(client, "rows.csv", b"name,fp8\n" + b"".join(b"d%d,1\n" % k for k in range(60)))
    assert "at most 50" in rows.json()["error"]
    assert "empty" in upload(client, "e.csv", b"").json()["error"]


def test_hostile_name_shows_as_text(client):
    r = upload(client, "x.csv", f'name,fp8,die_area\n"{HOSTILE}",300,814\n'.encode())
    token = r.json()["token"]
    for url in (f"/catalogue?data={token}", f"/licences?data={token}&to=CN", f"/device?data={token}&name=" + HOSTILE,
                f"/design?data={token}&start=" + HOSTILE):
        page = client.get(url)
        assert page.status_code == 200, error_line(page.text)
        assert HOSTILE not in page.text and html.escape(HOSTILE, quote=False) in page.text.replace("&#34;", '"')
    data = client.get(f"/api/map?data={token}&date=2025-06-01").json()
    assert data["devices"]["name"] == [HOSTILE]  # JSON: the script shows it with textContent / escaped


def test_parquet_upload(client, tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    buf = io.BytesIO()
    pq.write_table(pa.table({"name": ["p"], "fp8": [300.0], "die_area": [814.0]}), buf)
    r = upload(client, "p.parquet", buf.getvalue())
    assert r.json()["rows"] == 1
    broken = upload(client, "q.parquet", b"PAR1 not really")
    assert broken.json()["error"].startswith("chipclass: error: q.parquet: cannot read Parquet")


def test_download_score_equals_the_cli(client, tmp_path):
    payload = b"name,fp8,die_area,source\nA,300,814,=cmd\nB,600,814,x\n"
    (tmp_path / "in.csv").write_bytes(payload)
    token = upload(client, "in.csv", payload).json()["token"]
    for fmt in ("csv",):
        got = client.get(f"/download/score.{fmt}?data={token}&date=2025-06-01")
        want = CliRunner().invoke(main, ["score", str(tmp_path / "in.csv"), "-f", fmt, "--as-of", "2025-06-01"])
        assert got.status_code == 200 and got.content == want.stdout_bytes
        assert got.headers["content-disposition"] == f'attachment; filename="score-2025-06-01.{fmt}"'
    js = client.get(f"/download/score.json?data={token}&date=2025-06-01").json()
    assert js["meta"]["input"] == "in.csv" and [r["clause"] for r in js["rows"]] == ["3A090.b.1", "3A090.a.1"]


def test_download_shipped_catalogue_parquet_and_licences(client):
    import pyarrow.parquet as pq

    table = pq.read_table(io.BytesIO(client.get("/download/score.parquet?date=2025-06-01").content))
    n = len(api_score(SHIPPED, as_of="2025-06-01"))
    assert table.num_rows == n
    lic = client.get("/download/licences.json?to=CN&date=2025-06-01").json()
    assert len(lic["rows"]) == n and {r["destination"] for r in lic["rows"]} == {"CN"}
    csv = client.get("/download/licences.csv?to=CN%20AE&date=2025-06-01&view=written")
    want = CliRunner().invoke(main, ["license", "--to", "CN", "--to", "AE", "--as-of", "2025-06-01", "-f", "csv",
                                     "--view", "written"])
    assert csv.content == want.stdout_bytes


def test_download_design_results(client):
    q = "&".join(f"{k}={v}" for k, v in H20.items()) + "&as_of=2025-06-01&free1=fp8&free2=die_area&target=3A090.b"
    assert client.get("/download/headroom.csv?" + q).text.startswith('"name","spec","direction"')
    explained = client.get("/download/explain.json?" + q).json()
    assert explained["result"]["eccn"] == "3A991.p" and len(explained["foundry"]) == 4  # one per designer status
    assert client.get("/download/envelope.json?" + q).json()["target"] == "3A090.b"
    assert "no download called" in error_line(client.get("/download/nothing.csv").text)
    assert "csv, json or parquet" in error_line(client.get("/download/score.xlsx").text)


def test_static_assets_come_from_installed_packages(client):
    js = client.get("/static/plotly.min.js")
    assert js.status_code == 200 and js.headers["content-type"].startswith("text/javascript")
    assert client.get("/static/app.js").status_code == 200
    assert client.get("/static/../app.py").status_code == 404
    assert client.get("/static/evil.js").status_code == 404


# --- the command -----------------------------------------------------------------------

def test_cli_import_does_not_load_the_web_stack():
    code = "import sys, chipclass.cli; print(any(m.split('.')[0] in ('starlette', 'uvicorn', 'jinja2', 'plotly') for m in sys.modules))"
    import os

    out = subprocess.run([sys.executable, "-c", code], check=False, capture_output=True, text=True, timeout=60,
                         env={**os.environ, "PYTHONPATH": os.getcwd()})
    assert out.stdout.strip() == "False"


def test_serve_warns_off_loopback(monkeypatch):
    import uvicorn

    seen = []
    monkeypatch.setattr(uvicorn.Server, "run", lambda self: seen.append(self.config))
    r = CliRunner().invoke(main, ["serve", "--host", "0.0.0.0", "--port", "0"])
    assert r.exit_code == 0 and "warning: serving on 0.0.0.0" in r.stderr
    quiet = CliRunner().invoke(main, ["serve", "--port", "0"])
    assert "warning" not in quiet.stderr
    assert [c.host for c in seen] == ["0.0.0.0", "127.0.0.1"]


def test_serve_stops_on_ctrl_c_with_130(tmp_path):
    import os
    import signal

    proc = subprocess.Popen([sys.executable, "-m", "chipclass", "serve", "--port", "0"], stderr=subprocess.PIPE,
                            text=True, env={**os.environ, "PYTHONPATH": os.getcwd()})
    try:
        assert re.match(r"chipclass serve: http://127\.0\.0\.1:\d+/ ", proc.stderr.readline())
        proc.send_signal(signal.SIGINT)
        err = proc.communicate(timeout=60)[1]
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130 and err.strip() == "chipclass: interrupted"


def test_serve_refuses_a_bad_file_before_listening(tmp_path, monkeypatch):
    import uvicorn

    monkeypatch.setattr(uvicorn.Server, "run", lambda self: pytest.fail("must not start"))
    bad = tmp_path / "bad.csv"
    bad.write_text("name,fp8\nx,1 000\n", encoding="utf-8")
    r = CliRunner().invoke(main, ["serve", str(bad)])
    assert r.exit_code == 2 and r.stderr.startswith(f"chipclass: error: {bad}, row 1, column 'fp8'")
