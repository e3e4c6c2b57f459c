// The ACK tools (tools/*.lua, toolset "ack") against the Alibaba Cloud simulator: listing and
// describing clusters, node pools, nodes and tasks; scaling and removing nodes behind
// --allow-write; diagnoses and inspections (class J: served read-only on purpose) with
// progress, timeouts and cancellation; the region lookup cached per credential identity; and
// each bad input of issue #6 with its precise error in the one error shape of ack-api.md §1.
import assert from 'node:assert/strict';
import { beforeEach, describe, test } from 'node:test';

import { aliyunSimFixture } from './lib/aliyun_sim.js';
import { RawServer, eventually, serverArgs, serverEnv, sleep, using } from './lib/harness.js';

const T = { timeout: 60000 };
const ACK_READ = ['list_clusters', 'describe_cluster', 'list_cluster_nodepools', 'list_cluster_nodes', 'list_cluster_tasks',
  'describe_task_info', 'get_cluster_diagnosis_result', 'get_cluster_diagnosis_check_items'];
const ACK_JOBS = ['create_cluster_diagnosis', 'diagnose_resource', 'query_inspect_report'];
const ACK_WRITES = ['scale_nodepool', 'remove_nodepool_nodes'];

describe('ACK tools', () => {
  const sim = aliyunSimFixture();
  beforeEach(async () => {
    await sim.reset();
    await sim.config({ task_duration: 1, diagnosis_duration: 1, inspect_duration: 1 });
  });

  const prod = () => sim.info.clusters.prod;
  const staging = () => sim.info.clusters.staging;
  const edge = () => sim.info.clusters.edge;
  const prodPool = () => sim.info.nodepools.prod_default;

  async function server({ args = [], env } = {}) {
    const s = new RawServer(serverArgs(sim.serverArgs(['--diagnose-poll-interval', '0.1', ...args])),
      { env: serverEnv(env ?? { ...sim.serverEnv(), ...sim.keyEnv() }) });
    const init = await s.initialize();
    assert.ok(init.result, JSON.stringify(init));
    return s;
  }

  /** Calls a tool; returns {ok, data, error, result}: data is structuredContent, error the §1 error object. */
  async function call(s, name, args = {}, { progressToken, timeout = 30000 } = {}) {
    const params = { name, arguments: args };
    if (progressToken !== undefined) params._meta = { progressToken };
    const r = await s.request('tools/call', params, { timeout });
    assert.ok(r.result, `${name}: ${JSON.stringify(r)}`);
    if (!r.result.isError) return { ok: true, data: r.result.structuredContent, result: r.result };
    let error;
    try {
      error = JSON.parse(r.result.content[0].text).error;
    } catch {
      error = { code: r.result._meta?.['ack-mcp-server/error']?.code, message: r.result.content[0].text };
    }
    return { ok: false, error, result: r.result };
  }
  async function ok(s, name, args, opts) {
    const r = await call(s, name, args, opts);
    assert.ok(r.ok, `${name} failed: ${JSON.stringify(r.error)}`);
    return r.data;
  }
  const listed = async (s) => (await s.request('tools/list', {})).result.tools.map((t) => t.name);
  const csRequests = (action) => sim.requests({ product: 'cs', action });
  /** A logged request's query ([[name, value], ...]) as an object. */
  const queryOf = (req) => Object.fromEntries(req.query);

  describe('reading', () => {
    test('list_clusters: pages, all pages, filters, null fields kept, endpoints parsed', T, async () => {
      await using(await server(), async (s) => {
        const p1 = await ok(s, 'list_clusters', {});
        assert.equal(p1.clusters.length, 10);
        assert.deepEqual([p1.page_number, p1.page_size, p1.total_count], [1, 10, 12]);
        const p2 = await ok(s, 'list_clusters', { page_num: 2 });
        assert.equal(p2.clusters.length, 2);
        const all = await ok(s, 'list_clusters', { all_pages: true });
        assert.equal(all.clusters.length, 12);
        assert.equal(all.total_count, 12);
        assert.equal(new Set(all.clusters.map((c) => c.cluster_id)).size, 12);

        const e = all.clusters.find((c) => c.cluster_id === edge());
        assert.equal(e.vpc_id, null, 'a null field is kept, and so is its cluster');
        assert.equal(e.tags, null);
        const p = all.clusters.find((c) => c.cluster_id === prod());
        assert.match(p.api_server_endpoints.public, /^https:\/\//);
        assert.equal(p.master_url, undefined, 'master_url is replaced by its parsed form');
        const st = all.clusters.find((c) => c.cluster_id === staging());
        assert.equal(st.api_server_endpoints.public, null, 'staging-sh has no public endpoint');
        assert.match(st.api_server_endpoints.intranet, /^https:\/\//);

        const stopped = await ok(s, 'list_clusters', { state: 'stopped' });
        assert.deepEqual(stopped.clusters.map((c) => c.name), ['dev-07']);
        assert.equal(stopped.total_count, 1);
        const sz = await ok(s, 'list_clusters', { region_id: 'cn-shenzhen', all_pages: true });
        assert.deepEqual(sz.clusters.map((c) => c.region_id), ['cn-shenzhen', 'cn-shenzhen', 'cn-shenzhen']);
        const named = await ok(s, 'list_clusters', { name: 'prod' });
        assert.deepEqual(named.clusters.map((c) => c.name), ['prod-hz']);
        const reqs = await csRequests('DescribeClustersV1');
        assert.ok(reqs.some((r) => queryOf(r).region_id === 'cn-shenzhen'), 'the region filter is the API\'s');
      });
    });

    test('list_clusters is cached per caller for --cache-ttl; refresh asks anew', T, async () => {
      await using(await server(), async (s) => {
        const before = (await csRequests('DescribeClustersV1')).length;
        const first = await ok(s, 'list_clusters', { page_size: 5 });
        assert.equal(first.cached_seconds_ago, undefined);
        const second = await ok(s, 'list_clusters', { page_size: 5 });
        assert.ok(second.cached_seconds_ago >= 0, 'the second call says it came from the cache');
        assert.deepEqual(second.clusters, first.clusters);
        assert.equal((await csRequests('DescribeClustersV1')).length, before + 1);
        const fresh = await ok(s, 'list_clusters', { page_size: 5, refresh: true });
        assert.equal(fresh.cached_seconds_ago, undefined);
        assert.equal((await csRequests('DescribeClustersV1')).length, before + 2);
      });
      await using(await server({ args: ['--cache-ttl', '0'] }), async (s) => {
        const before = (await csRequests('DescribeClustersV1')).length;
        await ok(s, 'list_clusters', { page_size: 5 });
        await ok(s, 'list_clusters', { page_size: 5 });
        assert.equal((await csRequests('DescribeClustersV1')).length, before + 2, '--cache-ttl 0 turns the cache off');
      });
    });

    test('describe_cluster, node pools (secrets redacted), nodes, tasks', T, async () => {
      await using(await server(), async (s) => {
        const c = await ok(s, 'describe_cluster', { cluster_id: prod() });
        assert.equal(c.name, 'prod-hz');
        assert.equal(c.region_id, 'cn-hangzhou');

        const pools = await ok(s, 'list_cluster_nodepools', { cluster_id: prod() });
        assert.equal(pools.total_count, 2);
        const def = pools.nodepools.find((p) => p.nodepool_id === prodPool());
        assert.equal(def.name, 'default-nodepool');
        assert.equal(def.total_nodes, 3);
        assert.equal(def.desired_size, 3);
        assert.equal(def.scaling_group.login_password, '[redacted]');
        assert.equal(def.scaling_group.user_data, '[redacted]');
        const text = JSON.stringify(pools);
        assert.ok(!text.includes('Sim-Passw0rd!'), 'the node pool password never appears');
        const one = await ok(s, 'list_cluster_nodepools', { cluster_id: prod(), nodepool_id: prodPool() });
        assert.deepEqual(one.nodepools.map((p) => p.nodepool_id), [prodPool()]);

        const nodes = await ok(s, 'list_cluster_nodes', { cluster_id: prod(), nodepool_id: prodPool() });
        assert.equal(nodes.total_count, 3);
        const names = nodes.nodes.map((n) => n.node_name);
        assert.ok(names.includes('cn-hangzhou.10.0.1.11'), names.join());
        const byName = await ok(s, 'list_cluster_nodes', { cluster_id: prod(), node_names: ['cn-hangzhou.10.0.1.12'] });
        assert.deepEqual(byName.nodes.map((n) => n.node_name), ['cn-hangzhou.10.0.1.12']);
        const iid = byName.nodes[0].instance_id;
        const byId = await ok(s, 'list_cluster_nodes', { cluster_id: prod(), instance_ids: [iid] });
        assert.deepEqual(byId.nodes.map((n) => n.instance_id), [iid]);
        const paged = await ok(s, 'list_cluster_nodes', { cluster_id: prod(), page_size: 1, page_number: 2 });
        assert.equal(paged.nodes.length, 1);
        assert.equal(paged.total_count, 4);

        const recent = await ok(s, 'list_cluster_tasks', { cluster_id: prod() });
        assert.equal(recent.total_count, 0, 'the seeded tasks are older than the default 30 minutes');
        const month = await ok(s, 'list_cluster_tasks', { cluster_id: prod(), start_time: '30d' });
        assert.equal(month.total_count, 3);
        const failed = await ok(s, 'list_cluster_tasks', { cluster_id: prod(), start_time: '30d', state: 'failed' });
        assert.equal(failed.tasks.length, 1);
        assert.ok(failed.tasks[0].error.code, 'a failed task carries its error');
        const t = await ok(s, 'describe_task_info', { task_id: month.tasks[0].task_id, cluster_id: prod() });
        assert.equal(t.task_id, month.tasks[0].task_id);
        assert.ok(Array.isArray(t.stages));
        const bad = await call(s, 'list_cluster_tasks', { cluster_id: prod(), start_time: 'last tuesday' });
        assert.equal(bad.error.code, 'InvalidParameter');
        assert.match(bad.error.message, /30m, 2h, 1d/);
      });
    });

    test('a cluster\'s region is looked up once, and concurrent lookups share one call', T, async () => {
      await using(await server(), async (s) => {
        const ids = [];
        for (let i = 0; i < 5; i++) {
          ids.push(await s.sendRequest('tools/call', { name: 'list_cluster_nodepools', arguments: { cluster_id: staging() } }));
        }
        for (const id of ids) assert.ok(!(await s.response(id)).result.isError);
        await ok(s, 'list_cluster_nodes', { cluster_id: staging() });
        assert.equal((await csRequests('DescribeClusterDetail')).length, 1, 'one DescribeClusterDetail for 6 calls');
        assert.equal((await csRequests('DescribeClusterNodePools')).length, 5);
      });
    });

    test('--default-cluster-id is used when cluster_id is omitted', T, async () => {
      await using(await server({ args: ['--default-cluster-id', staging()] }), async (s) => {
        const c = await ok(s, 'describe_cluster', {});
        assert.equal(c.cluster_id, staging());
      });
      await using(await server(), async (s) => {
        const r = await call(s, 'describe_cluster', {});
        assert.equal(r.error.code, 'MissingParameter');
        assert.match(r.error.message, /--default-cluster-id/);
      });
    });
  });

  describe('bad input', () => {
    test('a malformed id is refused before any call', T, async () => {
      await using(await server(), async (s) => {
        await sim.clearRequests();
        for (const [name, args] of [
          ['describe_cluster', { cluster_id: 'c123' }],
          ['list_cluster_nodes', { cluster_id: `${prod()}x` }],
          ['list_cluster_nodepools', { cluster_id: prod(), nodepool_id: 'np-nope' }],
          ['describe_task_info', { task_id: '../clusters' }],
          ['diagnose_resource', { cluster_id: 'C'.repeat(33), resource_type: 'node', resource_target: { name: 'n' } }],
        ]) {
          const r = await call(s, name, args);
          assert.equal(r.ok, false, name);
          assert.match(r.result.content[0].text, /does not match pattern/, name);
        }
        const nt = await call(s, 'diagnose_resource', { cluster_id: prod(), resource_type: 'pod', resource_target: { namespace: 'shop' } });
        assert.equal(nt.error.code, 'InvalidParameter');
        assert.match(nt.error.message, /resource_target\.name is required for a pod diagnosis/);
        assert.deepEqual(await sim.requests({ product: 'cs' }), [], 'the simulator saw no request');
      });
    });

    test('an unknown cluster id: the API\'s error, in the one error shape', T, async () => {
      await using(await server(), async (s) => {
        const r = await call(s, 'list_cluster_nodes', { cluster_id: `c${'0'.repeat(32)}` });
        assert.equal(r.error.code, 'ErrorClusterNotFound');
        assert.equal(r.error.api, 'DescribeClusterDetail');
        assert.equal(r.error.status, 404);
        assert.match(r.error.request_id, /\w/);
        assert.match(r.error.message, /not found/);
        assert.equal(r.result._meta['ack-mcp-server/error'].code, 'ErrorClusterNotFound');
        const again = await call(s, 'list_cluster_nodes', { cluster_id: `c${'0'.repeat(32)}` });
        assert.equal(again.error.code, 'ErrorClusterNotFound');
        assert.equal((await csRequests('DescribeClusterDetail')).length, 2, 'errors are not cached');
      });
    });

    test('no credentials: the ACK tools say which setting is missing; the rest keep working', T, async () => {
      await using(await server({ env: sim.serverEnv() }), async (s) => {
        const r = await call(s, 'list_clusters', {});
        assert.equal(r.error.code, 'NoCredentials');
        assert.match(r.error.message, /ACCESS_KEY_ID/);
        const t = await s.request('tools/call', { name: 'get_current_time', arguments: {} });
        assert.ok(!t.result.isError);
        assert.match(t.result.structuredContent.current_time_iso, /^\d{4}-/);
      });
    });

    test('a wrong secret surfaces the simulator\'s SignatureDoesNotMatch', T, async () => {
      const env = { ...sim.serverEnv(), ...sim.keyEnv({ id: sim.fullKey.id, secret: 'not-the-secret' }) };
      await using(await server({ env }), async (s) => {
        const r = await call(s, 'list_clusters', {});
        assert.equal(r.error.code, 'SignatureDoesNotMatch');
        assert.equal(r.error.api, 'DescribeClustersV1');
      });
    });

    test('scale without --allow-write: not listed, and refused when called', T, async () => {
      await using(await server(), async (s) => {
        const names = await listed(s);
        for (const n of [...ACK_READ, ...ACK_JOBS]) assert.ok(names.includes(n), `${n} is served read-only`);
        for (const n of ACK_WRITES) assert.ok(!names.includes(n), `${n} is hidden read-only`);
        const r = await s.request('tools/call', { name: 'scale_nodepool', arguments: { cluster_id: prod(), nodepool_id: prodPool(), count: 1 } });
        const refused = r.error ? r.error.message : r.result.content[0].text;
        assert.ok(r.error || r.result.isError, JSON.stringify(r));
        assert.match(refused, /allow-write/);
        assert.deepEqual(await csRequests('ScaleClusterNodePool'), []);
      });
    });

    test('throttling: a read is retried; a write is surfaced, never repeated', T, async () => {
      await using(await server({ args: ['--allow-write'] }), async (s) => {
        await sim.fault({ kind: 'throttle', product: 'cs', action: 'DescribeClustersV1', count: 2 });
        const l = await ok(s, 'list_clusters', {});
        assert.equal(l.total_count, 12);
        assert.equal((await csRequests('DescribeClustersV1')).length, 3, 'two throttled, the third answered');

        await ok(s, 'describe_cluster', { cluster_id: prod() }); // the region is known: only the write is sent below
        await sim.fault({ kind: 'throttle', product: 'cs', action: 'ScaleClusterNodePool', count: 1 });
        const r = await call(s, 'scale_nodepool', { cluster_id: prod(), nodepool_id: prodPool(), count: 1 });
        assert.equal(r.error.code, 'Throttling.User');
        assert.equal(r.error.retryable, true);
        assert.equal(r.error.api, 'ScaleClusterNodePool');
        assert.equal((await csRequests('ScaleClusterNodePool')).length, 1, 'the write was sent once');
      });
    });
  });

  describe('writes', () => {
    test('scale_nodepool returns the task, and with wait follows it to the end with progress', T, async () => {
      await using(await server({ args: ['--allow-write'] }), async (s) => {
        const started = await ok(s, 'scale_nodepool', { cluster_id: prod(), nodepool_id: prodPool(), count: 2 });
        assert.match(started.task_id, /^T-/);
        assert.equal(started.state, undefined, 'without wait, no polling');
        const [req] = await csRequests('ScaleClusterNodePool');
        assert.equal(req.method, 'POST');

        const from = s.mark();
        const waited = await ok(s, 'scale_nodepool', { cluster_id: prod(), nodepool_id: prodPool(), count: 1, wait: true },
          { progressToken: 'scale-1' });
        assert.equal(waited.state, 'success');
        assert.equal(waited.task.task_id, waited.task_id);
        assert.equal(waited.timed_out, undefined);
        const progress = s.messages.slice(from).filter((m) => m.method === 'notifications/progress' && m.params.progressToken === 'scale-1');
        assert.ok(progress.length >= 1, 'progress while waiting');
        assert.match(progress[0].params.message, new RegExp(`task ${waited.task_id} running`));
        const pools = await ok(s, 'list_cluster_nodepools', { cluster_id: prod(), nodepool_id: prodPool() });
        assert.equal(pools.nodepools[0].desired_size, 6, '3 + 2 + 1');
      });
    });

    test('remove_nodepool_nodes: destructive, explicit drain/release, task followed', T, async () => {
      await using(await server({ args: ['--allow-write', '--disable-destructive'] }), async (s) => {
        const names = await listed(s);
        assert.ok(names.includes('scale_nodepool') && !names.includes('remove_nodepool_nodes'), '--disable-destructive hides removal only');
      });
      await using(await server({ args: ['--allow-write'] }), async (s) => {
        const nodes = await ok(s, 'list_cluster_nodes', { cluster_id: prod(), nodepool_id: prodPool() });
        const victim = nodes.nodes[2].instance_id;
        const missing = await call(s, 'remove_nodepool_nodes', { cluster_id: prod(), nodepool_id: prodPool(), instance_ids: [victim] });
        assert.match(missing.result.content[0].text, /drain_node|release_node/, 'drain and release are always stated');
        const r = await ok(s, 'remove_nodepool_nodes', {
          cluster_id: prod(), nodepool_id: prodPool(), instance_ids: [victim], drain_node: true, release_node: false, wait: true,
        });
        assert.equal(r.state, 'success');
        const [req] = await csRequests('RemoveNodePoolNodes');
        assert.equal(req.method, 'DELETE');
        const q = queryOf(req);
        assert.deepEqual(JSON.parse(q.instance_ids), [victim]);
        assert.equal(q.drain_node, 'true');
        assert.equal(q.release_node, 'false');
        const after = await ok(s, 'list_cluster_nodes', { cluster_id: prod(), instance_ids: [victim] });
        assert.equal(after.total_count, 0);
        const tasks = await ok(s, 'list_cluster_tasks', { cluster_id: prod(), instance_id: victim });
        assert.deepEqual(tasks.tasks.map((t) => t.task_id), [r.task_id], 'the task that named the instance');
      });
    });
  });

  describe('diagnosis and inspection (class J)', () => {
    test('diagnose_resource waits for the result with progress; the parts also work alone', T, async () => {
      await using(await server(), async (s) => {
        const from = s.mark();
        const d = await ok(s, 'diagnose_resource', {
          cluster_id: prod(), resource_type: 'node', resource_target: { name: 'cn-hangzhou.10.0.1.11' },
        }, { progressToken: 7 });
        assert.equal(d.status, 'completed');
        assert.equal(d.code, 'success');
        assert.equal(d.result.phase, 5);
        assert.deepEqual(d.resource_target, { name: 'cn-hangzhou.10.0.1.11' });
        assert.ok(s.messages.slice(from).some((m) => m.method === 'notifications/progress' && m.params.progressToken === 7));
        const [create] = await csRequests('CreateClusterDiagnosis');
        assert.equal(create.class, 'job');

        const missing = await ok(s, 'diagnose_resource', {
          cluster_id: prod(), resource_type: 'pod', resource_target: '{"namespace":"shop","name":"nope"}',
        });
        assert.equal(missing.code, 'failed', 'a pod that does not exist: completed, code failed');

        const started = await ok(s, 'create_cluster_diagnosis', { cluster_id: prod(), type: 'cluster' });
        assert.match(started.diagnosis_id, /\w/);
        const first = await ok(s, 'get_cluster_diagnosis_result', { cluster_id: prod(), diagnosis_id: started.diagnosis_id });
        assert.ok(['created', 'running', 'completed'].includes(first.status), first.status);
        const done = await eventually(async () => {
          const r = await ok(s, 'get_cluster_diagnosis_result', { cluster_id: prod(), diagnosis_id: started.diagnosis_id });
          return r.status === 'completed' && r;
        }, { timeout: 10000, interval: 200, what: 'the diagnosis to complete' });
        assert.equal(done.code, 'success');
        const items = await ok(s, 'get_cluster_diagnosis_check_items', { cluster_id: prod(), diagnosis_id: started.diagnosis_id });
        assert.ok(items.check_items.length > 0);
        assert.ok(items.check_items.every((i) => i.name && i.level));
      });
    });

    test('a diagnosis that never finishes times out with what is known so far', T, async () => {
      await using(await server(), async (s) => {
        await sim.fault({ kind: 'diagnosis_stuck', product: 'cs', count: 1 });
        const d = await ok(s, 'diagnose_resource', {
          cluster_id: prod(), resource_type: 'node', resource_target: { name: 'cn-hangzhou.10.0.1.11' }, timeout_seconds: 1,
        });
        assert.equal(d.timed_out, true);
        assert.equal(d.status, 'running');
        assert.equal(d.code, undefined);
        assert.match(d.diagnosis_id, /\w/);
        assert.match(d.hint, /get_cluster_diagnosis_result/);
        const polls = (await csRequests('GetClusterDiagnosisResult')).length;
        assert.ok(polls >= 2, `${polls} polls`);
      });
    });

    test('a cancelled diagnose stops polling at once', T, async () => {
      await using(await server(), async (s) => {
        await sim.fault({ kind: 'diagnosis_stuck', product: 'cs', count: 1 });
        const id = await s.sendRequest('tools/call', {
          name: 'diagnose_resource',
          arguments: { cluster_id: prod(), resource_type: 'node', resource_target: { name: 'cn-hangzhou.10.0.1.11' } },
        });
        await eventually(async () => (await csRequests('GetClusterDiagnosisResult')).length >= 3, { what: 'polling' });
        await s.notify('notifications/cancelled', { requestId: id, reason: 'user' });
        await ok(s, 'get_current_time', {}); // the cancel has been handled once this answers
        const atCancel = (await csRequests('GetClusterDiagnosisResult')).length;
        await sleep(1000); // ten poll intervals
        assert.equal((await csRequests('GetClusterDiagnosisResult')).length, atCancel, 'no poll after the cancel');
        assert.equal(s.messages.some((m) => m.id === id), false, 'a cancelled request gets no answer');
      });
    });

    test('query_inspect_report: the latest report, a new run waited for, filters', T, async () => {
      await using(await server(), async (s) => {
        const latest = await ok(s, 'query_inspect_report', { cluster_id: prod() });
        assert.equal(latest.report_status, 'completed');
        assert.equal(latest.checkItemResults.length, 8, 'only the abnormal items by default');
        assert.deepEqual([latest.summary.errorCount, latest.summary.warnCount, latest.summary.adviceCount], [3, 2, 3]);
        assert.ok(latest.report_finish_time, 'the finish time is read (upstream always returned null)');
        const everything = await ok(s, 'query_inspect_report', { cluster_id: prod(), is_result_exception: false });
        assert.equal(everything.checkItemResults.length, 25);

        const from = s.mark();
        const run = await ok(s, 'query_inspect_report', { cluster_id: prod(), run_inspection: true, category: 'security' },
          { progressToken: 'insp' });
        assert.notEqual(run.report_id, latest.report_id, 'the new run\'s report, by the id RunClusterInspect returned');
        assert.equal(run.report_status, 'completed');
        assert.ok(run.checkItemResults.length > 0);
        assert.ok(run.checkItemResults.every((i) => i.category === 'security'));
        assert.ok(s.messages.slice(from).some((m) => m.method === 'notifications/progress' && m.params.progressToken === 'insp'));
        const [runReq] = await csRequests('RunClusterInspect');
        assert.equal(runReq.class, 'job');

        const none = await call(s, 'query_inspect_report', { cluster_id: edge() });
        assert.equal(none.error.code, 'NoInspectReport');
        assert.match(none.error.message, /run_inspection/);
        const unsupported = await call(s, 'query_inspect_report', { cluster_id: edge(), run_inspection: true });
        assert.equal(unsupported.error.code, 'ErrorInspectionNotSupported');
      });
    });
  });
});
