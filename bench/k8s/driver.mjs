// bench/k8s/driver.mjs: the Kubernetes figures (issue 5, "Figures"). Against the API simulator
// (tests/sim/k8s) at its default size and with --pods 5000, it times four read operations
// through five contenders: a direct GET (the floor), kubectl (a process per call), our server,
// the Go peer (npm kubernetes-mcp-server) and the TypeScript peer (npm mcp-server-kubernetes),
// the three servers over stdio behind the official MCP SDK client. It prints a markdown table
// and writes bench/k8s/results.md (raw figures and one sample answer per cell go to
// bench/results/, gitignored). Run it through bench/k8s/run (make bench-k8s). Owner: bench-k8s.
//
// Settings (environment): ACK_MCP_BIN (our binary), BENCH_K8S_SIZES ("0 5000": --pods values),
// BENCH_K8S_CALLS (30 timed calls per cell), BENCH_K8S_WARMUP (3), BENCH_K8S_CELL_SECONDS (3: a
// cell stops timing after this long once it has BENCH_K8S_MIN_CALLS, default 5, or
// BENCH_K8S_MIN_SLOW_CALLS, default 3, when a call takes over a second), BENCH_K8S_COLD
// (3 spawns per server and size for the cold start), BENCH_K8S_RUNS (1; medians across runs),
// BENCH_K8S_ONLY (e.g. "direct kubectl go": contenders to run), BENCH_K8S_BUDGET (32768),
// BENCH_K8S_PACED_CALLS (5), BENCH_K8S_PACE_MS (500) and BENCH_K8S_REST_MS (2000) for the
// paced Go peer row, BENCH_K8S_REPLAYS (10) for replaying our API requests.

// What each contender runs for each operation. $POD and $NS stand for the pod the bench picks
// (the first `app=web` pod in namespace `shop`: one container, so every logs form works).
// Output forms, chosen to be what each one gives a model by default:
//   direct   the API's JSON (no Table, no paging): the bytes an HTTP client has to read
//   kubectl  `get` prints its default table for lists, `-o yaml` for one object
//   servers  their tools' defaults
const OPS = [
  {
    id: 'k8s_list', what: 'list pods, all namespaces',
    direct: '/api/v1/pods',
    kubectl: ['get', 'pods', '-A'],
    ours: ['k8s_list', { kind: 'pods', all_namespaces: true }],
    go: ['pods_list', {}],
    ts: ['kubectl_get', { resourceType: 'pods', allNamespaces: true }],
  },
  {
    id: 'k8s_get', what: 'get one pod',
    direct: '/api/v1/namespaces/$NS/pods/$POD',
    kubectl: ['get', 'pod', '$POD', '-n', '$NS', '-o', 'yaml'],
    ours: ['k8s_get', { kind: 'pods', name: '$POD', namespace: '$NS' }],
    go: ['pods_get', { name: '$POD', namespace: '$NS' }],
    ts: ['kubectl_get', { resourceType: 'pods', name: '$POD', namespace: '$NS' }],
  },
  {
    id: 'k8s_logs', what: 'pod logs, tail 100',
    direct: '/api/v1/namespaces/$NS/pods/$POD/log?tailLines=100',
    kubectl: ['logs', '$POD', '-n', '$NS', '--tail=100'],
    ours: ['k8s_logs', { name: '$POD', namespace: '$NS', tail: 100 }],
    go: ['pods_log', { name: '$POD', namespace: '$NS', tail: 100 }],
    ts: ['kubectl_logs', { resourceType: 'pod', name: '$POD', namespace: '$NS', tail: 100 }],
  },
  {
    // All namespaces: the one scope every contender offers (the Go peer's events_list has no
    // all-namespaces flag but lists them all when no namespace is given).
    id: 'k8s_events', what: 'events, all namespaces',
    direct: '/api/v1/events',
    kubectl: ['get', 'events', '-A'],
    ours: ['k8s_events', { all_namespaces: true }],
    go: ['events_list', {}],
    ts: ['kubectl_get', { resourceType: 'events', allNamespaces: true }],
  },
];

import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';

import { directClient, kubectlClient, startMcp } from './lib/contenders.mjs';
import { installCleanup, killAll, startSimulator } from './lib/procs.mjs';
import { aggregate, renderReport } from './lib/report.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(HERE, '../..');
const NODE_MODULES = join(HERE, 'node_modules');
const env = process.env;
const num = (k, d) => (env[k] !== undefined && env[k] !== '' ? Number(env[k]) : d);
const CFG = {
  bin: env.ACK_MCP_BIN || join(ROOT, 'build', 'ack-mcp-server'),
  sizes: (env.BENCH_K8S_SIZES || '0 5000').trim().split(/\s+/).map(Number),
  calls: num('BENCH_K8S_CALLS', 30),
  warmup: num('BENCH_K8S_WARMUP', 3),
  cellMs: num('BENCH_K8S_CELL_SECONDS', 3) * 1000,
  minCalls: num('BENCH_K8S_MIN_CALLS', 5),
  minSlowCalls: num('BENCH_K8S_MIN_SLOW_CALLS', 3),
  cold: num('BENCH_K8S_COLD', 3),
  runs: num('BENCH_K8S_RUNS', 1),
  budget: num('BENCH_K8S_BUDGET', 32768),
  replays: num('BENCH_K8S_REPLAYS', 10),
  pacedCalls: num('BENCH_K8S_PACED_CALLS', 5),
  paceMs: num('BENCH_K8S_PACE_MS', 500),
  restMs: num('BENCH_K8S_REST_MS', 2000),
  only: env.BENCH_K8S_ONLY ? env.BENCH_K8S_ONLY.trim().split(/\s+/) : null,
};
const CONTENDERS = ['direct', 'kubectl', 'ours', 'go', 'ts'];
/** A bad setting stops the run before anything starts, naming the setting. */
function checkSettings() {
  for (const [k, v] of Object.entries(CFG)) {
    if (typeof v === 'number' && !(Number.isFinite(v) && v >= 0)) throw new Error(`bad setting ${k}: ${v} (a number >= 0)`);
  }
  if (CFG.runs < 1 || CFG.calls < 1) throw new Error('BENCH_K8S_RUNS and BENCH_K8S_CALLS must be at least 1');
  for (const n of CFG.sizes) {
    if (!Number.isInteger(n) || n < 0 || n > 200000) throw new Error(`bad BENCH_K8S_SIZES entry ${n} (--pods values, 0..200000)`);
  }
  for (const w of CFG.only || []) {
    if (!CONTENDERS.includes(w)) throw new Error(`bad BENCH_K8S_ONLY entry ${w} (one of ${CONTENDERS.join(', ')})`);
  }
}
// Servers also timed at one call per BENCH_K8S_PACE_MS (see measurePaced).
const PACED = new Set(['go']);
const SAMPLES = join(ROOT, 'bench', 'results', 'k8s-samples');

const GO_BIN = join(NODE_MODULES, 'kubernetes-mcp-server-linux-amd64', 'bin', 'kubernetes-mcp-server-linux-amd64');
const TS_ENTRY = join(NODE_MODULES, 'mcp-server-kubernetes', 'dist', 'index.js');

function pkgVersion(name) {
  try { return JSON.parse(readFileSync(join(NODE_MODULES, name, 'package.json'), 'utf8')).version; } catch { return null; }
}

function fill(v, pod) {
  if (typeof v === 'string') return v.replaceAll('$POD', pod.name).replaceAll('$NS', pod.namespace);
  if (Array.isArray(v)) return v.map((x) => fill(x, pod));
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, fill(x, pod)]));
  return v;
}

function percentile(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

function log(msg) {
  process.stderr.write(`bench-k8s: ${msg}\n`);
}

function saveSample(size, who, op, text) {
  if (text === undefined) return;
  mkdirSync(SAMPLES, { recursive: true });
  writeFileSync(join(SAMPLES, `${size}-${who}-${op}.txt`), String(text).slice(0, 200000));
}

/**
 * Times the cells of one operation for several contenders at once, alternating their calls
 * (A B A B ...) so that drift in the machine's load hits them alike: the ratio of ours to the
 * floor is measured this way. Each runner is {fn, warm}: warm-ups through `warm` (default fn;
 * only 1 when a call takes over a second), then up to CFG.calls timed calls each, the group
 * stopping after CFG.cellMs per runner once each has CFG.minCalls (CFG.minSlowCalls when its
 * call takes over a second). A failed call ends that runner's cell with the error. Each cell
 * carries the warm-ups' results (kubectl's have its peak RSS).
 */
async function measureGroup(runners) {
  const st = runners.map(() => ({ lat: [], warmed: [], slow: false, error: null, last: null }));
  for (let i = 0; i < CFG.warmup; i++) {
    for (const [k, r] of runners.entries()) {
      const c = st[k];
      if (c.error || c.slow) continue;
      const t = performance.now();
      const res = await (r.warm || r.fn)();
      if (!res.ok) { c.error = res.error; continue; }
      c.warmed.push(res);
      if (performance.now() - t > 1000) c.slow = true;
    }
  }
  const start = performance.now();
  const budget = CFG.cellMs * runners.length;
  const wants = (c) => !c.error && c.lat.length < CFG.calls &&
    (c.lat.length < (c.slow ? CFG.minSlowCalls : CFG.minCalls) || performance.now() - start < budget);
  while (st.some(wants)) {
    for (const [k, r] of runners.entries()) {
      const c = st[k];
      if (!wants(c)) continue;
      const t = performance.now();
      const res = await r.fn();
      const ms = performance.now() - t;
      if (!res.ok) { c.error = res.error; continue; }
      c.lat.push(ms);
      c.last = res;
    }
  }
  return st.map((c) => {
    if (c.error) return { error: c.error, n: c.lat.length, warmed: c.warmed };
    const lat = c.lat.sort((a, b) => a - b);
    return {
      p50: percentile(lat, 50), p95: percentile(lat, 95), n: lat.length, bytes: c.last.bytes,
      sample: c.last.text ?? c.last.body, warmed: c.warmed,
    };
  });
}

/**
 * The same calls with CFG.paceMs between them: for servers that throttle themselves when called
 * back to back (client-go's default client-side limiter, 5 requests/s with a burst of 10, in
 * the Go peer: 200 ms per API request once the burst is spent, and pods_log makes 2, so a
 * closed loop settles at ~200 ms a call, ~400 ms for logs).
 * An agent calls tools seconds apart, so this row is the peer's fairer figure. The pass starts
 * after CFG.restMs (the bucket refills), and 0.5 s gaps refill 2.5 requests a call: it never
 * empties in 5 calls.
 */
async function measurePaced(fn) {
  const lat = [];
  let last;
  for (let i = 0; i < CFG.pacedCalls; i++) {
    await new Promise((r) => setTimeout(r, CFG.paceMs));
    const t = performance.now();
    const r = await fn();
    const ms = performance.now() - t;
    if (!r.ok) return { error: r.error, n: lat.length };
    lat.push(ms);
    last = r;
  }
  lat.sort((a, b) => a - b);
  return { p50: percentile(lat, 50), p95: percentile(lat, 95), n: lat.length, bytes: last.bytes };
}

/** The bench's pod: the first app=web pod in shop, checked to have one container. */
async function pickPod(direct) {
  const r = await direct.get('/api/v1/namespaces/shop/pods?labelSelector=app%3Dweb');
  if (!r.ok) throw new Error(`cannot list shop/app=web pods: ${r.error}`);
  const items = JSON.parse(r.body).items;
  const pod = items.find((p) => p.spec.containers.length === 1);
  if (!pod) throw new Error('no single-container app=web pod in namespace shop');
  return { name: pod.metadata.name, namespace: pod.metadata.namespace };
}

function serverSpec(who, sim, home, work) {
  const base = { PATH: env.PATH, HOME: home };
  switch (who) {
    case 'ours':
      return {
        command: CFG.bin,
        args: ['--kubeconfig-mode', 'LOCAL', '--kubeconfig-path', sim.kubeconfig,
          '--tools-dir', join(ROOT, 'tools'), '--log-level', 'warning'],
        env: base, cwd: work, // an empty directory: the server reads ./.env
      };
    case 'go':
      // The npm package's own launcher (bin/index.js) is a Node process that spawns this
      // binary; the bench runs the binary itself, so the pid (and RSS) is the server's.
      return { command: GO_BIN, args: ['--kubeconfig', sim.kubeconfig], env: { ...base, KUBECONFIG: sim.kubeconfig }, cwd: work };
    case 'ts':
      return { command: process.execPath, args: [TS_ENTRY], env: { ...base, KUBECONFIG: sim.kubeconfig }, cwd: work };
    default:
      throw new Error(who);
  }
}

/** Why a server cannot run at all (not installed), or null. */
function missing(who) {
  if (who === 'ours' && !existsSync(CFG.bin)) return `no binary at ${CFG.bin} (make build)`;
  if (who === 'go' && !existsSync(GO_BIN)) return 'npm kubernetes-mcp-server installed no linux-amd64 binary';
  if (who === 'ts' && !existsSync(TS_ENTRY)) return 'npm mcp-server-kubernetes is not installed';
  return null;
}

/** Our rows run once the tool is served; until then each says which file it waits for. */
function oursToolGap(tool, srv) {
  if (srv.tools.has(tool)) return null;
  if (!existsSync(join(ROOT, 'tools', `${tool}.lua`))) return `skipped: tools/${tool}.lua is not written yet`;
  const why = srv.stderrTail().split('\n').find((l) => l.includes(`/${tool}.lua`));
  return `the server does not list ${tool}${why ? `: ${why.replace(/^\S+\s+\S+\s+/, '')}` : ''}`;
}

/**
 * Where our time goes: for each operation, the API requests our tool makes (read back from the
 * simulator's request log after one more call) replayed on the direct client, p50 of
 * CFG.replays each. Ours minus that minus the MCP round trip is the work inside our server.
 */
async function attributeOurs(out, direct, srv, pod) {
  for (const op of OPS) {
    const cell = out.cells[op.id].ours;
    if (!cell || cell.error) continue;
    const [tool, args] = fill(op.ours, pod);
    await direct.get('/_sim/requests', { method: 'DELETE' });
    const r = await srv.call(tool, args);
    const seen = await direct.get('/_sim/requests');
    if (!r.ok || !seen.ok) continue;
    const reqs = JSON.parse(seen.body).requests.filter((q) => !q.path.startsWith('/_sim/'));
    let apiMs = 0;
    for (const q of reqs) {
      const path = q.query ? `${q.path}?${q.query}` : q.path;
      const lat = [];
      for (let i = 0; i < CFG.replays; i++) {
        const t = performance.now();
        const res = await direct.get(path, { accept: q.accept || '*/*' });
        if (!res.ok) break;
        lat.push(performance.now() - t);
      }
      if (lat.length) apiMs += percentile(lat.sort((a, b) => a - b), 50);
    }
    cell.api = { requests: reqs.map((q) => `${q.method} ${q.path}${q.query ? `?${q.query}` : ''}`), ms: apiMs };
    log(`  ours    ${op.id.padEnd(10)} its ${reqs.length} API request(s) replayed directly: ${apiMs.toFixed(2)} ms`);
  }
}

/** Starts one server CFG.cold times (the cold start is the median) and keeps the last one. */
async function startServer(who, sim, home, work, out) {
  const gone = missing(who);
  if (gone) { out.servers[who] = { error: `not installed: ${gone}` }; return null; }
  const colds = [];
  let srv = null;
  for (let i = 0; i < Math.max(1, CFG.cold); i++) {
    if (srv) await srv.close();
    try {
      srv = await startMcp(serverSpec(who, sim, home, work));
    } catch (e) {
      out.servers[who] = { error: `failed to start: ${e.message}` };
      return null;
    }
    colds.push(srv.coldMs);
  }
  colds.sort((a, b) => a - b);
  out.servers[who] = { coldMs: colds[Math.floor(colds.length / 2)] };
  log(`  ${who.padEnd(7)} started: cold start ${out.servers[who].coldMs.toFixed(1)} ms`);
  return srv;
}

/** A runner for measureGroup calling the server's tool for op, or {error} when it cannot. */
function serverRunner(who, srv, op, pod) {
  const [tool, args] = fill(op[who], pod);
  const gap = who === 'ours' ? oursToolGap(tool, srv) : (srv.tools.has(tool) ? null : `the server has no tool ${tool}`);
  if (gap) return { error: gap, skipped: who === 'ours' && gap.startsWith('skipped') };
  return { fn: () => srv.call(tool, args) };
}

function record(out, size, who, op, cell) {
  out.cells[op.id][who] = cell;
  saveSample(size, who, op.id, cell.sample?.toString() ?? cell.error);
  delete cell.sample;
  delete cell.warmed;
  const fig = cell.error ? cell.error.slice(0, 120) : `p50 ${cell.p50.toFixed(2)} ms, ${cell.bytes} B, n=${cell.n}`;
  log(`  ${who.padEnd(7)} ${op.id.padEnd(10)} ${fig}${cell.peakRssKb ? `, peak ${cell.peakRssKb} kB` : ''}`);
}

/** Times each group of runners ([who, runner]) together; runners that cannot run are recorded. */
async function timeGroup(out, size, op, group) {
  const live = group.filter(([who, r]) => {
    if (r.error) record(out, size, who, op, r);
    return !r.error;
  });
  if (!live.length) return [];
  const cells = await measureGroup(live.map(([, r]) => r));
  return live.map(([who], i) => [who, cells[i]]);
}

async function runSize(size, work) {
  const stateDir = mkdtempSync(join(work, `sim-${size}-`));
  const sim = await startSimulator(join(ROOT, 'tests', 'sim', 'k8s', 'server.py'), stateDir, size);
  const home = mkdtempSync(join(work, 'home-'));
  const out = { size, cells: Object.fromEntries(OPS.map((o) => [o.id, {}])), servers: {} };
  const servers = {};
  try {
    const direct = directClient(sim);
    const pod = await pickPod(direct);
    const all = await direct.get('/api/v1/pods'); // untimed: the simulator builds lazy pods on first use
    out.pods = all.ok ? JSON.parse(all.body).items.length : null;
    out.pod = `${pod.namespace}/${pod.name}`;
    log(`size ${size}: ${out.pods} pods, simulator on ${sim.server}, pod ${out.pod}`);
    const want = (who) => !CFG.only || CFG.only.includes(who);
    for (const who of ['ours', 'go', 'ts']) {
      if (want(who)) servers[who] = await startServer(who, sim, home, work, out);
    }
    const kubectl = want('kubectl') ? kubectlClient(sim.kubeconfig, home) : null;
    if (servers.ours?.tools.has('get_current_time')) {
      // What the protocol and the SDK client cost by themselves: a tool that does no I/O.
      const [noop] = await measureGroup([{ fn: () => servers.ours.call('get_current_time', {}) }]);
      if (!noop.error) out.servers.ours.noopMs = noop.p50;
      log(`  ours    get_current_time p50 ${noop.error || noop.p50.toFixed(2)} ms`);
    }

    for (const op of OPS) {
      // The floor and ours alternate call by call; the others run one after the other.
      const pair = [];
      if (want('direct')) pair.push(['direct', { fn: () => direct.get(fill(op.direct, pod)) }]);
      if (servers.ours) pair.push(['ours', serverRunner('ours', servers.ours, op, pod)]);
      for (const [who, cell] of await timeGroup(out, size, op, pair)) record(out, size, who, op, cell);
      if (kubectl) {
        const args = fill(op.kubectl, pod);
        // The untimed warm-ups run under /usr/bin/time for kubectl's peak RSS.
        const [[, cell]] = await timeGroup(out, size, op, [['kubectl', { fn: () => kubectl.run(args), warm: () => kubectl.runMeasured(args) }]]);
        const peaks = (cell.warmed || []).map((r) => r.peakRssKb).filter((k) => k != null);
        if (peaks.length) cell.peakRssKb = Math.max(...peaks);
        record(out, size, 'kubectl', op, cell);
      }
      for (const who of ['go', 'ts']) {
        if (!servers[who]) continue;
        for (const [w, cell] of await timeGroup(out, size, op, [[who, serverRunner(who, servers[who], op, pod)]])) record(out, size, w, op, cell);
      }
    }
    if (servers.ours) await attributeOurs(out, direct, servers.ours, pod);
    direct.close();

    for (const who of PACED) {
      const srv = servers[who];
      if (!srv) continue;
      await new Promise((r) => setTimeout(r, CFG.restMs));
      for (const op of OPS) {
        const back = out.cells[op.id][who];
        let cell;
        if (!back || back.error) continue;
        if (back.p50 >= 1000) { // such calls are paced by their own length
          cell = { error: 'not run: a call takes over 1 s, so back to back is already paced', skipped: true };
        } else {
          cell = await measurePaced(serverRunner(who, srv, op, pod).fn);
        }
        record(out, size, `${who}Paced`, op, cell);
      }
    }
    for (const [who, srv] of Object.entries(servers)) {
      if (!srv) continue;
      out.servers[who].rssKb = srv.rssKb();
      if (out.servers[who].rssKb === null) out.servers[who].error = `exited during the run; stderr: ${srv.stderrTail(600)}`;
    }
  } finally {
    for (const srv of Object.values(servers)) if (srv) await srv.close();
    await sim.stop();
  }
  return out;
}

function machine() {
  const sh = (cmd, args) => { try { return execFileSync(cmd, args, { encoding: 'utf8' }).trim(); } catch { return null; } };
  let kubectl = sh('kubectl', ['version', '--client', '-o', 'json']);
  try { kubectl = JSON.parse(kubectl).clientVersion.gitVersion; } catch { /* keep the raw text */ }
  return {
    load: loadavg().map((x) => x.toFixed(1)).join(' '),
    date: new Date().toISOString().slice(0, 16).replace('T', ' ') + ' UTC',
    cpus: cpus().length,
    cpu: cpus()[0]?.model,
    kernel: sh('uname', ['-r']),
    node: process.version,
    kubectl,
    commit: sh('git', ['-C', ROOT, 'rev-parse', '--short', 'HEAD']),
    dirty: (sh('git', ['-C', ROOT, 'status', '--porcelain', '--', 'src', 'lua', 'tools']) || '').length > 0,
    sdk: pkgVersion('@modelcontextprotocol/sdk'),
    go: pkgVersion('kubernetes-mcp-server'),
    ts: pkgVersion('mcp-server-kubernetes'),
    bin: CFG.bin,
  };
}

async function main() {
  try {
    checkSettings();
  } catch (e) {
    log(e.message);
    process.exit(2);
  }
  installCleanup();
  const t0 = performance.now();
  const loadBefore = loadavg().map((x) => x.toFixed(1)).join(' ');
  const work = mkdtempSync(join(env.BENCH_K8S_WORK || tmpdir(), 'bench-k8s-'));
  process.on('exit', () => rmSync(work, { recursive: true, force: true })); // also after a signal
  const runs = [];
  try {
    for (let r = 0; r < CFG.runs; r++) {
      if (CFG.runs > 1) log(`run ${r + 1} of ${CFG.runs}`);
      const sizes = [];
      for (const size of CFG.sizes) sizes.push(await runSize(size, work));
      runs.push(sizes);
    }
  } finally {
    killAll();
  }
  const result = { machine: { ...machine(), loadBefore }, cfg: { ...CFG, ops: OPS }, runs: runs.length, sizes: aggregate(runs), seconds: (performance.now() - t0) / 1000 };
  mkdirSync(join(ROOT, 'bench', 'results'), { recursive: true });
  writeFileSync(join(ROOT, 'bench', 'results', 'k8s-latest.json'), JSON.stringify({ ...result, raw: runs }, null, 1));
  const { markdown, failed } = renderReport(result);
  writeFileSync(join(HERE, 'results.md'), markdown);
  process.stdout.write(markdown);
  log(`done in ${result.seconds.toFixed(0)} s; bench/k8s/results.md written`);
  process.exitCode = failed ? 1 : 0;
}

main().catch((e) => {
  log(`FAILED: ${e.stack || e.message}`);
  killAll();
  process.exit(1);
});
