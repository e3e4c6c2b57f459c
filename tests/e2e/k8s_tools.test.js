// The kubernetes tool set against the Kubernetes API simulator, through the real server
// over stdio with the official SDK client: reads, output budgets with exact continue
// tokens, redaction, writes (dry run + diff, gated without --allow-write), and the bad
// input of issue #5 (kubeconfig problems, dead/slow/untrusted servers, unknown kinds, ...).
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import { legacyClient, listAllTools, resultText, ROOT, serverArgs, tempDir, withServer, callTool as call, toolFailed as failed, toolOk as ok } from './lib/harness.js';
import { k8sArgs, k8sServerFixture, startK8sSim } from './lib/k8s_sim.js';

const T = { timeout: 60000 };
const K8S_FIXTURES = join(ROOT, 'tests', 'fixtures', 'k8s');

describe('kubernetes tools (read-only)', () => {
  let sim;
  let s;
  k8sServerFixture({ args: ['--tools-dir', K8S_FIXTURES] }, (a, b) => {
    sim = a;
    s = b;
  });

  test('write tools are hidden without --allow-write; read tools are listed', T, async () => {
    const names = (await listAllTools(s.client)).map((t) => t.name);
    for (const n of ['k8s_list', 'k8s_get', 'k8s_describe', 'k8s_logs', 'k8s_events', 'k8s_top', 'k8s_api_resources']) {
      assert.ok(names.includes(n), `${n} listed`);
    }
    for (const n of ['k8s_apply', 'k8s_delete', 'k8s_patch', 'k8s_scale', 'k8s_rollout']) assert.ok(!names.includes(n), `${n} hidden`);
    await assert.rejects(call(s, 'k8s_delete', { kind: 'pods', name: 'sleeper' }), /--allow-write/);
  });

  test('k8s_list pods in all namespaces: a table with the namespace column', T, async () => {
    const res = ok(await call(s, 'k8s_list', { kind: 'po', all_namespaces: true }));
    const text = resultText(res);
    assert.match(text.split('\n')[0], /^NAMESPACE\s+NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE/);
    assert.match(text, /^shop\s+api-\S+\s+0\/1\s+CrashLoopBackOff\s+7/m);
    assert.match(text, /^default\s+sleeper\s/m);
    assert.equal(res.structuredContent.count, res.structuredContent.items.length);
    assert.ok(res.structuredContent.count >= 41);
  });

  test('k8s_list by short name, label selector, and a CRD by its short name', T, async () => {
    const web = ok(await call(s, 'k8s_list', { kind: 'deploy', namespace: 'shop', label_selector: 'app=web' }));
    assert.match(resultText(web), /^web\s+3\/3/m);
    const wg = ok(await call(s, 'k8s_list', { kind: 'wg', namespace: 'shop' }));
    assert.match(resultText(wg), /widget-a/);
    const named = ok(await call(s, 'k8s_list', { kind: 'deployments.apps', namespace: 'shop', output: 'name' }));
    assert.match(resultText(named), /^deployment\.apps\/web$/m);
  });

  test('k8s_get returns YAML without managedFields and with secret values redacted', T, async () => {
    const sec = ok(await call(s, 'k8s_get', { kind: 'secret', name: 'db-credentials', namespace: 'shop' }));
    const text = resultText(sec);
    assert.doesNotMatch(text, /managedFields/);
    assert.match(text, /redacted/);
    assert.match(text, /--show-secrets/);
    const json = ok(await call(s, 'k8s_get', { kind: 'pods', name: 'sleeper', namespace: 'default', output: 'json' }));
    assert.equal(JSON.parse(resultText(json).split('\n(')[0]).metadata.name, 'sleeper');
  });

  test('env values that look like credentials are redacted in pods', T, async () => {
    const list = ok(await call(s, 'k8s_list', { kind: 'pods', namespace: 'shop', label_selector: 'app=api', output: 'yaml' }));
    const text = resultText(list);
    assert.match(text, /API_TOKEN/);
    assert.match(text, /redacted/);
  });

  test('k8s_describe shows container states, the last termination reason and events', T, async () => {
    const pods = ok(await call(s, 'k8s_list', { kind: 'pods', namespace: 'shop', label_selector: 'app=worker', output: 'name' }));
    const name = resultText(pods).split('\n')[0].split('/')[1];
    const res = ok(await call(s, 'k8s_describe', { kind: 'pod', name, namespace: 'shop' }));
    const text = resultText(res);
    assert.match(text, /OOMKilled/);
    assert.match(text, /137/);
    assert.match(text, /Events:/);
    assert.ok(res.structuredContent.events.length > 0);
  });

  test('k8s_logs: tail, previous, grep, and workload/name', T, async () => {
    const prev = ok(await call(s, 'k8s_logs', { name: 'deploy/worker', namespace: 'shop', previous: true, tail: 50 }));
    assert.match(resultText(prev), /OutOfMemoryError/);
    const g = ok(await call(s, 'k8s_logs', { name: 'deploy/worker', namespace: 'shop', previous: true, grep: 'OutOfMemory|FATAL' }));
    for (const line of resultText(g).split('\n').filter((l) => l && !l.startsWith('('))) assert.match(line, /OutOfMemory|FATAL/);
  });

  test('a 100 MiB log comes back inside the output budget, cut at a whole line', T, async () => {
    const res = ok(await call(s, 'k8s_logs', { name: 'bulk-logger', namespace: 'default', tail: 100000 }));
    const text = resultText(res);
    assert.ok(Buffer.byteLength(text) <= 32768 + 400, `${Buffer.byteLength(text)} bytes`);
    assert.equal(res.structuredContent.truncated, true);
    assert.match(text, /earlier lines not shown/);
  });

  test('k8s_events for one object, and Warning only', T, async () => {
    const res = ok(await call(s, 'k8s_events', { namespace: 'shop', type: 'Warning' }));
    for (const e of res.structuredContent.events) assert.equal(e.type, 'Warning');
    assert.match(resultText(res), /BackOff|FailedScheduling/);
  });

  test('k8s_top pods and nodes', T, async () => {
    const pods = ok(await call(s, 'k8s_top', { namespace: 'shop', sort_by: 'memory' }));
    assert.match(resultText(pods), /^NAME\s+CPU\(cores\)\s+MEMORY\(bytes\)/i);
    const nodes = ok(await call(s, 'k8s_top', { resource: 'nodes' }));
    assert.match(resultText(nodes), /cn-hangzhou\.10\.0\.1\.11\s+\d+m\s+\d+%/);
  });

  test('k8s_api_resources lists built-in kinds and the CRD', T, async () => {
    const res = ok(await call(s, 'k8s_api_resources', {}));
    const text = resultText(res);
    assert.match(text, /^pods\s+po\s+v1\s+true\s+Pod/m);
    assert.match(text, /^widgets\s+wg\s+example\.com\/v1\s+true\s+Widget/m);
  });

  test('an unknown kind and a missing object get precise errors', T, async () => {
    failed(await call(s, 'k8s_list', { kind: 'flurbs' }), /doesn't have a resource type "flurbs"/);
    failed(await call(s, 'k8s_get', { kind: 'pod', name: 'nope', namespace: 'shop' }), /not found/);
    failed(await call(s, 'k8s_get', { kind: 'pods', name: 'x', namespace: 'no-such-ns' }), /not found/);
  });

  test('names cannot climb out of their path', T, async () => {
    failed(await call(s, 'k8s_get', { kind: 'pods', name: '../../nodes', namespace: 'shop' }), /not a valid object name/);
  });

  test('the write gate holds below the scripts: a tool that POSTs through kube.request is refused', T, async () => {
    const res = failed(await call(s, 'kube_raw', { method: 'POST', path: '/api/v1/namespaces/default/configmaps', body: '{"metadata":{"name":"x"}}' }), /--allow-write/);
    assert.equal(res._meta['ack-mcp-server/error'].code, 'WriteRefused');
    ok(await call(s, 'kube_raw', { method: 'POST', path: '/api/v1/namespaces/default/configmaps', query: { dryRun: 'All' }, body: '{"metadata":{"name":"x"}}' }));
    ok(await call(s, 'kube_raw', { method: 'POST', path: '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews', body: '{"spec":{"resourceAttributes":{"verb":"get","resource":"pods"}}}' }));
  });
});

describe('output budgets with 10,000 pods', () => {
  let sim;
  let s;
  k8sServerFixture({ sim: { pods: 10000 }, args: ['--max-output-bytes', '16384'] }, (a, b) => {
    sim = a;
    s = b;
  });

  test('a list past the budget stops at a whole row; continue walks every pod exactly once', T, async () => {
    const seen = new Set();
    let token;
    let pages = 0;
    do {
      const res = ok(await call(s, 'k8s_list', { kind: 'pods', namespace: 'load', limit: 2000, ...(token ? { continue: token } : {}) }));
      const text = resultText(res);
      assert.ok(Buffer.byteLength(text) <= 16384, `page ${pages}: ${Buffer.byteLength(text)} bytes`);
      for (const it of res.structuredContent.items) {
        assert.ok(!seen.has(it.name), `${it.name} seen twice`);
        seen.add(it.name);
      }
      token = res.structuredContent.continue;
      if (token) assert.match(text, /more pods; call again with continue=/);
      pages++;
    } while (token && pages < 400);
    assert.equal(seen.size, 10000);
  });
});

describe('kubernetes writes (--allow-write)', () => {
  let sim;
  let s;
  k8sServerFixture({ args: ['--allow-write'] }, (a, b) => {
    sim = a;
    s = b;
  });

  const manifest = `apiVersion: v1
kind: ConfigMap
metadata:
  name: e2e-cm
  namespace: default
data:
  mode: one
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: e2e-web
  namespace: default
spec:
  replicas: 1
  selector:
    matchLabels: {app: e2e-web}
  template:
    metadata:
      labels: {app: e2e-web}
    spec:
      containers:
      - name: web
        image: nginx:1.27
`;

  test('apply with dry_run stores nothing and shows a diff; then apply for real', T, async () => {
    const dry = ok(await call(s, 'k8s_apply', { manifest, dry_run: true }));
    assert.match(resultText(dry), /configmap\/e2e-cm created \(server dry run\)/);
    assert.match(resultText(dry), /\+\s*mode: one/);
    failed(await call(s, 'k8s_get', { kind: 'cm', name: 'e2e-cm', namespace: 'default' }), /not found/);
    const real = ok(await call(s, 'k8s_apply', { manifest }));
    assert.match(resultText(real), /deployment\.apps\/e2e-web created/);
    const again = ok(await call(s, 'k8s_apply', { manifest: manifest.replace('mode: one', 'mode: two'), dry_run: true }));
    assert.match(resultText(again), /-\s*mode: one/);
    assert.match(resultText(again), /\+\s*mode: two/);
  });

  test('a malformed manifest and a bad document change nothing', T, async () => {
    failed(await call(s, 'k8s_apply', { manifest: 'kind: [unclosed' }), /not valid YAML/);
    const bad = `${manifest.replace(/e2e-/g, 'e2e2-')}---\napiVersion: v1\nkind: Flurb\nmetadata:\n  name: x\n`;
    failed(await call(s, 'k8s_apply', { manifest: bad }), /document 3/);
    failed(await call(s, 'k8s_get', { kind: 'cm', name: 'e2e2-cm', namespace: 'default' }), /not found/);
  });

  test('patch: the three types, a diff, and a patch that does not apply', T, async () => {
    const sm = ok(await call(s, 'k8s_patch', { kind: 'cm', name: 'e2e-cm', namespace: 'default', patch: { data: { extra: 'x' } } }));
    assert.match(resultText(sm), /\+\s*extra: x/);
    ok(await call(s, 'k8s_patch', { kind: 'cm', name: 'e2e-cm', namespace: 'default', type: 'merge', patch: '{"data":{"extra":null}}' }));
    const jp = ok(await call(s, 'k8s_patch', { kind: 'cm', name: 'e2e-cm', namespace: 'default', type: 'json', patch: [{ op: 'replace', path: '/data/mode', value: 'three' }] }));
    assert.match(resultText(jp), /\+\s*mode: three/);
    failed(await call(s, 'k8s_patch', { kind: 'cm', name: 'e2e-cm', namespace: 'default', type: 'json', patch: [{ op: 'test', path: '/data/mode', value: 'nope' }] }));
  });

  test('scale and rollout restart, history, undo', T, async () => {
    const sc = ok(await call(s, 'k8s_scale', { name: 'e2e-web', namespace: 'default', replicas: 3 }));
    assert.match(resultText(sc), /scaled from 1 to 3/);
    const hist = ok(await call(s, 'k8s_rollout', { action: 'history', name: 'web', namespace: 'shop' }));
    assert.ok(hist.structuredContent.revisions.length >= 2);
    ok(await call(s, 'k8s_rollout', { action: 'restart', name: 'e2e-web', namespace: 'default' }));
    const undo = ok(await call(s, 'k8s_rollout', { action: 'undo', name: 'web', namespace: 'shop', dry_run: true }));
    assert.match(resultText(undo), /rolled back to revision/);
    const st = ok(await call(s, 'k8s_rollout', { action: 'status', name: 'api', namespace: 'shop' }));
    assert.match(resultText(st), /progress deadline/);
  });

  test('delete with dry run keeps the object; delete removes it', T, async () => {
    ok(await call(s, 'k8s_delete', { kind: 'cm', name: 'e2e-cm', namespace: 'default', dry_run: true }));
    ok(await call(s, 'k8s_get', { kind: 'cm', name: 'e2e-cm', namespace: 'default' }));
    ok(await call(s, 'k8s_delete', { kind: 'cm', name: 'e2e-cm', namespace: 'default' }));
    failed(await call(s, 'k8s_get', { kind: 'cm', name: 'e2e-cm', namespace: 'default' }), /not found/);
  });

  test('a forbidden delete surfaces the API server\'s 403', T, async () => {
    failed(await call(s, 'k8s_delete', { kind: 'node', name: 'cn-hangzhou.10.0.1.13' }), /Forbidden|forbidden/);
  });
});

describe('kubeconfig and connection problems', () => {
  let sim;
  let dir;
  before(async () => {
    sim = await startK8sSim({ latencyMs: 0 });
    dir = tempDir('ack-e2e-kc-');
  });
  after(async () => {
    await sim?.stop();
    dir?.cleanup();
  });

  async function withArgs(args, fn) {
    return withServer(legacyClient({ args: serverArgs(args) }), fn);
  }

  test('a missing kubeconfig: the tool says which setting to change; other tools keep working', T, async () => {
    await withArgs(['--kubeconfig-mode', 'LOCAL', '--kubeconfig-path', join(dir.dir, 'nope')], async (s) => {
      failed(await call(s, 'k8s_list', { kind: 'pods' }), /not found.*--kubeconfig-path/);
      ok(await call(s, 'get_current_time', {}));
    });
  });

  test('a kubeconfig that is not YAML names the line', T, async () => {
    const p = join(dir.dir, 'bad');
    writeFileSync(p, 'apiVersion: v1\nclusters: [\n  - {name: x\n');
    await withArgs(['--kubeconfig-mode', 'LOCAL', '--kubeconfig-path', p], async (s) => {
      failed(await call(s, 'k8s_list', { kind: 'pods' }), /line \d+/);
    });
  });

  test('a missing context lists the ones there are', T, async () => {
    await withArgs(k8sArgs(sim), async (s) => {
      failed(await call(s, 'k8s_list', { kind: 'pods', context: 'nope' }), /context "nope" is not in .*sim-cert/);
    });
  });

  test('an expired token, a TLS name mismatch and an untrusted CA are told apart', T, async () => {
    await withArgs(k8sArgs(sim), async (s) => {
      failed(await call(s, 'k8s_list', { kind: 'pods', context: 'sim-expired' }), /Unauthorized|credentials/);
      failed(await call(s, 'k8s_list', { kind: 'pods', context: 'sim-tls-mismatch' }), /TLSError|certificate|wrong-name/i);
      failed(await call(s, 'k8s_list', { kind: 'pods', context: 'sim-untrusted' }), /TLSError|certificate/i);
      ok(await call(s, 'k8s_list', { kind: 'pods', context: 'sim-cert', namespace: 'shop' }));
      ok(await call(s, 'k8s_list', { kind: 'pods', context: 'sim-token-file', namespace: 'shop' }));
      ok(await call(s, 'k8s_list', { kind: 'pods', context: 'sim-insecure', namespace: 'shop' }));
    });
  });

  test('a dead server fails fast; a slow one times out with --kubectl-timeout', T, async () => {
    const port = await new Promise((r) => {
      const srv = createServer();
      srv.listen(0, '127.0.0.1', () => {
        const p = srv.address().port;
        srv.close(() => r(p));
      });
    });
    const dead = join(dir.dir, 'dead');
    writeFileSync(dead, `apiVersion: v1\nkind: Config\ncurrent-context: d\nclusters:\n- name: d\n  cluster: {server: "https://127.0.0.1:${port}", insecure-skip-tls-verify: true}\nusers:\n- name: u\n  user: {token: t}\ncontexts:\n- name: d\n  context: {cluster: d, user: u}\n`);
    await withArgs(['--kubeconfig-mode', 'LOCAL', '--kubeconfig-path', dead], async (s) => {
      failed(await call(s, 'k8s_list', { kind: 'pods' }), /ConnectionFailed|connect/i);
    });
    const slow = await startK8sSim({ latencyMs: 3000 });
    try {
      await withArgs(k8sArgs(slow, ['--kubectl-timeout', '1']), async (s) => {
        const t0 = Date.now();
        failed(await call(s, 'k8s_list', { kind: 'pods' }), /Timeout|in time/i);
        assert.ok(Date.now() - t0 < 10000);
      });
    } finally {
      await slow.stop();
    }
  });
});
