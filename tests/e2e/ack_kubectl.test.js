// ack_kubectl against the Kubernetes API simulator, through the real server over stdio with
// the official SDK client: outputs compared byte for byte with what the real `kubectl` prints
// against the same simulator (where kubectl's output is deterministic), every injection
// attempt of issue #5 refused before any request reaches the cluster, the write gate, output
// budgets with exact continue tokens, bounded watches and logs, and writes with --allow-write.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';

import { legacyClient, listAllTools, rawRequest, resultText, serverArgs } from './lib/harness.js';
import { k8sArgs, k8sServerFixture, startK8sSim } from './lib/k8s_sim.js';

const T = { timeout: 90000 };
const BUDGET = 32768;

const KUBECTL = spawnSync('kubectl', ['version', '--client'], { encoding: 'utf8' }).status === 0;
const withKubectl = KUBECTL ? T : { ...T, skip: 'kubectl is not installed' };

/** Runs the real kubectl against the simulator: {stdout, stderr, status}. */
function kubectl(sim, args) {
  const r = spawnSync('kubectl', args, {
    encoding: 'utf8',
    env: { PATH: process.env.PATH, HOME: process.env.HOME, KUBECONFIG: sim.kubeconfig },
    timeout: 60000,
  });
  return { stdout: r.stdout, stderr: r.stderr, status: r.status };
}

/** A word list as one POSIX-quoted command line (what a model sends to ack_kubectl). */
function line(args) {
  return args.map((a) => (/^[\w./:=,-]+$/.test(a) ? a : `'${a.replace(/'/g, "'\\''")}'`)).join(' ');
}

async function run(s, command, extra = {}) {
  const res = await s.client.callTool({ name: 'ack_kubectl', arguments: { command, ...extra } });
  assert.ok(!res.isError, `ack_kubectl ${command} failed: ${resultText(res)}`);
  return res.structuredContent;
}

async function refused(s, command, code, re, extra = {}) {
  const res = await s.client.callTool({ name: 'ack_kubectl', arguments: { command, ...extra } });
  assert.equal(res.isError, true, `expected a refusal of ${JSON.stringify(command)}, got: ${resultText(res).slice(0, 300)}`);
  assert.equal(res._meta?.['ack-mcp-server/error']?.code, code, resultText(res));
  if (re) assert.match(resultText(res), re);
  return resultText(res);
}

/**
 * Compares ack_kubectl's stdout (and exit code) with kubectl's for the same words. Ages in
 * tables tick with the clock, so a mismatch is retried twice: a real difference stays.
 */
async function sameAsKubectl(s, sim, args, { stderr = false } = {}) {
  let ours;
  let theirs;
  for (let attempt = 0; attempt < 3; attempt++) {
    ours = await run(s, line(args));
    theirs = kubectl(sim, args);
    if (ours.stdout === theirs.stdout && ours.exit_code === theirs.status && (!stderr || ours.stderr === theirs.stderr)) return ours;
  }
  assert.equal(ours.stdout, theirs.stdout, `stdout of: kubectl ${line(args)}`);
  assert.equal(ours.exit_code, theirs.status, `exit code of: kubectl ${line(args)}`);
  if (stderr) assert.equal(ours.stderr, theirs.stderr, `stderr of: kubectl ${line(args)}`);
  return ours;
}

/** The sequence number of the last API request the simulator logged. */
async function lastRequest(sim) {
  const log = await rawRequest(`${sim.server}/_sim/requests?since=0`, { tls: { ca: readFileSync(sim.ca) } });
  const list = JSON.parse(log.body).requests;
  return list.length ? list[list.length - 1].seq : 0;
}

describe('ack_kubectl (read-only server)', () => {
  let sim;
  let s;
  k8sServerFixture({}, (a, b) => {
    sim = a;
    s = b;
  });

  test('is listed as a read tool with its arguments', T, async () => {
    const tool = (await listAllTools(s.client)).find((t) => t.name === 'ack_kubectl');
    assert.ok(tool, 'ack_kubectl listed');
    assert.equal(tool.annotations.readOnlyHint, true);
    assert.deepEqual(tool.inputSchema.required, ['command']);
    for (const k of ['command', 'manifest', 'context', 'cluster_id']) assert.ok(tool.inputSchema.properties[k], k);
    assert.deepEqual(Object.keys(tool.outputSchema.properties).sort(), ['command', 'exit_code', 'stderr', 'stdout', 'truncated']);
  });

  test('get prints what kubectl prints: tables, -o name, jsonpath, custom-columns, -L, --show-labels, several types', withKubectl, async () => {
    const redis = kubectl(sim, ['get', 'pods', '-n', 'shop', '-l', 'app=redis', '-o', 'jsonpath={.items[0].metadata.name}']).stdout;
    assert.equal(redis, 'redis-0');
    const cases = [
      ['get', 'pods', '-n', 'batch'],
      ['get', 'pods', '-n', 'shop', '-l', 'app=web', '-o', 'wide'],
      ['get', 'deploy', '-n', 'shop', '-o', 'name'],
      ['get', 'deployments.apps', '-n', 'shop', '-o', 'name', '--sort-by=.metadata.name'],
      ['get', 'pod', 'redis-0', '-n', 'shop', '-o', 'jsonpath={.status.phase}'],
      ['get', 'pods', '-n', 'shop', '-o', 'jsonpath={range .items[*]}{.metadata.name}{"\\t"}{.spec.nodeName}{"\\n"}{end}'],
      ['get', 'pods', '-n', 'shop', '-o', 'jsonpath={.items[?(@.status.phase=="Pending")].metadata.name}'],
      ['get', 'pods', '-n', 'shop', '-l', 'app=web', '-o', 'jsonpath={.items[0].metadata.labels}'],
      ['get', 'pods', '-n', 'shop', '-o', 'jsonpath-as-json={.items[0:2].metadata.name}'],
      ['get', 'pods', '-n', 'shop', '-l', 'app=web', '-o', 'custom-columns=NAME:.metadata.name,LABELS:.metadata.labels,C:.spec.containers[*].name'],
      ['get', 'svc', '-n', 'shop', '--show-labels'],
      ['get', 'deploy', '-n', 'shop', '-L', 'app'],
      ['get', 'nodes'],
      ['get', 'nodes', '-o', 'jsonpath={.items[*].status.capacity}'],
      ['get', 'svc,deploy', '-n', 'shop'],
      ['get', 'all', '-n', 'batch'],
      ['get', 'cm', '-A', '--field-selector', 'metadata.name=kube-root-ca.crt', '-o', 'name'],
      ['-n', 'shop', 'get', 'svc', 'web', '-o', 'jsonpath={.status.loadBalancer.ingress[0].ip}'],
      ['get', 'ing,pdb,hpa', '-n', 'shop'],
      ['get', 'cj,jobs', '-n', 'batch', '-o', 'wide'],
      ['get', 'wg', '-n', 'shop'],
      ['get', 'pods', '-n', 'shop', '--field-selector=status.phase=Pending', '--no-headers'],
      ['get', '--raw', '/version'],
    ];
    for (const args of cases) await sameAsKubectl(s, sim, args);
  });

  test('get -o json is kubectl\'s JSON, less the last-applied annotation', withKubectl, async () => {
    const ours = JSON.parse((await run(s, 'get deploy web -n shop -o json')).stdout);
    const theirs = JSON.parse(kubectl(sim, ['get', 'deploy', 'web', '-n', 'shop', '-o', 'json']).stdout);
    delete theirs.metadata.annotations['kubectl.kubernetes.io/last-applied-configuration'];
    assert.deepEqual(ours, theirs);
    const text = (await run(s, 'get svc -n shop -o json')).stdout;
    assert.match(text, /^{\n {4}"apiVersion": "v1",\n {4}"items": \[/);
  });

  test('errors are kubectl\'s, with exit code 1', withKubectl, async () => {
    await sameAsKubectl(s, sim, ['get', 'pod', 'nope', '-n', 'shop'], { stderr: true });
    await sameAsKubectl(s, sim, ['get', 'pods', '-n', 'nope'], { stderr: true });
    await sameAsKubectl(s, sim, ['delete', 'pod', 'nope', '-n', 'shop', '--dry-run=server'], { stderr: true });
    const unknown = await run(s, 'get flurbs');
    assert.equal(unknown.exit_code, 1);
    assert.match(unknown.stderr, /^error: the server doesn't have a resource type "flurbs"/);
    const bad = await run(s, 'get pods -n shop -o jsonpath={.items[99]}');
    assert.equal(bad.exit_code, 1);
    assert.match(bad.stderr, /array index out of bounds: index 99/);
  });

  test('--context and the context argument pick a kubeconfig context; credential problems read as kubectl\'s', withKubectl, async () => {
    await sameAsKubectl(s, sim, ['get', 'secrets', '-n', 'shop', '--context=sim-viewer'], { stderr: true });
    await sameAsKubectl(s, sim, ['auth', 'can-i', 'delete', 'pods', '-n', 'shop', '--context', 'sim-viewer']);
    const viaArg = await run(s, 'auth can-i delete pods -n shop', { context: 'sim-viewer' });
    assert.equal(viaArg.stdout, 'no\n');
    await refused(s, 'get pods --context=sim', 'InvalidCommand', /disagree/, { context: 'sim-viewer' });
    const expired = await run(s, 'get pods --context=sim-expired');
    assert.equal(expired.exit_code, 1);
    assert.equal(expired.stderr.split('\n')[0], kubectl(sim, ['get', 'pods', '--context=sim-expired']).stderr.trim());
    const tls = await run(s, 'get pods --context=sim-tls-mismatch');
    assert.equal(tls.exit_code, 1);
    assert.match(tls.stderr, /^Unable to connect to the server: .*wrong-name\.example\.com/);
    await refused(s, 'get pods --context=nope', 'NoCluster', /context "nope"/);
  });

  test('describe, logs, events, top, rollout status/history, auth', withKubectl, async () => {
    const d = await run(s, 'describe pod -n shop -l app=worker');
    assert.match(d.stdout, /OOMKilled/);
    assert.match(d.stdout, /Events:/);
    const prefix = await run(s, 'describe deploy web -n shop');
    assert.match(prefix.stdout, /^Name:\s+web$/m);

    const prev = await run(s, 'logs -n shop deploy/worker -p --tail=20');
    assert.match(prev.stdout, /OutOfMemoryError/);
    assert.match(prev.stderr, /^$|Found \d+ pods/);
    const def = await run(s, 'logs -n monitoring deploy/prometheus --tail 1');
    assert.equal(def.stderr, kubectl(sim, ['logs', '-n', 'monitoring', 'deploy/prometheus', '--tail', '1']).stderr);
    const pending = await run(s, 'logs -n shop deploy/payments');
    assert.equal(pending.exit_code, 1);
    assert.match(pending.stderr, /^Error from server \(BadRequest\):/m);

    const ev = await run(s, 'events -n shop --for deploy/web');
    assert.match(ev.stdout, /^LAST SEEN\s+TYPE\s+REASON\s+OBJECT\s+MESSAGE$/m);
    assert.match(ev.stdout, /Deployment\/web/);
    const warn = await run(s, 'events -n shop --types=Warning');
    for (const l of warn.stdout.trim().split('\n').slice(1)) assert.match(l, /\sWarning\s/);

    const top = await run(s, 'top pod -n shop --sort-by=memory');
    assert.match(top.stdout.split('\n')[1], /^worker-\S+\s+\d+m\s+\d+Mi$/);
    const topNodes = await run(s, 'top node');
    assert.equal(topNodes.stdout.split('\n').length, 5);

    await sameAsKubectl(s, sim, ['rollout', 'history', 'deploy/web', '-n', 'shop']);
    await sameAsKubectl(s, sim, ['rollout', 'status', 'deploy/web', '-n', 'shop']);
    const failing = await sameAsKubectl(s, sim, ['rollout', 'status', 'deploy/api', '-n', 'shop'], { stderr: true });
    assert.equal(failing.stderr, 'error: deployment "api" exceeded its progress deadline\n');
    await sameAsKubectl(s, sim, ['auth', 'can-i', 'list', 'pods', '-n', 'shop']);
    await sameAsKubectl(s, sim, ['auth', 'can-i', 'delete', 'nodes'], { stderr: true });
    await sameAsKubectl(s, sim, ['auth', 'whoami']);
  });

  test('api-resources, api-versions and explain read discovery and OpenAPI v3 as kubectl does', withKubectl, async () => {
    for (const args of [['api-resources'], ['api-resources', '--namespaced=false'], ['api-resources', '--api-group=apps', '-o', 'name'],
      ['api-versions'], ['explain', 'pods'], ['explain', 'pods.spec.containers.env'], ['explain', 'deploy.spec.strategy'],
      ['explain', 'pods.spec', '--recursive'], ['explain', 'widgets'], ['explain', 'pods.spec.nope']]) {
      await sameAsKubectl(s, sim, args);
    }
  });

  test('secrets are redacted in every output format', T, async () => {
    for (const c of ['get secret db-credentials -n shop -o yaml', 'get secret db-credentials -n shop -o json',
      'get secret db-credentials -n shop -o jsonpath={.data.password}', 'get --raw /api/v1/namespaces/shop/secrets/db-credentials',
      'describe secret db-credentials -n shop']) {
      const r = await run(s, c);
      assert.doesNotMatch(r.stdout, /c3VwZXI|hunter|password123/i, c);
      if (!c.startsWith('describe')) {
        assert.match(r.stdout, /redacted/, c);
        assert.match(r.stderr, /--show-secrets/, c);
      }
    }
    const pods = await run(s, 'get pods -n shop -l app=api -o yaml');
    assert.match(pods.stdout, /API_TOKEN/);
    assert.match(pods.stdout, /redacted/);
  });

  test('every injection attempt is refused before any request reaches the cluster', T, async () => {
    await run(s, 'get ns'); // discovery warmed, so a stray request would show
    const before = await lastRequest(sim);
    const attempts = [
      'get pods; rm -rf /', 'get pods;kubectl delete ns shop', 'get pods $(rm -rf /)', 'get pods `id`',
      'get pods | sh', 'get pods || true', 'get pods && kubectl delete ns shop', 'get pods & sleep 1',
      'get pods > /tmp/x', 'get pods 2>&1', 'apply -f - <<EOF', 'get pods < /etc/passwd',
      'get pods\nkubectl delete ns shop', 'get pods $HOME', 'get pods ${IFS}rm', 'get pods "$(id)"',
      'get pods "`id`"', 'get pods (x)', 'get pods # hidden',
    ];
    for (const c of attempts) await refused(s, c, 'ShellSyntax', /no shell runs here/);
    for (const c of ['exec -it web-1 -- sh', 'exec web-1 -- cat /etc/passwd', 'attach web-1', 'cp web-1:/etc/passwd /tmp/p',
      'port-forward svc/web 8080:80', 'proxy', 'edit deploy/web', 'debug web-1 -it --image=busybox']) {
      await refused(s, c, 'Unsupported', /k8s_|get --raw|patch/);
    }
    for (const c of ['get pods --kubeconfig=/etc/kubernetes/admin.conf', 'get pods --token=abc', 'get pods -s https://evil.example',
      'get pods --as=system:admin', '--server https://evil.example get pods', 'get pods --insecure-skip-tls-verify']) {
      await refused(s, c, 'Refused', /context/);
    }
    await refused(s, 'apply -f /etc/passwd', 'Unsupported', /manifest/);
    await refused(s, 'get pods -n ../../api', 'InvalidCommand', /not a valid name/);
    assert.equal(await lastRequest(sim), before, 'no API request was sent');
  });

  test('a write is refused in read-only mode with a clear message; a dry run goes through', withKubectl, async () => {
    const msg = await refused(s, 'delete pod sleeper -n default', 'WriteRefused', /`delete` changes the cluster; the server runs read-only \(start it with --allow-write\)/);
    assert.match(msg, /--dry-run=server/);
    await refused(s, 'scale deploy web -n shop --replicas=1', 'WriteRefused', /`scale`/);
    await refused(s, 'drain cn-hangzhou.10.0.1.13 --ignore-daemonsets', 'WriteRefused', /`drain`/);
    await sameAsKubectl(s, sim, ['delete', 'pod', 'sleeper', '-n', 'default', '--dry-run=server']);
    await sameAsKubectl(s, sim, ['scale', 'deploy/web', '-n', 'shop', '--replicas=1', '--dry-run=server']);
    await sameAsKubectl(s, sim, ['cordon', 'cn-hangzhou.10.0.1.13', '--dry-run=server']);
    const still = await run(s, 'get pod sleeper -n default -o name');
    assert.equal(still.stdout, 'pod/sleeper\n');
  });

  test('a bad manifest and a missing one get precise errors', T, async () => {
    await refused(s, 'apply -f - --dry-run=server', 'InvalidCommand', /manifest/);
    await refused(s, 'apply -f - --dry-run=server', 'InvalidManifest', /not valid YAML|line/, { manifest: 'kind: [unclosed' });
    await refused(s, 'apply -f - --dry-run=server', 'InvalidManifest', /'Kind' or 'apiVersion' is missing/, { manifest: 'metadata:\n  name: x\n' });
    const r = await run(s, 'apply -f - --dry-run=server', {
      manifest: 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: dry\n  namespace: shop\ndata:\n  a: "1"\n',
    });
    assert.equal(r.stdout, 'configmap/dry created (server dry run)\n');
  });

  test('-w is bounded by --request-timeout and says so; logs -f returns the log so far', T, async () => {
    const w = await run(s, 'get pods -n shop -w --request-timeout=1s');
    assert.match(w.stdout, /^NAME\s+READY/);
    assert.match(w.stderr, /watched for 1s/);
    const f = await run(s, 'logs -n default sleeper -f --tail=3');
    assert.match(f.stderr, /-f does not stream here/);
    assert.equal(f.exit_code, 0);
  });

  test('a 100 MiB log comes back inside the budget, newest lines, cut at a whole line', T, async () => {
    const r = await run(s, 'logs -n default bulk-logger');
    assert.ok(Buffer.byteLength(r.stdout) <= BUDGET, `${Buffer.byteLength(r.stdout)} bytes`);
    assert.equal(r.truncated, true);
    assert.match(r.stderr, /earlier log lines not shown/);
    const lines = r.stdout.trimEnd().split('\n');
    assert.match(lines[lines.length - 1], /^001048575 /);
    for (const l of lines) assert.equal(l.length, lines[0].length, 'whole lines only');
  });
});

describe('ack_kubectl on a large cluster', () => {
  let sim;
  let s;
  k8sServerFixture({ sim: { pods: 3000 } }, (a, b) => {
    sim = a;
    s = b;
  });

  test('a 3,000-pod list stops at a whole row inside the budget with an exact continue token', withKubectl, async () => {
    const all = kubectl(sim, ['get', 'pods', '-n', 'load', '-o', 'name']).stdout.trim().split('\n');
    assert.equal(all.length, 3000);
    const first = await run(s, 'get pods -n load');
    assert.ok(Buffer.byteLength(first.stdout) <= BUDGET, `${Buffer.byteLength(first.stdout)} bytes`);
    assert.equal(first.truncated, true);
    const rows = first.stdout.trimEnd().split('\n');
    const note = rows.pop();
    const token = /--continue=(\S+)/.exec(note)[1];
    const shown = rows.slice(1).map((l) => `pod/${l.split(/\s+/)[0]}`);
    assert.deepEqual(shown, all.slice(0, shown.length));
    assert.match(note, new RegExp(`^\\[${3000 - shown.length} more pods not shown`));
    const next = await run(s, `get pods -n load --continue=${token} -o name --limit=2`);
    assert.deepEqual(next.stdout.trim().split('\n'), all.slice(shown.length, shown.length + 2));
  });

  test('-o name, json, yaml, custom-columns, --sort-by and describe of 3,000 pods stay inside the budget', T, async () => {
    for (const c of ['get pods -A -o name', 'get pods -n load -o json', 'get pods -n load -o yaml', 'describe pods -n load',
      'get pods -n load --sort-by=.metadata.creationTimestamp', 'get pods -n load -o custom-columns=NAME:.metadata.name,NODE:.spec.nodeName']) {
      const r = await run(s, c);
      assert.ok(Buffer.byteLength(r.stdout) <= BUDGET, `${c}: ${Buffer.byteLength(r.stdout)} bytes`);
      assert.equal(r.truncated, true, c);
    }
  });
});

describe('ack_kubectl with --allow-write', () => {
  let sim;
  let s;
  k8sServerFixture({ args: ['--allow-write'] }, (a, b) => {
    sim = a;
    s = b;
  });

  const MANIFEST = `apiVersion: v1
kind: ConfigMap
metadata:
  name: kc-config
  namespace: shop
data:
  mode: blue
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: kc-web
  namespace: shop
spec:
  replicas: 1
  selector:
    matchLabels: {app: kc-web}
  template:
    metadata:
      labels: {app: kc-web}
    spec:
      containers:
      - name: web
        image: nginx:1.25
`;

  test('is listed as a write tool', T, async () => {
    const tool = (await listAllTools(s.client)).find((t) => t.name === 'ack_kubectl');
    assert.equal(tool.annotations.readOnlyHint, false);
    assert.equal(tool.annotations.destructiveHint, true);
  });

  test('apply -f - creates, then reports unchanged, then configured', T, async () => {
    assert.equal((await run(s, 'apply -f -', { manifest: MANIFEST })).stdout, 'configmap/kc-config created\ndeployment.apps/kc-web created\n');
    assert.equal((await run(s, 'apply -f -', { manifest: MANIFEST })).stdout, 'configmap/kc-config unchanged\ndeployment.apps/kc-web unchanged\n');
    const changed = MANIFEST.replace('mode: blue', 'mode: green');
    assert.equal((await run(s, 'apply -f -', { manifest: changed })).stdout, 'configmap/kc-config configured\ndeployment.apps/kc-web unchanged\n');
    assert.equal((await run(s, 'get cm kc-config -n shop -o jsonpath={.data.mode}')).stdout, 'green');
    const dup = await run(s, 'create -f -', { manifest: MANIFEST });
    assert.equal(dup.exit_code, 1);
    assert.match(dup.stderr, /^Error from server \(AlreadyExists\): error when creating "STDIN": configmaps "kc-config" already exists$/m);
  });

  test('scale, patch (three types), label, annotate, rollout restart/undo', withKubectl, async () => {
    assert.equal((await run(s, 'scale deploy/kc-web -n shop --replicas=2')).stdout, 'deployment.apps/kc-web scaled\n');
    assert.equal((await run(s, 'get deploy kc-web -n shop -o jsonpath={.spec.replicas}')).stdout, '2');
    const pre = await run(s, 'scale deploy/kc-web -n shop --replicas=3 --current-replicas=5');
    assert.equal(pre.exit_code, 1);
    assert.equal(pre.stderr, 'error: Expected replicas to be 5, was 2\n');

    assert.equal((await run(s, `patch deploy kc-web -n shop -p '{"spec":{"replicas":3}}'`)).stdout, 'deployment.apps/kc-web patched\n');
    assert.equal((await run(s, `patch deploy kc-web -n shop --type=merge -p '{"spec":{"replicas":3}}'`)).stdout,
      'deployment.apps/kc-web patched (no change)\n');
    assert.equal((await run(s, `patch deploy/kc-web -n shop --type=json -p '[{"op":"replace","path":"/spec/replicas","value":1}]'`)).stdout,
      'deployment.apps/kc-web patched\n');
    const badPatch = await run(s, `patch deploy kc-web -n shop --type=json -p '[{"op":"remove","path":"/spec/nope"}]'`);
    assert.equal(badPatch.exit_code, 1);
    assert.match(badPatch.stderr, /^Error from server/);

    assert.equal((await run(s, 'label deploy kc-web -n shop team=a')).stdout, 'deployment.apps/kc-web labeled\n');
    const clash = await run(s, 'label deploy kc-web -n shop team=b');
    assert.equal(clash.stderr, "error: 'team' already has a value (a), and --overwrite is false\n");
    assert.equal((await run(s, 'label deploy kc-web -n shop team=b --overwrite')).stdout, 'deployment.apps/kc-web labeled\n');
    assert.equal((await run(s, 'label deploy kc-web -n shop team-')).stdout, 'deployment.apps/kc-web labeled\n');
    assert.equal((await run(s, "annotate deploy kc-web -n shop note='hello world'")).stdout, 'deployment.apps/kc-web annotated\n');
    assert.equal((await run(s, 'get deploy kc-web -n shop -o jsonpath={.metadata.annotations.note}')).stdout, 'hello world');

    assert.equal((await run(s, 'rollout restart deploy/kc-web -n shop')).stdout, 'deployment.apps/kc-web restarted\n');
    const hist = await run(s, 'rollout history deploy/kc-web -n shop');
    assert.match(hist.stdout, /^1\s+<none>\n2\s+<none>$/m);
    assert.equal((await run(s, 'rollout undo deploy/kc-web -n shop --to-revision=1')).stdout, 'deployment.apps/kc-web rolled back\n');
    assert.equal((await run(s, 'rollout status deploy/kc-web -n shop')).stdout, 'deployment "kc-web" successfully rolled out\n');
    const none = await run(s, 'rollout undo deploy/kc-web -n shop --to-revision=9');
    assert.equal(none.stderr, 'error: unable to find specified revision 9 in history\n');
  });

  test('cordon, uncordon and drain a node (cordon + evictions)', withKubectl, async () => {
    assert.equal((await run(s, 'cordon cn-hangzhou.10.0.1.13')).stdout, 'node/cn-hangzhou.10.0.1.13 cordoned\n');
    assert.equal((await run(s, 'cordon cn-hangzhou.10.0.1.13')).stdout, 'node/cn-hangzhou.10.0.1.13 already cordoned\n');
    assert.equal((await run(s, 'uncordon cn-hangzhou.10.0.1.13')).stdout, 'node/cn-hangzhou.10.0.1.13 uncordoned\n');

    const blocked = await run(s, 'drain cn-hangzhou.10.0.1.11');
    assert.equal(blocked.exit_code, 1);
    // kubectl lists the reasons in map order (random) and doubles "cannot delete" in one of
    // them; the same reasons and pods, in any order, is the same refusal
    const theirs = kubectl(sim, ['drain', 'cn-hangzhou.10.0.1.11', '--dry-run=server']);
    const reasons = (text) => text.replace(/cannot delete cannot delete/g, 'cannot delete').split('\n')
      .filter((l) => l.startsWith('cannot delete')).sort();
    assert.deepEqual(reasons(blocked.stderr), reasons(theirs.stderr), 'the same refusal as kubectl');
    assert.match(blocked.stderr, /^error: unable to drain node "cn-hangzhou\.10\.0\.1\.11" due to error: \[.*\], continuing command\.\.\.\nThere are pending nodes to be drained:\n cn-hangzhou\.10\.0\.1\.11\n/);

    const drained = await run(s, 'drain cn-hangzhou.10.0.1.11 --ignore-daemonsets --delete-emptydir-data --force --grace-period=0');
    assert.equal(drained.exit_code, 0, drained.stderr);
    // the refused drain above cordoned the node already, as kubectl's does
    assert.match(drained.stdout, /^node\/cn-hangzhou\.10\.0\.1\.11 already cordoned$/m);
    assert.match(drained.stdout, /^evicting pod shop\/\S+$/m);
    assert.match(drained.stdout, /^pod\/\S+ evicted$/m);
    assert.match(drained.stdout, /node\/cn-hangzhou\.10\.0\.1\.11 drained\n$/);
    assert.match(drained.stderr, /^Warning: ignoring DaemonSet-managed Pods: /m);
    const left = kubectl(sim, ['get', 'pods', '-A', '--field-selector', 'spec.nodeName=cn-hangzhou.10.0.1.11', '-o', 'jsonpath={.items[*].metadata.ownerReferences[0].kind}']);
    for (const kind of left.stdout.split(' ').filter(Boolean)) assert.equal(kind, 'DaemonSet');
    assert.equal((await run(s, 'uncordon cn-hangzhou.10.0.1.11')).stdout, 'node/cn-hangzhou.10.0.1.11 uncordoned\n');
  });

  test('create shortcuts, delete by name, by selector, and from the manifest', T, async () => {
    assert.equal((await run(s, 'create ns kc-team')).stdout, 'namespace/kc-team created\n');
    assert.equal((await run(s, 'create configmap kc-cm -n kc-team --from-literal=a=1 --from-literal=b=2')).stdout, 'configmap/kc-cm created\n');
    assert.equal((await run(s, 'get cm kc-cm -n kc-team -o jsonpath={.data}')).stdout, '{"a":"1","b":"2"}');
    const sec = await run(s, 'create secret generic kc-s -n kc-team --from-literal=password=hunter2 -o yaml');
    assert.doesNotMatch(sec.stdout, /aHVudGVyMg|hunter2/);
    assert.equal((await run(s, 'create deployment kc-d -n kc-team --image=nginx:1.25 --replicas=2')).stdout, 'deployment.apps/kc-d created\n');
    assert.equal((await run(s, 'delete cm kc-cm -n kc-team')).stdout, 'configmap "kc-cm" deleted\n');
    const sel = await run(s, 'delete pods -n kc-team -l app=kc-d --grace-period=0');
    assert.equal(sel.stdout.trim().split('\n').length, 2);
    for (const l of sel.stdout.trim().split('\n')) assert.match(l, /^pod "kc-d-\S+" deleted$/);
    assert.equal((await run(s, 'delete -f -', { manifest: MANIFEST })).stdout, 'configmap "kc-config" deleted\ndeployment.apps "kc-web" deleted\n');
    const gone = await run(s, 'delete -f - --ignore-not-found', { manifest: MANIFEST });
    assert.equal(gone.stdout, '');
    assert.equal(gone.exit_code, 0);
    assert.equal((await run(s, 'delete ns kc-team')).stdout, 'namespace "kc-team" deleted\n');
  });
});
