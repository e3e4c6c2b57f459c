// Where the kubernetes tools find clusters: ACK clusters by cluster_id (ACK_PUBLIC and
// ACK_PRIVATE fetch a kubeconfig from the cloud simulator, which points at the Kubernetes
// simulator), --default-cluster-id, LOCAL cluster ids naming contexts, the in-cluster
// service account, an exec credential plugin, and cancellation of a request in flight.
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import { legacyClient, resultText, ROOT, serverArgs, serverEnv, sleep, tempDir, withServer, callTool as call, toolFailed as failed, toolOk as ok } from './lib/harness.js';
import { startAliyunSim } from './lib/aliyun_sim.js';
import { k8sArgs, startK8sSim } from './lib/k8s_sim.js';

const T = { timeout: 60000 };

describe('ACK clusters by cluster_id', () => {
  let k8s;
  let cloud;
  before(async () => {
    k8s = await startK8sSim();
    cloud = await startAliyunSim({ extra: ['--k8s-server', k8s.server, '--k8s-ca', k8s.ca, '--k8s-token', k8s.token] });
  });
  after(async () => {
    await cloud?.stop();
    await k8s?.stop();
  });

  const ackServer = (mode, extra = []) => legacyClient({
    args: serverArgs(cloud.serverArgs(['--kubeconfig-mode', mode, '--kubeconfig-path', k8s.kubeconfig, ...extra])),
    env: serverEnv({ ...cloud.serverEnv(), ...cloud.keyEnv() }),
  });

  test('ACK_PUBLIC: a cluster id fetches a temporary kubeconfig once and every tool uses it', T, async () => {
    const prod = cloud.info.clusters.prod;
    await cloud.clearRequests();
    await withServer(ackServer('ACK_PUBLIC'), async (s) => {
      const res = await Promise.all([1, 2, 3].map(() => call(s, 'k8s_list', { kind: 'pods', namespace: 'shop', cluster_id: prod })));
      for (const r of res) assert.match(resultText(ok(r)), /^api-\S+\s+/m);
      ok(await call(s, 'k8s_get', { kind: 'deploy', name: 'web', namespace: 'shop', cluster_id: prod }));
      const kc = await cloud.requests({ product: 'cs', action: 'DescribeClusterUserKubeconfig' });
      assert.equal(kc.length, 1, 'one kubeconfig for four calls, three of them at once');
      const q = Object.fromEntries(kc[0].query);
      assert.equal(q.PrivateIpAddress, 'false');
      assert.ok(Number(q.TemporaryDurationMinutes) >= 15, 'a temporary kubeconfig is asked for');
      assert.doesNotMatch(s.stderr(), /client-key-data|BEGIN RSA|sim-admin-token/, 'the kubeconfig never reaches the log');
    });
  });

  test('--default-cluster-id is used when a call names no cluster', T, async () => {
    await withServer(ackServer('ACK_PUBLIC', ['--default-cluster-id', cloud.info.clusters.prod]), async (s) => {
      assert.match(resultText(ok(await call(s, 'k8s_list', { kind: 'deploy', namespace: 'shop' }))), /^web\s+3\/3/m);
    });
  });

  test('a cluster without a public endpoint says what to do; ACK_PRIVATE reaches it', T, async () => {
    const staging = cloud.info.clusters.staging;
    await withServer(ackServer('ACK_PUBLIC'), async (s) => {
      failed(await call(s, 'k8s_list', { kind: 'pods', cluster_id: staging }), /no public API server endpoint.*ACK_PRIVATE/);
    });
    await withServer(ackServer('ACK_PRIVATE'), async (s) => {
      ok(await call(s, 'k8s_list', { kind: 'pods', namespace: 'shop', cluster_id: staging }));
    });
  });

  test('a malformed id is refused before any call; an unknown one gets the cloud\'s error', T, async () => {
    await withServer(ackServer('ACK_PUBLIC'), async (s) => {
      await cloud.clearRequests();
      failed(await call(s, 'k8s_list', { kind: 'pods', cluster_id: 'not-a-cluster' }), /not an ACK cluster id/);
      assert.equal((await cloud.requests({ product: 'cs' })).length, 0);
      failed(await call(s, 'k8s_list', { kind: 'pods', cluster_id: `c${'0'.repeat(32)}` }), /NotFound|not found|ErrorCluster/i);
    });
  });

  test('without cloud credentials, context still reaches a kubeconfig cluster', T, async () => {
    await withServer(legacyClient({
      args: serverArgs(cloud.serverArgs(['--kubeconfig-mode', 'ACK_PUBLIC', '--kubeconfig-path', k8s.kubeconfig])),
      env: serverEnv(cloud.serverEnv()),
    }), async (s) => {
      failed(await call(s, 'k8s_list', { kind: 'pods', cluster_id: cloud.info.clusters.prod }), /credentials/i);
      ok(await call(s, 'k8s_list', { kind: 'pods', namespace: 'shop', context: 'sim' }));
    });
  });
});

describe('LOCAL ids, in-cluster, exec plugins, cancellation', () => {
  let k8s;
  let dir;
  before(async () => {
    k8s = await startK8sSim();
    dir = tempDir('ack-e2e-clusters-');
  });
  after(async () => {
    await k8s?.stop();
    dir?.cleanup();
  });

  test('LOCAL: a cluster_id names a context (or its cluster)', T, async () => {
    await withServer(legacyClient({ args: serverArgs(k8sArgs(k8s)) }), async (s) => {
      ok(await call(s, 'k8s_list', { kind: 'pods', namespace: 'shop', cluster_id: 'sim-cert' }));
      failed(await call(s, 'k8s_list', { kind: 'pods', cluster_id: 'c-nowhere' }), /no kubeconfig context for cluster "c-nowhere"/);
    });
  });

  test('INCLUSTER: the service account token, CA and namespace of the pod', T, async () => {
    const sa = join(dir.dir, 'sa');
    mkdirSync(sa);
    writeFileSync(join(sa, 'token'), k8s.token);
    copyFileSync(k8s.ca, join(sa, 'ca.crt'));
    writeFileSync(join(sa, 'namespace'), 'shop');
    const env = serverEnv({ KUBERNETES_SERVICE_HOST: '127.0.0.1', KUBERNETES_SERVICE_PORT: String(k8s.port), ACK_SA_DIR: sa });
    await withServer(legacyClient({ args: serverArgs(['--kubeconfig-mode', 'INCLUSTER']), env }), async (s) => {
      assert.match(resultText(ok(await call(s, 'k8s_list', { kind: 'deploy' }))), /^web\s+3\/3/m, 'the pod\'s namespace is the default');
    });
    await withServer(legacyClient({ args: serverArgs(['--kubeconfig-mode', 'INCLUSTER']), env: serverEnv() }), async (s) => {
      failed(await call(s, 'k8s_list', { kind: 'pods' }), /not running in a pod/);
    });
  });

  test('an exec credential plugin runs directly (no shell) and its token is used, and not logged', T, async () => {
    const kc = readFileSync(k8s.kubeconfig, 'utf8');
    const plugin = join(ROOT, 'tests', 'fixtures', 'kubeconfig', 'exec-plugin.sh');
    const counter = join(dir.dir, 'runs');
    const server = /server: (\S+)/.exec(kc)[1];
    const ca = /certificate-authority-data: (\S+)/.exec(kc)?.[1];
    const cluster = ca ? `{server: "${server}", certificate-authority-data: "${ca}"}` : `{server: "${server}", certificate-authority: "${k8s.ca}"}`;
    const path = join(dir.dir, 'exec-kubeconfig');
    writeFileSync(path, `apiVersion: v1\nkind: Config\ncurrent-context: x\nclusters:\n- name: c\n  cluster: ${cluster}\n`
      + `users:\n- name: u\n  user:\n    exec:\n      apiVersion: client.authentication.k8s.io/v1\n      command: ${plugin}\n`
      + `      args: ["--token", "${k8s.token}", "--ttl", "3600", "--counter", "${counter}"]\n      interactiveMode: Never\n`
      + 'contexts:\n- name: x\n  context: {cluster: c, user: u, namespace: shop}\n');
    await withServer(legacyClient({ args: serverArgs(['--kubeconfig-mode', 'LOCAL', '--kubeconfig-path', path, '--log-level', 'debug']) }), async (s) => {
      ok(await call(s, 'k8s_list', { kind: 'pods' }));
      ok(await call(s, 'k8s_list', { kind: 'deploy' }));
      assert.equal(readFileSync(counter, 'utf8').trim().split('\n').length, 1, 'the plugin ran once: its token is cached until it expires');
      assert.doesNotMatch(s.stderr(), new RegExp(k8s.token));
    });
  });

  test('a cancelled call stops its request; the server keeps serving', T, async () => {
    const slow = await startK8sSim({ latencyMs: 5000 });
    try {
      await withServer(legacyClient({ args: serverArgs(k8sArgs(slow)) }), async (s) => {
        const ac = new AbortController();
        const t0 = Date.now();
        const pending = call(s, 'k8s_list', { kind: 'pods' }, { signal: ac.signal });
        await sleep(300);
        ac.abort();
        await assert.rejects(pending);
        assert.ok(Date.now() - t0 < 3000);
        ok(await call(s, 'get_current_time', {}));
      });
    } finally {
      await slow.stop();
    }
  });
});
