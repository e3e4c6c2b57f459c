"""bench/cloud/report.py: folds the runs of the cloud bench into medians and renders the markdown
report (bench/cloud/results.md): the per-call table, where our time goes, and the server's
memory and the simulator-log checks. Owner: bench-cloud."""

LABEL = {
    "curl": "curl, a process per call",
    "keepalive": "keep-alive client (floor)",
    "uncached": "**ours** `list_clusters {refresh: true}`",
    "cached": "**ours** `list_clusters {}`, cached",
    "describe": "**ours** `describe_cluster`",
    "noop": "**ours** `get_current_time` (no I/O)",
}
WHAT = {
    "DescribeClustersV1": "`DescribeClustersV1`, page 1 of 10 (`GET /api/v1/clusters?page_number=1&page_size=10`)",
    "DescribeClusterDetail": "`DescribeClusterDetail` (`GET /clusters/<prod-hz>`)",
    "mcp": "MCP round trip, no request",
}


def median(xs):
    v = sorted(x for x in xs if isinstance(x, (int, float)))
    if not v:
        return None
    m = len(v) // 2
    return v[m] if len(v) % 2 else (v[m - 1] + v[m]) / 2


def aggregate(runs):
    """Medians over runs of every figure (n is summed)."""
    cells = {}
    for op, whos in runs[0]["cells"].items():
        cells[op] = {}
        for who in whos:
            all_ = [r["cells"][op][who] for r in runs]
            cells[op][who] = {
                "p50": median([c["p50"] for c in all_]), "p95": median([c["p95"] for c in all_]),
                "n": sum(c["n"] for c in all_), "bytes": all_[-1]["bytes"],
                "p50_runs": [c["p50"] for c in all_],
                "sign_p50": median([c.get("sign_p50") for c in all_]),
                "cpu_ms": median([c.get("cpu_ms") for c in all_]),
            }
    server = {k: median([r["server"][k] for r in runs]) for k in ("start_ms", "rss_init_kb", "rss_kb", "hwm_kb")}
    server["exits"] = [r["server"]["exit"] for r in runs]
    api = {
        "match": all(r["api"]["expected"] == r["api"]["seen"] for r in runs),
        "expected": [r["api"]["expected"] for r in runs], "seen": [r["api"]["seen"] for r in runs],
        "bad": sum(r["api"]["bad"] for r in runs),
        "bad_sample": next((r["api"]["bad_sample"] for r in runs if r["api"]["bad"]), []),
        "ours_requests": [r["api"]["ours_requests"] for r in runs],
        "ours_connections": [r["api"]["ours_connections"] for r in runs],
        "keepalive_one_conn": all(r["api"]["keepalive_requests"] == r["api"]["keepalive_calls"] for r in runs),
    }
    return {"cells": cells, "server": server, "api": api, "rounds": [r["rounds"] for r in runs]}


def ms(x):
    if x is None:
        return ""
    return f"{x:.3f}" if x < 1 else f"{x:.2f}" if x < 10 else f"{x:.1f}" if x < 100 else f"{x:.0f}"


def us(x):
    return "" if x is None else f"{x * 1000:.0f} µs"


def num(x):
    return "" if x is None else f"{round(x):,}"


def render(result):
    """The report, and whether the bench itself failed (a check below did not hold)."""
    m, cfg, agg = result["machine"], result["cfg"], result["agg"]
    cells, srv, api = agg["cells"], agg["server"], agg["api"]
    failed = False
    L = ["# Alibaba Cloud API figures (bench/cloud)", ""]
    L.append(
        f"`make bench-cloud` on {m['date']}: {m['cpus']} CPUs ({m['cpu']}), Linux {m['kernel']}, Python {m['python']}, "
        f"curl {m['curl']}. Our server `{m['bin']}` at commit {m['commit']}"
        f"{' plus uncommitted src/, lua/ or tools/ changes' if m['dirty'] else ''}, against the Alibaba Cloud simulator "
        "(`tests/sim/aliyun`, plain HTTP on 127.0.0.1, every signature verified). "
        f"{len(result['runs'])} runs (a fresh server each), each {cfg['warmup']} warm-up calls and then "
        f"{min(agg['rounds'])}..{max(agg['rounds'])} timed calls per contender: the keep-alive client and ours interleaved "
        "call by call (so drift in the machine's load hits them alike), then curl (its process spawns would disturb the "
        "others); "
        f"p50 and p95 per run, the table shows the median over the runs (`n` = timed calls in all). "
        f"The bench took {result['seconds']:.0f} s; load average (1, 5, 15 min) {m['load_before']} before, {m['load']} after.")
    L.append("")
    L.append(
        "Contenders. **curl** = the request signed ACS3-HMAC-SHA256 by the simulator's test-side signer "
        "(`tests/sim/aliyun/sim_client.py`, Python, independent of ours) in the bench process, then one `curl` "
        "process per call, as an agent's script would run it; the time is sign + spawn + answer + JSON parse. "
        "**keep-alive client** = the same signer, then the request on one persistent HTTP/1.1 connection "
        "(Python `http.client`): the network floor, including the Python signer's time (shown as \"sign\"). "
        "**ours** = `tools/call` to our server over stdio (raw JSON-RPC lines; the time runs until the answer "
        "line is parsed), which signs in C and sends with libcurl on its event loop; `list_clusters {refresh: true}` "
        "skips the per-caller page cache (`--cache-ttl`) and makes the same request as the floor; the cached call "
        "follows it and is answered from the cache (`cached_seconds_ago` checked); `describe_cluster` makes one "
        "DescribeClusterDetail. Result bytes = what a model would read: the response body, or the text content "
        "of the tool result (our tools reshape the clusters, see `ack.cluster_view`).")
    L.append("")
    L.append("| request | contender | p50 ms | p95 ms | n | result bytes | p50 − floor | sign (in p50) | server CPU per call |")
    L.append("|---|---|--:|--:|--:|--:|--:|--:|--:|")
    for op in ("DescribeClustersV1", "DescribeClusterDetail", "mcp"):
        floor = cells[op].get("keepalive", {}).get("p50") if op in cells else None
        first = True
        for who, c in cells.get(op, {}).items():
            d = "" if floor is None or who == "keepalive" else f"{c['p50'] - floor:+.3f} ms"
            L.append(f"| {WHAT[op] if first else ''} | {LABEL[who]} | {ms(c['p50'])} | {ms(c['p95'])} | {c['n']} | "
                     f"{num(c['bytes'])} | {d} | {us(c['sign_p50'])} | {us(c['cpu_ms'])} |")
            first = False
    L.append("")

    lst, det, noop = cells["DescribeClustersV1"], cells["DescribeClusterDetail"], cells["mcp"]["noop"]["p50"]
    L.append("## Where our time goes (p50)")
    L.append("")
    L.append("Floor = the keep-alive client; HTTP alone = the floor less the Python signer's time. MCP round trip = "
             "`get_current_time` through the same pipes (JSON-RPC, Lua dispatch, no I/O). Server work = ours − HTTP "
             "alone − MCP round trip: what our server adds around one signed request (credentials, ACS3 signing in C, "
             "libcurl on the loop, JSON decode, the Lua tool, rendering the result).")
    L.append("")
    L.append("| request | ours ms | HTTP alone ms | MCP round trip ms | server work ms | ours / floor | curl / ours |")
    L.append("|---|--:|--:|--:|--:|--:|--:|")
    for label, op_cells, who in (("`list_clusters {refresh: true}`", lst, "uncached"),
                                 ("`describe_cluster`", det, "describe")):
        o, f = op_cells[who]["p50"], op_cells["keepalive"]
        http_only = f["p50"] - (f["sign_p50"] or 0)
        L.append(f"| {label} | {ms(o)} | {ms(http_only)} | {ms(noop)} | {ms(o - http_only - noop)} | "
                 f"{o / f['p50']:.2f}x | {op_cells['curl']['p50'] / o:.1f}x |")
    c, u = lst["cached"]["p50"], lst["uncached"]["p50"]
    L.append("")
    L.append(f"Cached `list_clusters`: {ms(c)} ms, {u / c:.1f}x faster than uncached and {c - noop:+.3f} ms over the "
             f"bare MCP round trip (the cache lookup, the Lua view of 10 clusters and their JSON).")
    L.append("")

    sb = result.get("sign_bench")
    L.append("## Signing alone (`make bench-sign`)")
    L.append("")
    if not sb:
        L.append("Not measured in this run: `build/sign_bench` is not built (`make bench-sign` builds and runs it).")
    elif sb.get("error"):
        L.append(f"`{sb['path']}` failed: {sb['error']}")
        failed = True
    else:
        L.append(f"`{sb['path']} --runs 3 --seconds 0.3`, run after the calls above, as it prints it:")
        L.extend(["", "```", sb["output"], "```"])
    L.append("")
    L.append("## Server and checks")
    L.append("")
    L.append(f"- Our server: start to `initialize` answer {ms(srv['start_ms'])} ms; VmRSS {num(srv['rss_init_kb'])} kB "
             f"after `initialize`, {num(srv['rss_kb'])} kB after all its calls (VmHWM {num(srv['hwm_kb'])} kB), medians "
             f"over the runs; exit status on stdin EOF {srv['exits']}.")
    if any(e != 0 for e in srv["exits"]):
        failed = True
    L.append(f"- The simulator's request log, per run: requests per action "
             f"{'equal to the calls that should reach the API (the cached calls made none)' if api['match'] else '**MISMATCH**: expected ' + str(api['expected']) + ', seen ' + str(api['seen'])}"
             f"; {api['bad']} requests not verified or not 200"
             f"{(': ' + str(api['bad_sample'])[:300]) if api['bad'] else ''}.")
    if not api["match"] or api["bad"]:
        failed = True
    L.append(f"- Connections: ours made {api['ours_requests']} requests over {api['ours_connections']} TCP connections "
             "(libcurl keeps them alive); the keep-alive client sent "
             f"{'every request of a run on its one connection' if api['keepalive_one_conn'] else '**not** all its requests on one connection'}"
             "; curl opened one per call.")
    L.append("")
    return "\n".join(L), failed
