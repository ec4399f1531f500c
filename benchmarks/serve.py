"""chipclass serve: server time of the web app's answers, against the issue's goals, in one run.

    python benchmarks/serve.py              # 30 design changes, 10 envelopes, the map, a 10^5 sweep
    python benchmarks/serve.py --repeat 60

Each request goes through the whole ASGI application in process (Starlette's TestClient: routing,
form parsing, the API, templates, the security middleware); the server time is the
``Server-Timing`` header the middleware sets (request in to response start). A design change is
a POST of the design form with one figure changed (the H20 with FP8 stepping up, as the page's
script sends it), with two destinations (CN, AE) so the licence answer is in it; the envelope is
the same form with two free specs. Goals (issue 24): a design change under 150 ms, an envelope
under 500 ms; printed as ratios (goal / median: above 1 is inside the goal). The map's sweep
overlay is sent as a fixed grid of counts, so its size does not grow with the sweep: its bytes
and server time are printed. Tests never time; this script does.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
import warnings

H20 = {"name": "H20", "fp8": "296", "int8": "296", "fp16": "148", "bf16": "148", "tf32": "74", "fp32": "44",
       "fp64": "1", "die_area": "814", "memory": "96", "memory_bandwidth": "4000", "interconnect_bandwidth": "900",
       "process_node": "4", "transistor_count": "80", "non_planar": "yes", "has_hbm": "yes", "datacenter": "yes",
       "as_of": "2025-06-01", "to": "CN, AE"}


def server_ms(resp) -> tuple[float, float]:
    """(wall-clock, CPU) milliseconds of the request, from the Server-Timing header."""
    assert resp.status_code == 200, resp.text[:300]
    wall, cpu = (float(part.split("dur=")[1]) for part in resp.headers["server-timing"].split(","))
    return wall, cpu


def summary(name: str, times: list[tuple[float, float]], goal: float | None) -> dict:
    wall = sorted(t[0] for t in times)
    cpu = sorted(t[1] for t in times)
    med, med_cpu = statistics.median(wall), statistics.median(cpu)
    row = {"what": name, "n": len(times), "median_ms": med, "p90_ms": wall[int(0.9 * (len(wall) - 1))],
           "median_cpu_ms": med_cpu, "goal_ms": goal, "ratio": goal / med if goal else None,
           "ratio_cpu": goal / med_cpu if goal else None}
    line = (f"{name:<48} n={len(times):>3}  wall median {med:6.1f} ms p90 {row['p90_ms']:6.1f}"
            f"  cpu median {med_cpu:6.1f} ms")
    if goal:
        line += f"  goal {goal:.0f} ms: goal/wall {row['ratio']:.2f}, goal/cpu {row['ratio_cpu']:.2f}"
    print(line)
    return row


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=30)
    args = ap.parse_args(argv)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from starlette.testclient import TestClient
    import os

    from chipclass.serve import create_app

    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores (wall times stretch with the load; "
          "CPU time is the request's own work)")
    t0 = time.perf_counter()
    client = TestClient(create_app())
    print(f"app created in {(time.perf_counter() - t0) * 1000:.0f} ms")
    client.post("/api/design", data=H20)  # warm: rule files parsed, caches filled
    rows = []
    design = [server_ms(client.post("/api/design", data={**H20, "fp8": f"{296 + k * 0.5:g}"}))
              for k in range(args.repeat)]
    rows.append(summary("design change (H20, licences CN+AE, foundry)", design, 150))
    plain = {k: v for k, v in H20.items() if k != "to"}
    rows.append(summary("design change, no destinations", [
        server_ms(client.post("/api/design", data={**plain, "fp8": f"{296 + k * 0.5:g}"})) for k in range(args.repeat)],
        150))
    env = {**H20, "free1": "fp8", "free2": "die_area", "target": "not controlled"}
    rows.append(summary("design change with the envelope (2 free specs)", [
        server_ms(client.post("/api/design", data={**env, "fp8": f"{296 + k:g}"}))
        for k in range(max(5, args.repeat // 3))], 500))
    days = ["2022-10-07", "2023-11-17", "2024-12-02", "2025-06-01", "2026-07-01"]
    first = [server_ms(client.get(f"/api/map?date={d}")) for d in days]
    rows.append(summary("map data, first time for a rule set", first, None))
    rows.append(summary("map data, slider move (regions cached)", [
        server_ms(client.get(f"/api/map?date={days[k % len(days)]}")) for k in range(args.repeat)], None))
    sweep = "/api/sweep?base=H20&vary=fp8=100:900:400&vary=die_area=200:1000:250&date=2025-06-01"
    resp = client.get(sweep)
    rows.append(summary("sweep overlay, 100,000 variants", [server_ms(client.get(sweep)) for _ in range(5)], None))
    print(f"sweep overlay payload: {len(resp.content):,} bytes for {resp.json()['n']:,} variants "
          "(a fixed 120 x 120 grid of counts: the browser draws one heatmap whatever the sweep's size)")
    rows.append(summary("catalogue page (168 devices)", [server_ms(client.get("/catalogue?date=2025-06-01"))
                                                         for _ in range(10)], None))
    over = [r["what"] for r in rows if r["goal_ms"] and r["median_ms"] > r["goal_ms"]]
    over_cpu = [r["what"] for r in rows if r["goal_ms"] and r["median_cpu_ms"] > r["goal_ms"]]
    print("wall: all goals met" if not over else f"wall: over the goal: {', '.join(over)}")
    print("cpu: all goals met" if not over_cpu else f"cpu: over the goal: {', '.join(over_cpu)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
