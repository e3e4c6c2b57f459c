"""bench/cloud/driver.py: the Alibaba Cloud figures (issue 6, "Figures"). Against the simulator
(tests/sim/aliyun), it times two CS reads through three contenders (bench/cloud/contenders.py):
a signed request sent by one curl process per call, the same on a keep-alive connection (the
floor), and our server over stdio: `list_clusters` uncached (`refresh: true`) and cached, and
`describe_cluster`; plus `get_current_time` for the bare MCP round trip. It prints a markdown
table and writes bench/cloud/results.md (each run's raw figures go to
bench/results/cloud-runs.json, gitignored). Run it through bench/cloud/run (make bench-cloud).
Owner: bench-cloud.

Settings (environment): ACK_MCP_BIN (our binary), BENCH_CLOUD_CALLS (200 timed calls per
contender and run), BENCH_CLOUD_WARMUP (20), BENCH_CLOUD_RUNS (3; a fresh server each run,
medians across runs), BENCH_CLOUD_SETTLE_MS (2: pause after every call, untimed; see
contenders.settle_s), BENCH_CLOUD_BUDGET (100 s: a run that would pass it stops early, with
fewer calls, so the whole stays under 2 minutes), BENCH_CLOUD_SIGN_BENCH (the signing
micro-benchmark's binary, default build/sign_bench: its output is added when it is built)."""
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request

import contenders
from contenders import ROOT, Curl, KeepAlive, McpStdio, Signer
from procs import install_cleanup, proc_status, start_simulator, stop
from report import aggregate, render

HERE = os.path.dirname(os.path.abspath(__file__))
SIM_SCRIPT = os.path.join(ROOT, "tests", "sim", "aliyun", "server.py")
RESULTS_MD = os.path.join(HERE, "results.md")
RAW_JSON = os.path.join(ROOT, "bench", "results", "cloud-runs.json")
PRODUCTS = ("cs", "sts", "arms", "sls", "cms")


def _num(key, default):
    v = os.environ.get(key, "")
    return type(default)(v) if v != "" else default


CFG = {
    "bin": os.environ.get("ACK_MCP_BIN") or os.path.join(ROOT, "build", "ack-mcp-server"),
    "calls": _num("BENCH_CLOUD_CALLS", 200),
    "warmup": _num("BENCH_CLOUD_WARMUP", 20),
    "runs": _num("BENCH_CLOUD_RUNS", 3),
    "budget_s": _num("BENCH_CLOUD_BUDGET", 100.0),
    "settle_ms": _num("BENCH_CLOUD_SETTLE_MS", 2.0),
    "sign_bench": os.environ.get("BENCH_CLOUD_SIGN_BENCH") or os.path.join(ROOT, "build", "sign_bench"),
    "cache_ttl": 300,
}


def log(msg):
    sys.stderr.write(f"bench-cloud: {msg}\n")


def _check_list(v):
    if not isinstance(v, dict) or not isinstance(v.get("clusters"), list) or len(v["clusters"]) != 10:
        return f"expected a page of 10 clusters, got {json.dumps(v)[:200]}"
    return None


def operations(prod):
    """The two CS reads, each with the tools of ours that make exactly that request."""
    def detail(v):
        return None if isinstance(v, dict) and v.get("cluster_id") == prod else f"not cluster {prod}: {json.dumps(v)[:200]}"

    def fresh(v):
        return _check_list(v) or ("answered from the cache" if "cached_seconds_ago" in v else None)

    def cached(v):
        return _check_list(v) or (None if "cached_seconds_ago" in v else "not answered from the cache")

    return [
        {"id": "DescribeClustersV1", "what": "list clusters, page 1 of 10",
         "method": "GET", "path": "/api/v1/clusters", "query": [("page_number", "1"), ("page_size", "10")],
         "action": "DescribeClustersV1", "check": _check_list,
         "ours": [("uncached", "list_clusters", {"refresh": True}, fresh, True),
                  ("cached", "list_clusters", {}, cached, False)]},
        {"id": "DescribeClusterDetail", "what": "one cluster's detail",
         "method": "GET", "path": f"/clusters/{prod}", "query": None,
         "action": "DescribeClusterDetail", "check": detail,
         "ours": [("describe", "describe_cluster", {"cluster_id": prod}, detail, True)]},
    ]


def _sim_get(url, path):
    with urllib.request.urlopen(url + path, timeout=10) as r:
        return json.load(r)


def _sim_requests(url, since):
    r = _sim_get(url, f"/_sim/requests?product=cs&since={since}")
    return r["requests"] if isinstance(r, dict) else r


def _pct(sorted_ns, p):
    return sorted_ns[min(len(sorted_ns) - 1, max(0, -(-p * len(sorted_ns) // 100) - 1))] / 1e6


def _summary(lat_ns, extra=None):
    lat = sorted(lat_ns)
    out = {"p50": _pct(lat, 50), "p95": _pct(lat, 95), "n": len(lat)}
    out.update(extra or {})
    return out


def measure(k, runners, deadline, api_calls):
    """Warm-ups, then timed rounds of every runner in turn. Returns ({(op, who): figures},
    timed rounds); counts the calls that reach the API in api_calls."""
    raw = {(o, w): {"ns": [], "sign": [], "cpu": []} for o, w, _, _ in runners}
    size = {}
    rounds = 0
    for i in range(CFG["warmup"] + CFG["calls"]):
        if i >= CFG["warmup"] and rounds >= 5 and time.monotonic() > deadline:
            log(f"run {k + 1}: time budget reached after {rounds} timed rounds")
            break
        for o, w, fn, hits_api in runners:
            r = fn()
            if not r["ok"]:
                raise RuntimeError(f"run {k + 1}, {o} through {w}: {r['error']}")
            if hits_api:
                api_calls[o] = api_calls.get(o, 0) + 1
            if i >= CFG["warmup"]:
                x = raw[(o, w)]
                x["ns"].append(r["ns"])
                if "sign_ns" in r:
                    x["sign"].append(r["sign_ns"])
                if "cpu_ns" in r:
                    x["cpu"].append(r["cpu_ns"])
                size[(o, w)] = r["bytes"]
        if i >= CFG["warmup"]:
            rounds += 1
    out = {}
    for key, x in raw.items():
        extra = {"bytes": size[key]}
        if x["sign"]:
            extra["sign_p50"] = _pct(sorted(x["sign"]), 50)
        if x["cpu"]:
            extra["cpu_ms"] = sum(x["cpu"]) / len(x["cpu"]) / 1e6
        out[key] = _summary(x["ns"], extra)
    return out, rounds


def one_run(k, sim_url, sim_info, work, deadline):
    """A fresh server; the in-process contenders interleaved, then curl (see below); then the
    simulator's log checked. Returns the run's figures."""
    key = sim_info["access_keys"][0]
    prod = sim_info["clusters"]["prod"]
    ops = operations(prod)
    argv = [CFG["bin"], "--tools-dir", os.path.join(ROOT, "tools"), "--log-level", "warning",
            "--cache-ttl", str(CFG["cache_ttl"])]
    for p in PRODUCTS:
        argv += ["--endpoint", f"{p}={sim_info['endpoints'][p]}"]
    argv += ["--endpoint", f"metadata={sim_info['metadata']['url']}"]
    home, cwd = os.path.join(work, f"home{k}"), os.path.join(work, f"cwd{k}")
    os.makedirs(home)
    os.makedirs(cwd)  # empty: the server would read a ./.env
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": home,
           "ALIBABA_CLOUD_ECS_METADATA_DISABLED": "true",
           "ACCESS_KEY_ID": key["id"], "ACCESS_KEY_SECRET": key["secret"]}
    since = max([e["seq"] for e in _sim_requests(sim_url, 0)] or [0])

    signer = Signer(sim_url, key["id"], key["secret"])
    curl, ka = Curl(sim_url, signer), KeepAlive(sim_url, signer)
    ours = McpStdio(argv, env, cwd, os.path.join(work, f"server{k}.stderr"))
    t_spawn = time.perf_counter()
    ours.initialize()
    start_ms = (time.perf_counter() - t_spawn) * 1000
    mem_init = proc_status(ours.proc.pid)

    # Phase 1, in-process contenders interleaved call by call: for each op the floor, then ours
    # (the cached call right after the uncached one, so it finds the page just fetched), then
    # the bare MCP round trip. Phase 2, curl alone: a process spawn between the calls above
    # would disturb them (it doubled every in-process figure in a trial run).
    inproc, spawned = [], []
    for op in ops:
        spawned.append((op["id"], "curl", lambda op=op: curl.call(op), True))
        inproc.append((op["id"], "keepalive", lambda op=op: ka.call(op), True))
        for who, tool, args, check, hits_api in op["ours"]:
            inproc.append((op["id"], who, lambda t=tool, a=args, c=check: ours.call(t, a, c), hits_api))
    inproc.append(("mcp", "noop", lambda: ours.call("get_current_time", {}, lambda v: None), False))
    api_calls = {}
    cells, rounds = {}, []
    for runners in (inproc, spawned):
        got, n = measure(k, runners, deadline, api_calls)
        rounds.append(n)
        for (o, w), c in got.items():
            cells.setdefault(o, {})[w] = c
    mem_after = proc_status(ours.proc.pid)
    ka_port = ka.conn.sock.getsockname()[1] if ka.conn.sock else None
    ka.close()
    pid = ours.proc.pid
    rc = stop(ours.proc)

    # The simulator's log: every request verified and answered 200, as many of each action as
    # the bench made (the cached calls made none), and how many connections ours opened.
    reqs = _sim_requests(sim_url, since)
    seen = {}
    for e in reqs:
        seen[e.get("action")] = seen.get(e.get("action"), 0) + 1
    bad = [e for e in reqs if not e.get("verified") or e.get("status") != 200]
    mine = [e for e in reqs if e.get("nonce") not in signer.nonces]
    return {
        "cells": cells,
        "server": {"pid": pid, "start_ms": start_ms, "rss_init_kb": mem_init["rss_kb"],
                   "rss_kb": mem_after["rss_kb"], "hwm_kb": mem_after["hwm_kb"], "exit": rc,
                   "notifications": ours.notifications},
        "api": {"expected": api_calls, "seen": seen, "bad": len(bad),
                "bad_sample": bad[:1], "ours_requests": len(mine),
                "ours_connections": len({e.get("client") for e in mine}),
                "keepalive_requests": sum(1 for e in reqs if ka_port and e.get("client") == f"127.0.0.1:{ka_port}"),
                "keepalive_calls": 2 * (CFG["warmup"] + rounds[0])},
        "rounds": min(rounds),
    }


def _sh(*argv):
    try:
        return subprocess.run(argv, capture_output=True, text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return ""


def machine():
    cpu = ""
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next((line.split(":", 1)[1].strip() for line in f if line.startswith("model name")), "")
    except OSError:
        pass
    dirty = _sh("git", "-C", ROOT, "status", "--porcelain", "--", "src", "lua", "tools") != ""
    return {
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "cpus": os.cpu_count(), "cpu": cpu, "kernel": platform.release(),
        "python": platform.python_version(),
        "curl": (_sh("curl", "--version").split("\n")[0].split(" ") + ["", ""])[1],
        "commit": _sh("git", "-C", ROOT, "rev-parse", "--short", "HEAD"), "dirty": dirty,
        "bin": CFG["bin"], "load": " ".join(f"{x:.1f}" for x in os.getloadavg()),
    }


def sign_bench():
    """The output of the signing micro-benchmark (bench/sign_bench.c, `make bench-sign`), short
    runs, when its binary is built; shown as it prints it. None when it is not built."""
    path = CFG["sign_bench"]
    if not os.access(path, os.X_OK):
        return None
    log(f"signing micro-benchmark: {path}")
    try:
        p = subprocess.run([path, "--runs", "3", "--seconds", "0.3"], capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.SubprocessError) as e:
        return {"path": path, "error": str(e)}
    if p.returncode != 0:
        return {"path": path, "error": f"exit {p.returncode}: {(p.stderr or p.stdout)[-300:]}"}
    return {"path": path, "output": p.stdout.rstrip()}


def main():
    install_cleanup()
    contenders.settle_s = CFG["settle_ms"] / 1000
    t0 = time.monotonic()
    if not os.access(CFG["bin"], os.X_OK):
        log(f"server binary {CFG['bin']} not found (make build)")
        return 1
    if not shutil.which("curl"):
        log("curl is not installed")
        return 1
    m = machine()
    load_before = m["load"]
    own_work = not os.environ.get("BENCH_CLOUD_WORK")
    work = tempfile.mkdtemp(prefix="bench-cloud-") if own_work else os.environ["BENCH_CLOUD_WORK"]
    sim = None
    try:
        sim, info = start_simulator(SIM_SCRIPT, os.path.join(work, "sim"), os.path.join(work, "sim.stderr"))
        url = info["url"]
        runs = []
        per_run = (CFG["budget_s"] - (time.monotonic() - t0)) / max(1, CFG["runs"])
        for k in range(CFG["runs"]):
            deadline = time.monotonic() + per_run
            log(f"run {k + 1}/{CFG['runs']}: {CFG['warmup']} warm-up + {CFG['calls']} timed calls per contender")
            runs.append(one_run(k, url, info, work, deadline))
    finally:
        if sim:
            stop(sim, 2)
        if own_work:
            shutil.rmtree(work, ignore_errors=True)
    sign = sign_bench()
    m["load_before"], m["load"] = load_before, machine()["load"]
    result = {"machine": m, "cfg": CFG, "runs": runs, "agg": aggregate(runs), "sign_bench": sign,
              "seconds": time.monotonic() - t0}
    os.makedirs(os.path.dirname(RAW_JSON), exist_ok=True)
    with open(RAW_JSON, "w") as f:
        json.dump(result, f, indent=1)
    md, failed = render(result)
    with open(RESULTS_MD, "w") as f:
        f.write(md)
    sys.stdout.write(md)
    log(f"wrote {os.path.relpath(RESULTS_MD, ROOT)} and {os.path.relpath(RAW_JSON, ROOT)} "
        f"in {result['seconds']:.0f} s")
    return 1 if failed else 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except RuntimeError as e:
        log(f"FAIL: {e}")
        sys.exit(1)
