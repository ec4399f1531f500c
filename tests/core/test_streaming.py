"""Bounded-memory streaming and the Dask engine give the same results as the in-memory path."""


import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
import pytest
from click.testing import CliRunner

import chipclass
import chipclass.api
import chipclass.core.errors
from chipclass.cli import main

KEY = ["name", "tpp", "tpp_format", "performance_density", "eccn", "clause", "status", "missing",
       "margin_tpp_4800", "rule_set"]


def catalogue(n=997, seed=3) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    fp8 = rng.uniform(50, 3000, n)
    area = rng.uniform(100, 1000, n)
    area[rng.random(n) < 0.1] = np.nan
    return pd.DataFrame({
        "name": [f"v{i}" for i in range(n)],
        "fp8 [TFLOPS]": np.round(fp8, 1),
        "fp16_sparse [PFLOPS]": np.round(fp8 / 1000, 4),
        "die_area": area,
        "memory_bandwidth": [f"{x:.2f} TB/s" if i % 2 else f"{x * 1000:.0f} GB/s"
                             for i, x in enumerate(rng.uniform(0.3, 8, n))],
        "datacenter": np.where(rng.random(n) < 0.8, "yes", "no"),
        "vendor": "ACME",
    })


def normalised(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame[KEY].copy()
    for c in ("tpp_format", "eccn", "clause", "status", "missing", "rule_set", "name"):
        out[c] = out[c].astype(object).where(out[c].notna(), None).astype(str)
    return out.reset_index(drop=True)


@pytest.fixture
def csv_file(tmp_path):
    p = tmp_path / "big.csv"
    pacsv.write_csv(pa.Table.from_pandas(catalogue(), preserve_index=False), p)
    return str(p)


def read_jsonl(path):
    """JSON Lines output: an audit line ``{"_meta": ...}`` first, then one line per row."""
    import io
    import json

    lines = open(path, encoding="utf-8").read().splitlines(keepends=True)
    assert set(json.loads(lines[0])) == {"_meta"}
    return pd.read_json(io.StringIO("".join(lines[1:])), lines=True)


@pytest.mark.parametrize("fmt", ["csv", "jsonl", "parquet"])
def test_streamed_output_equals_in_memory(tmp_path, csv_file, fmt):
    whole, streamed = tmp_path / f"a.{fmt}", tmp_path / f"b.{fmt}"
    r1 = CliRunner().invoke(main, ["score", csv_file, "-f", fmt, "-o", str(whole), "--no-stream",
                                   "--as-of", "2025-06-01"])
    r2 = CliRunner().invoke(main, ["score", csv_file, "-f", fmt, "-o", str(streamed), "--stream",
                                   "--batch-rows", "64", "--as-of", "2025-06-01"])
    assert r1.exit_code == 0 and r2.exit_code == 0, r2.stderr
    assert r2.stderr == ""  # no progress display when stderr is not a terminal
    read = {"csv": pd.read_csv, "parquet": pd.read_parquet,
            "jsonl": read_jsonl}[fmt]
    a, b = read(whole), read(streamed)
    assert len(b) == len(a) == 997
    pd.testing.assert_frame_equal(normalised(a), normalised(b))


def test_stream_api_batches(csv_file):
    parts = list(chipclass.api.score_stream(csv_file, "2025-06-01", batch_rows=100))
    assert len(parts) == 10
    pd.testing.assert_frame_equal(normalised(pd.concat(parts)),
                                  normalised(chipclass.score(csv_file, as_of="2025-06-01")))


def test_stream_fail_on_and_bad_row_leaves_nothing(tmp_path, csv_file):
    out = tmp_path / "o.csv"
    r = CliRunner().invoke(main, ["score", csv_file, "-f", "csv", "-o", str(out), "--stream",
                                  "--batch-rows", "50", "--fail-on", "controlled"])
    assert r.exit_code == 1 and out.exists()
    text = open(csv_file).read().splitlines()
    text[900] = text[900].replace(",ACME", "x,ACME").replace("TB/s", "TB/q").replace("GB/s", "GB/q")
    bad = tmp_path / "bad.csv"
    bad.write_text("\n".join(text) + "\n")
    out2 = tmp_path / "o2.csv"
    r = CliRunner().invoke(main, ["score", str(bad), "-f", "csv", "-o", str(out2), "--stream",
                                  "--batch-rows", "50"])
    assert r.exit_code == 2 and "row 900" in r.stderr
    assert not out2.exists() and sorted(p.name for p in tmp_path.iterdir()) == ["bad.csv", "big.csv", "o.csv"]


dask = pytest.importorskip("dask")


@pytest.fixture(scope="module")
def client():
    from distributed import Client, LocalCluster
    cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None)
    with Client(cluster) as c:
        yield c
    cluster.close()


def test_dask_equals_pandas(client):
    import dask.dataframe as dd

    import chipclass.dask

    df = catalogue()
    ddf = dd.from_pandas(df, npartitions=5)
    got = chipclass.dask.score(ddf, as_of="2025-06-01").compute()
    want = chipclass.score(df, as_of="2025-06-01")
    pd.testing.assert_frame_equal(normalised(got), normalised(want))


def test_dask_cli_on_parquet_glob(client, tmp_path):
    df = catalogue()
    d = tmp_path / "parts"
    d.mkdir()
    for k in range(4):
        df.iloc[k * 250:(k + 1) * 250].to_parquet(d / f"p{k}.parquet", index=False)
    out = tmp_path / "out.parquet"
    r = CliRunner().invoke(main, ["score", str(d / "*.parquet"), "--engine", "dask", "-f", "parquet",
                                  "-o", str(out), "--as-of", "2025-06-01"])
    assert r.exit_code == 0, r.stderr
    got = pd.read_parquet(out).sort_values("name", key=lambda s: s.str[1:].astype(int))
    want = chipclass.score(df, as_of="2025-06-01")
    pd.testing.assert_frame_equal(normalised(got), normalised(want))


# --- the three engines agree on every file, good or bad -------------------------------------

AGREE = {
    "ragged": b"name,fp8\nA,1\nB\nC,3\n",
    "unbalanced quote": b'name,fp8,v\nA,1,"x\nB,2,y\nC,3,z\n',
    "quote closing later": b'name,fp8,v\nA,1,"x\nB,2,y\nC,3,"z\nD,4\n',
    "latin-1 cell": "name,fp8,v\nA,1,caf\u00e9\n".encode("latin-1"),
    "latin-1 header": "name,fp8,caf\u00e9\nA,1,x\n".encode("latin-1"),
    "bom": b"\xef\xbb\xbfname,fp8\nA,1\n",
    "header only": b"name,fp8",
    "no name column, no rows": b"fp8,x\n",
    "duplicate header": b"name,fp8,vendor,vendor\nA,1,x,y\n",
    "grouped digits": b"name,fp8\nA,1 000 TOPS\n",
    "hex": b"name,fp8\nA,0x10\n",
    "duplicate across batches": b"name,fp8\nA,1\nB,2\nA,3\n",
    "earliest row wins": b"name,fp8,die_area\nA,1,3 parsecs\nB,x,1\n,1,1\nD\n",
    "cell error before a ragged row": b"name,fp8\nA,1\nB,zz\nC\n",
    "good": b"name,fp8,vendor,die_area\nA,1000,=cmd,800\nB,2 PFLOPS,+x,\nC,,NA,8 cm**2\n",
}


@pytest.mark.parametrize("key", list(AGREE))
def test_engines_agree(tmp_path, key):
    p = tmp_path / "f.csv"
    p.write_bytes(AGREE[key])
    got = {}
    for engine, extra in {"memory": ["--no-stream"], "stream": ["--stream", "--batch-rows", "1"],
                          "stream3": ["--stream", "--batch-rows", "3"], "dask": ["--engine", "dask"]}.items():
        out = tmp_path / f"{engine}.csv"
        r = CliRunner().invoke(main, ["score", str(p), "-f", "csv", "-o", str(out), "--as-of", "2025-06-01",
                                      *extra])
        assert "Traceback" not in r.stderr and r.exit_code in (0, 1, 2)
        got[engine] = (r.exit_code, r.stderr, out.read_bytes() if out.exists() else None)
    assert len(set(got.values())) == 1, got
    code, err, _ = got["memory"]
    assert (code == 0) == (key in ("bom", "header only", "good")), err
    if code == 2:
        assert len(err.strip().splitlines()) == 1 and str(p) in err


def test_streaming_checks_the_header_without_rows(tmp_path):
    p = tmp_path / "f.csv"
    p.write_text("fp8,x\n")
    with pytest.raises(chipclass.core.errors.InputError, match="no 'name' column"):
        list(chipclass.api.score_stream(str(p)))


def test_streamed_names_unique_across_batches(tmp_path):
    p = tmp_path / "f.csv"
    p.write_text("name,fp8\n" + "".join(f"d{i},1\n" for i in range(50)) + "d7,2\n")
    with pytest.raises(chipclass.core.errors.InputError, match=r"duplicate name \(also at row 8\)") as e:
        list(chipclass.api.score_stream(str(p), batch_rows=4))
    assert e.value.row == 51


# --- read_ahead: the same items and errors, in the same order ----------------------------

def test_read_ahead_gives_the_items_then_the_error_in_place():
    from chipclass.core.readers import read_ahead

    def items():
        yield from range(5)
        raise ValueError("after 4")

    got = []
    with pytest.raises(ValueError, match="after 4"):
        for x in read_ahead(items()):
            got.append(x)
    assert got == [0, 1, 2, 3, 4]
    assert list(read_ahead(iter(range(100)))) == list(range(100))
    assert list(read_ahead(iter(()))) == []


def test_read_ahead_stopped_early_makes_at_most_one_more():
    import time

    from chipclass.core.readers import read_ahead

    made = []

    def items():
        for i in range(1000):
            made.append(i)
            yield i

    for x in read_ahead(items()):
        if x == 3:
            break
    time.sleep(0.2)  # give the maker time to go on if it (wrongly) would
    assert len(made) <= 6, made
