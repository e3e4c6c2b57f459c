// bench/k8s/lib/report.mjs: folds the runs of the Kubernetes bench into medians and renders
// the markdown report (bench/k8s/results.md): one table per cluster size, the ratios of ours
// to the floor and to the best peer, the servers' cold start and memory, and the output-budget
// check at the largest size. Owner: bench-k8s.

const LABEL = {
  direct: 'direct GET',
  kubectl: 'kubectl',
  ours: '**ours**',
  go: 'Go peer',
  goPaced: 'Go peer, paced',
  ts: 'TS peer',
};
const ORDER = ['direct', 'kubectl', 'ours', 'go', 'goPaced', 'ts'];
const PEERS = ['go', 'goPaced', 'ts'];
const TARGET_DIRECT = 1.3;
const SDK_DEFAULT_MAX_MESSAGE = 10 * 1024 * 1024;

function median(xs) {
  const v = xs.filter((x) => typeof x === 'number').sort((a, b) => a - b);
  if (v.length === 0) return null;
  const m = Math.floor(v.length / 2);
  return v.length % 2 ? v[m] : (v[m - 1] + v[m]) / 2;
}

/** Medians over runs of every figure; an error in any run stands for the cell. */
export function aggregate(runs) {
  return runs[0].map((first, i) => {
    const same = runs.map((r) => r[i]);
    const cells = {};
    for (const op of Object.keys(first.cells)) {
      cells[op] = {};
      const whos = new Set(same.flatMap((s) => Object.keys(s.cells[op])));
      for (const who of whos) {
        const all = same.map((s) => s.cells[op][who]).filter(Boolean);
        const bad = all.find((c) => c.error);
        if (bad) { cells[op][who] = bad; continue; }
        cells[op][who] = {
          p50: median(all.map((c) => c.p50)),
          p95: median(all.map((c) => c.p95)),
          n: all.reduce((a, c) => a + c.n, 0),
          bytes: all[all.length - 1].bytes,
          bytesMin: Math.min(...all.map((c) => c.bytes)),
          bytesMax: Math.max(...all.map((c) => c.bytes)),
          peakRssKb: median(all.map((c) => c.peakRssKb)),
        };
        if (all.every((c) => c.api)) cells[op][who].api = { ms: median(all.map((c) => c.api.ms)), requests: all[0].api.requests };
      }
    }
    const servers = {};
    for (const who of new Set(same.flatMap((s) => Object.keys(s.servers)))) {
      const all = same.map((s) => s.servers[who]).filter(Boolean);
      const bad = all.find((s) => s.error);
      servers[who] = bad || {
        coldMs: median(all.map((s) => s.coldMs)), rssKb: median(all.map((s) => s.rssKb)), noopMs: median(all.map((s) => s.noopMs)),
      };
    }
    return { size: first.size, pods: first.pods, pod: first.pod, cells, servers };
  });
}

const ms = (x) => (x == null ? '' : x < 10 ? x.toFixed(2) : x < 100 ? x.toFixed(1) : x.toFixed(0));
const int = (x) => (x == null ? '' : Math.round(x).toLocaleString('en-US'));
const mb = (kb) => (kb == null ? '' : (kb / 1024).toFixed(1));
const ratio = (a, b) => (a == null || b == null || b === 0 ? null : a / b);
const rx = (r) => (r == null ? '' : `${r.toFixed(2)}x`);
const esc = (s) => String(s).replace(/\|/g, '\\|').replace(/\s+/g, ' ').slice(0, 160);

function bestPeer(cells) {
  let best = null;
  for (const who of PEERS) {
    const c = cells[who];
    if (c && !c.error && (!best || c.p50 < best.p50)) best = { who, p50: c.p50 };
  }
  return best;
}

function sizeTitle(s) {
  return s.size > 0 ? `With --pods ${s.size.toLocaleString('en-US')} (${int(s.pods)} pods)` : `Default cluster (${int(s.pods)} pods)`;
}

/** The report, and whether the harness itself failed (a floor row or one of our rows broke). */
export function renderReport(result) {
  const { machine: m, cfg, sizes } = result;
  const L = [];
  let failed = false;
  const notes = [];
  L.push('# Kubernetes figures (bench/k8s)', '');
  L.push(`\`make bench-k8s\` on ${m.date}: ${m.cpus} CPUs (${m.cpu}), Linux ${m.kernel}, Node ${m.node}, ` +
    `kubectl ${m.kubectl}, MCP SDK client ${m.sdk} over stdio. Our server \`${m.bin}\` at commit ${m.commit}` +
    `${m.dirty ? ' plus uncommitted src/, lua/ or tools/ changes' : ''}; Go peer kubernetes-mcp-server ${m.go ?? '(not installed)'} ` +
    `(its linux-amd64 binary); TS peer mcp-server-kubernetes ${m.ts ?? '(not installed)'} (on the same Node). ` +
    `${result.runs > 1 ? `Medians of ${result.runs} runs. ` : ''}Per cell ${cfg.warmup} warm-up calls (1 when a call takes over 1 s), ` +
    `then up to ${cfg.calls} timed calls, fewer when a cell passes ${cfg.cellMs / 1000} s (at least ${cfg.minCalls}, or ${cfg.minSlowCalls} when a call takes over 1 s); ` +
    'the direct GET and ours alternate call by call (so the ratio between them sees the same load); the others run after them, one at a time, ' +
    'while every server stays up for the whole size; ' +
    `\`n\` says how many. The run took ${result.seconds.toFixed(0)} s; load average (1, 5, 15 min) ${m.loadBefore} before, ${m.load} after ` +
    '(other work on the machine inflates every figure alike, kubectl\'s and the peers\' start-ups most).', '');
  L.push('Contenders: **direct GET** = Node `https` with a keep-alive agent (one TLS connection, the ' +
    'kubeconfig\'s client certificate), reading the API\'s JSON whole (no Table, no paging): the floor. ' +
    '**kubectl** = one process per call, as an agent would run it: `get pods -A`, `get pod X -n Y -o yaml`, ' +
    '`logs X -n Y --tail=100`, `get events -A` (its discovery cache is warm after the warm-ups). ' +
    '**ours**, **Go peer**, **TS peer** = `tools/call` over stdio with each server\'s own tool and default output ' +
    '(the table at the top of `bench/k8s/driver.mjs`). Result bytes = what the model receives: the body, ' +
    'kubectl\'s stdout, or the text content of the tool result. Events: all namespaces (the scope every contender offers). ' +
    `**Go peer, paced** = the Go peer again, ${cfg.pacedCalls} calls ${cfg.paceMs / 1000} s apart (after a ${cfg.restMs / 1000} s rest): called back to back it throttles ` +
    'itself (client-go\'s client-side limiter, 5 requests/s with a burst of 10; its `pods_log` makes 2 API requests, `pods_list` and `events_list` a `SelfSubjectAccessReview` first), ' +
    'which an agent calling tools seconds apart would not see. "Best peer" is the fastest of the peer rows, this one included.', '');

  for (const s of sizes) {
    L.push(`## ${sizeTitle(s)}`, '', `Pod for get and logs: \`${s.pod}\`.`, '');
    L.push('| operation | contender | p50 ms | p95 ms | n | result bytes | ours / direct | ours / best peer |');
    L.push('|---|---|--:|--:|--:|--:|--:|--:|');
    for (const op of cfg.ops) {
      const cells = s.cells[op.id];
      let shown = false;
      for (const who of ORDER) {
        const c = cells[who];
        if (!c) continue;
        const name = shown ? '' : `${op.what} (\`${op.id}\`)`;
        shown = true;
        if (c.error) {
          L.push(`| ${name} | ${LABEL[who]} | ${esc(c.error)} | | | | | |`);
          if (who === 'direct' || who === 'kubectl' || (who === 'ours' && !c.skipped)) failed = true;
          continue;
        }
        let vsDirect = '';
        let vsPeer = '';
        if (who === 'ours') {
          vsDirect = rx(ratio(c.p50, cells.direct && !cells.direct.error ? cells.direct.p50 : null));
          const b = bestPeer(cells);
          vsPeer = b ? `${rx(ratio(c.p50, b.p50))} (${LABEL[b.who]})` : '';
        }
        const bytes = c.bytesMin !== c.bytesMax ? `${int(c.bytes)} (${int(c.bytesMin)}..${int(c.bytesMax)})` : int(c.bytes);
        L.push(`| ${name} | ${LABEL[who]} | ${ms(c.p50)} | ${ms(c.p95)} | ${c.n} | ${bytes} | ${vsDirect} | ${vsPeer} |`);
        if (who !== 'direct' && who !== 'kubectl' && c.bytes > SDK_DEFAULT_MAX_MESSAGE) {
          notes.push(`${sizeTitle(s)}, ${op.id}, ${LABEL[who]}: ${int(c.bytes)} bytes of text, over the SDK stdio client's default 10 MiB message limit (the bench lifts it; an agent on the SDK defaults would get an error).`);
        }
      }
    }
    L.push('');
  }

  L.push('## Ours against the floor and the best peer (p50)', '');
  L.push(`| cluster | operation | ours ms | direct GET ms | ours / direct (target ≤ ${TARGET_DIRECT}x) | best peer ms | ours / best peer (target < 1x) |`);
  L.push('|---|---|--:|--:|--:|--:|--:|');
  for (const s of sizes) {
    for (const op of cfg.ops) {
      const c = s.cells[op.id];
      const o = c.ours;
      const d = c.direct && !c.direct.error ? c.direct.p50 : null;
      const b = bestPeer(c);
      if (!o || o.error) {
        L.push(`| ${int(s.pods)} pods | \`${op.id}\` | ${o ? esc(o.error) : 'not run'} | ${ms(d)} | | ${b ? `${ms(b.p50)} (${LABEL[b.who]})` : ''} | |`);
        continue;
      }
      const rd = ratio(o.p50, d);
      const rp = b ? ratio(o.p50, b.p50) : null;
      const mark = (r, ok) => (r == null ? '' : `${rx(r)} ${ok ? 'met' : '**not met**'}`);
      L.push(`| ${int(s.pods)} pods | \`${op.id}\` | ${ms(o.p50)} | ${ms(d)} | ${mark(rd, rd <= TARGET_DIRECT)} | ${b ? `${ms(b.p50)} (${LABEL[b.who]})` : 'no peer ran'} | ${mark(rp, rp < 1)} |`);
    }
  }
  L.push('');

  L.push('## Where our time goes (p50)', '');
  L.push('Ours = the p50 above. MCP round trip = `tools/call get_current_time` (no I/O) through the same client. ' +
    'API = the requests our tool made (from the simulator\'s request log) replayed on the direct client, p50 each, summed. ' +
    'The rest is the work inside our server: parsing, Lua, rendering, our HTTP client.', '');
  L.push('| cluster | operation | ours ms | MCP round trip ms | API ms | rest ms | our requests |');
  L.push('|---|---|--:|--:|--:|--:|---|');
  for (const s of sizes) {
    const noopMs = s.servers.ours?.noopMs;
    for (const op of cfg.ops) {
      const o = s.cells[op.id].ours;
      if (!o || o.error || !o.api) continue;
      const rest = o.p50 - (noopMs ?? 0) - o.api.ms;
      L.push(`| ${int(s.pods)} pods | \`${op.id}\` | ${ms(o.p50)} | ${ms(noopMs)} | ${ms(o.api.ms)} | ${ms(rest)} | ${o.api.requests.map((r) => `\`${esc(r)}\``).join('<br>')} |`);
    }
  }
  L.push('');

  L.push('## Servers: cold start and memory', '');
  L.push('Cold start = spawn to the `initialize` answer (SDK `connect`), median of ' +
    `${cfg.cold} spawns per size. RSS = VmRSS of the server process after all its calls at that size ` +
    '(the TS peer\'s kubectl children are not counted). kubectl: the highest peak RSS (`/usr/bin/time`) of one process over the four operations.', '');
  const hdr = sizes.map((s) => `${int(s.pods)} pods`);
  L.push(`| server | ${hdr.map((h) => `cold start ms, ${h}`).join(' | ')} | ${hdr.map((h) => `RSS MB, ${h}`).join(' | ')} |`);
  L.push(`|---|${hdr.map(() => '--:').join('|')}|${hdr.map(() => '--:').join('|')}|`);
  for (const who of ['ours', 'go', 'ts']) {
    const row = sizes.map((s) => s.servers[who]);
    if (row.every((x) => !x)) continue;
    const err = row.find((x) => x && x.error);
    if (err) {
      L.push(`| ${LABEL[who]} | ${esc(err.error)} |${' |'.repeat(2 * sizes.length - 1)}`);
      if (who === 'ours') failed = true;
      continue;
    }
    L.push(`| ${LABEL[who]} | ${row.map((x) => ms(x?.coldMs)).join(' | ')} | ${row.map((x) => mb(x?.rssKb)).join(' | ')} |`);
  }
  if (sizes.some((s) => s.cells[cfg.ops[0].id].kubectl)) {
    const peak = sizes.map((s) => Math.max(...cfg.ops.map((o) => s.cells[o.id].kubectl?.peakRssKb ?? 0)) || null);
    L.push(`| kubectl (per process) | ${sizes.map(() => 'every call').join(' | ')} | ${peak.map((k) => (k ? `${mb(k)} peak` : '')).join(' | ')} |`);
  }
  L.push('');

  const big = sizes.reduce((a, s) => (s.size > a.size ? s : a), sizes[0]);
  L.push(`## Output budget (${int(big.pods)} pods, ours, ${int(cfg.budget)} bytes of text)`, '');
  for (const op of cfg.ops) {
    const o = big.cells[op.id].ours;
    if (!o) L.push(`- \`${op.id}\`: not run`);
    else if (o.error) L.push(`- \`${op.id}\`: not checked (${esc(o.error)})`);
    else {
      const ok = o.bytesMax <= cfg.budget;
      L.push(`- \`${op.id}\`: ${int(o.bytesMax)} bytes: ${ok ? 'inside the budget' : '**over the budget**'}`);
      if (!ok) failed = true;
    }
  }
  L.push('');
  if (notes.length) L.push('## Notes', '', ...notes.map((n) => `- ${n}`), '');
  return { markdown: L.join('\n'), failed };
}
