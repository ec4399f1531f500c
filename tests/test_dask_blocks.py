"""--engine dask splits one large file into blocks and agrees with the pandas engine: same rows,
same exit code, same message (file and real row number), on a dask.distributed cluster too."""

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("dask")
distributed = pytest.importorskip("distributed")

from click.testing import CliRunner  # noqa: E402

from chipclass.cli import main  # noqa: E402
from chipclass.dask import blocks  # noqa: E402

from .core.test_streaming import AGREE  # noqa: E402

AS_OF = "2025-06-01"


def _file(n: int) -> bytes:
    rng = np.random.default_rng(7)
    lines = ["name,fp8,die_area,vendor,memory_bandwidth,datacenter"]
    for k in range(n):
        vendor = '"ACME, Inc."' if k % 7 == 0 else ('"say ""hi"""' if k % 11 == 0 else "Initech")
        bw = f"{rng.uniform(0.3, 8):.3f} TB/s" if k % 2 else f"{rng.uniform(300, 8000):.1f} GB/s"
        area = "" if k % 10 == 3 else f"{rng.uniform(100, 900):.1f}"
        lines.append(f"dev-{k},{rng.uniform(50, 3000):.1f},{area},{vendor},{bw},{'yes' if k % 5 else 'no'}")
    return ("\n".join(lines) + "\n").encode()


@pytest.fixture(scope="module")
def cluster():
    from distributed import LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None) as c:
        yield c


def _score(path, out, *extra, env=None):
    return CliRunner(env=env).invoke(main, ["score", str(path), "-f", "csv", "-o", str(out), "--as-of", AS_OF,
                                            *extra])


def test_csv_blocks_start_at_lines_outside_quotes(tmp_path):
    p = tmp_path / "f.csv"
    data = _file(500)
    p.write_bytes(data)
    parts = blocks(str(p), 1000)
    assert len(parts) > 10
    header_end = data.index(b"\n") + 1
    assert parts[0][1] == header_end and parts[-1][2] == len(data)
    for (_, a, b, h), (_, a2, _, _) in zip(parts, parts[1:]):
        assert b == a2 and data[a - 1:a] == b"\n" and data[:a].count(b'"') % 2 == 0 and h == header_end
    assert blocks(str(p), len(data)) == [("whole",)]


def test_quoted_line_break_is_never_a_cut(tmp_path):
    p = tmp_path / "q.csv"
    p.write_bytes(b'name,fp8,vendor\nA,1,"two\nlines"\n' + b"B,2,x\n" * 50)
    for part in blocks(str(p), 4):
        assert part[1] != len(b'name,fp8,vendor\nA,1,"two\n')


def test_blocks_on_a_cluster_give_the_in_memory_rows(tmp_path, cluster):
    p = tmp_path / "big.csv"
    p.write_bytes(_file(3000))
    want, got = tmp_path / "want.csv", tmp_path / "got.csv"
    assert _score(p, want, "--no-stream").exit_code == 0
    r = _score(p, got, "--engine", "dask", "--scheduler", cluster.scheduler_address,
               env={"CHIPCLASS_BLOCK_BYTES": "4096"})
    assert r.exit_code == 0, r.stderr
    assert len(blocks(str(p), 4096)) > 20
    assert got.read_bytes() == want.read_bytes()


def test_parquet_row_groups_are_blocks(tmp_path, cluster):
    import pyarrow as pa
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    src = tmp_path / "big.csv"
    src.write_bytes(_file(2000))
    p = tmp_path / "big.parquet"
    pq.write_table(pacsv.read_csv(src, convert_options=pacsv.ConvertOptions(
        column_types={c: pa.string() for c in ["name", "fp8", "die_area", "vendor", "memory_bandwidth", "datacenter"]})),
        p, row_group_size=250)
    assert len(blocks(str(p), 1)) == 8
    want, got = tmp_path / "want.csv", tmp_path / "got.csv"
    assert _score(p, want).exit_code == 0
    r = _score(p, got, "--engine", "dask", "--scheduler", cluster.scheduler_address, env={"CHIPCLASS_BLOCK_BYTES": "1"})
    assert r.exit_code == 0, r.stderr
    assert got.read_bytes() == want.read_bytes()


@pytest.mark.parametrize("fault", ["bad cell", "ragged", "duplicate across blocks", "bad header"])
def test_a_fault_in_a_late_block_names_the_real_row(tmp_path, fault):
    lines = _file(400).decode().splitlines()
    if fault == "bad cell":
        lines[301] = "dev-300,1 000,100,x,1 TB/s,yes"
    elif fault == "ragged":
        lines[333] = "dev-332,1"
    elif fault == "duplicate across blocks":
        lines[390] = lines[12]
    else:
        lines[0] = "name,fp8,fp8,vendor,memory_bandwidth,datacenter"
    p = tmp_path / "f.csv"
    p.write_text("\n".join(lines) + "\n")
    outs = []
    for extra in (["--no-stream"], ["--engine", "dask"]):
        out = tmp_path / "o.csv"
        r = _score(p, out, *extra, env={"CHIPCLASS_BLOCK_BYTES": "512"})
        outs.append((r.exit_code, r.stderr, out.exists()))
    assert outs[0] == outs[1] and outs[0][0] == 2 and not outs[0][2], outs
    if fault != "bad header":
        assert "row " in outs[0][1]


@pytest.mark.parametrize("key", list(AGREE))
def test_engines_agree_with_tiny_blocks(tmp_path, key):
    p = tmp_path / "f.csv"
    p.write_bytes(AGREE[key])
    got = []
    for extra, env in ((["--no-stream"], None), (["--engine", "dask"], {"CHIPCLASS_BLOCK_BYTES": "3"})):
        out = tmp_path / "o.csv"
        if out.exists():
            out.unlink()
        r = _score(p, out, *extra, env=env)
        got.append((r.exit_code, r.stderr, out.read_bytes() if out.exists() else None))
    assert got[0] == got[1]


def test_scheduler_needs_the_dask_engine(tmp_path):
    p = tmp_path / "f.csv"
    p.write_bytes(b"name,fp8\nA,1\n")
    r = _score(p, tmp_path / "o.csv", "--scheduler", "tcp://127.0.0.1:1")
    assert r.exit_code == 2 and "--engine dask" in r.stderr


def test_rows_identical_to_the_in_memory_frame(tmp_path):
    import chipclass

    p = tmp_path / "big.csv"
    p.write_bytes(_file(1000))
    out = tmp_path / "got.parquet"
    r = CliRunner(env={"CHIPCLASS_BLOCK_BYTES": "2048"}).invoke(
        main, ["score", str(p), "--engine", "dask", "-f", "parquet", "-o", str(out), "--as-of", AS_OF])
    assert r.exit_code == 0, r.stderr
    got = pd.read_parquet(out)
    want = chipclass.score(str(p), as_of=AS_OF)
    assert got["name"].tolist() == want["name"].astype(str).tolist()
    np.testing.assert_array_equal(got["tpp"].to_numpy(float), want["tpp"].to_numpy(float))
    assert got["eccn"].astype(str).tolist() == want["eccn"].astype(str).tolist()
