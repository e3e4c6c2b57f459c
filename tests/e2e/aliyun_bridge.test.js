// The Alibaba Cloud bridge (the `aliyun` host module) against the cloud simulator, which
// verifies every signature with its own implementation: signed CS/RPC/SLS calls in every
// scheme, each credential source (environment, STS token, RRSA, ECS metadata with IMDSv2,
// a credentials file, per-request headers), the write gate and the job exception, retries
// (reads only, re-signed), timeouts, cancellation, and precise errors. Every test checks that
// no secret reached the server's stderr (logged at debug level).
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeEach, describe, test } from 'node:test';

import { aliyunSimFixture } from './lib/aliyun_sim.js';
import {
  HttpServer, RawServer, ROOT, assertNoSanitizerReport, eventually, postHeaders, resultText, serverArgs, serverEnv, sleep, tempDir,
} from './lib/harness.js';

const T = { timeout: 60000 };
const FIXTURES = join(ROOT, 'tests', 'fixtures', 'aliyun');

describe('Alibaba Cloud bridge', () => {
  const sim = aliyunSimFixture();
  let extraSecrets = [];
  beforeEach(async () => {
    extraSecrets = [];
    await sim.reset();
  });

  const prod = () => sim.info.clusters.prod;
  const prodPool = () => sim.info.nodepools.prod_default;
  const describeProd = (extra = {}) => ({ action: 'DescribeClusterDetail', path: `/clusters/${prod()}`, ...extra });
  const scaleProd = (extra = {}) => ({
    action: 'ScaleClusterNodePool', method: 'POST', path: `/clusters/${prod()}/nodepools/${prodPool()}`, body: { count: 1 }, ...extra,
  });

  /** No secret of the simulator's keys, no STS token (CAIS...), nothing a test added. */
  function assertNoSecrets(text) {
    for (const k of sim.info.access_keys) assert.ok(!text.includes(k.secret), `secret of ${k.id} in the server's stderr`);
    assert.ok(!text.includes('CAIS'), 'an STS security token in the server\'s stderr');
    for (const s of extraSecrets) assert.ok(!text.includes(s), `secret ${s.slice(0, 4)}... in the server's stderr`);
  }

  async function withServer({ env = {}, args = [], metadata = false, home } = {}, fn) {
    const e = serverEnv({ ...sim.serverEnv({ metadata }), ...(home ? { HOME: home } : {}), ...env });
    const s = new RawServer(serverArgs(sim.serverArgs(['--tools-dir', FIXTURES, '--log-level', 'debug', ...args])), { env: e });
    try {
      const init = await s.initialize();
      assert.ok(init.result, JSON.stringify(init));
      await fn(s);
    } catch (err) {
      err.message += `\n--- server stderr ---\n${s.stderr().split('\n').slice(-30).join('\n')}`;
      throw err;
    } finally {
      await s.close();
    }
    assertNoSecrets(s.stderr());
    assertNoSanitizerReport(s);
    return s;
  }

  async function call(s, kind, req, { id, raise = false, timeout = 30000 } = {}) {
    const r = await s.request('tools/call', { name: 'cloud_call', arguments: { kind, req, raise } }, { id, timeout });
    assert.ok(r.result, JSON.stringify(r));
    if (raise) return r.result;
    assert.ok(!r.result.isError, resultText(r.result));
    return r.result.structuredContent;
  }
  async function ok(s, kind, req) {
    const r = await call(s, kind, req);
    assert.equal(r.ok, true, JSON.stringify(r.error));
    return r;
  }
  async function failure(s, kind, req) {
    const r = await call(s, kind, req);
    assert.equal(r.ok, false, `expected an error, got ${JSON.stringify(r).slice(0, 300)}`);
    return r.error;
  }
  const count = async (filter) => (await sim.requests(filter)).length;

  test('signed CS GET and POST, STS and CMS over RPC, SLS GetLogs and CallAiTools', T, async () => {
    await withServer({ env: sim.keyEnv() }, async (s) => {
      const d = await ok(s, 'roa', describeProd());
      assert.equal(d.body.cluster_id, prod());
      assert.equal(d.info.status, 200);
      const [logged] = await sim.requests({ action: 'DescribeClusterDetail' });
      assert.equal(d.info.request_id, logged.request_id, 'the request id comes back');
      assert.equal(logged.scheme, 'ACS3-HMAC-SHA256');
      assert.equal(logged.verified, true);

      const diag = await ok(s, 'roa', {
        action: 'CreateClusterDiagnosis', method: 'POST', path: `/clusters/${prod()}/diagnosis`,
        body: { type: 'node', target: { name: 'cn-hangzhou.10.0.1.11' } },
      });
      assert.match(diag.body.diagnosis_id, /\w+/);

      const who = await ok(s, 'rpc', { product: 'sts', action: 'GetCallerIdentity' });
      assert.equal(who.body.AccountId, sim.info.account_id);
      assert.match(who.body.Arn, /user\/sim-admin$/);

      const now = Date.now();
      const metrics = await ok(s, 'rpc', {
        product: 'cms', action: 'DescribeMetricList',
        params: { Namespace: 'acs_ecs_dashboard', MetricName: 'CPUUtilization', Period: 60,
                  StartTime: now - 3600e3, EndTime: now },
      });
      assert.equal(metrics.body.Success, true);
      assert.ok(JSON.parse(metrics.body.Datapoints).length > 0, 'CMS returned datapoints');

      const to = Math.floor(now / 1000);
      const logs = await ok(s, 'sls', {
        project: `k8s-log-${prod()}`, path: '/logstores/k8s-event',
        query: { type: 'log', from: to - 86400, to, line: 5, query: 'level: Warning' },
      });
      assert.ok(Array.isArray(logs.body) && logs.body.length === 5, JSON.stringify(logs.body).slice(0, 200));
      assert.equal(logs.info.headers['x-log-progress'], 'Complete');
      const ai = await ok(s, 'sls', {
        method: 'POST', path: '/ml/tool/call',
        body: { toolName: 'text_to_sql', regionId: 'cn-hangzhou',
                params: { project: `k8s-log-${prod()}`, logstore: 'k8s-event', 'sys.query': 'warning events' } },
      });
      assert.equal(typeof ai.body, 'string', 'a text answer stays text');
      assert.match(ai.body, /------answer------/);

      const all = await sim.requests();
      assert.ok(all.every((r) => r.verified), JSON.stringify(all.filter((r) => !r.verified)));
      const sls = all.filter((r) => r.product === 'sls');
      assert.deepEqual(sls.map((r) => r.scheme), ['LOG-HMAC-SHA256', 'LOG-HMAC-SHA256']);
      assert.ok(sls[0].host.startsWith(`k8s-log-${prod()}.127.0.0.1:`), `the project rides in Host: ${sls[0].host}`);
    });
  });

  test('older signature schemes per product: --signature cs=roa-sha1, sts=rpc-sha1, sls=sls-sha1 or sls4', T, async () => {
    const to = Math.floor(Date.now() / 1000);
    const getLogs = { project: `k8s-log-${prod()}`, path: '/logstores/k8s-event', query: { type: 'log', from: to - 3600, to, line: 1 } };
    await withServer({ env: sim.keyEnv(), args: ['--signature', 'cs=roa-sha1', '--signature', 'sts=rpc-sha1', '--signature', 'sls=sls-sha1'] }, async (s) => {
      await ok(s, 'roa', describeProd());
      await ok(s, 'roa', { action: 'DescribeClustersV1', path: '/api/v1/clusters', query: { page_size: 2, name: 'prod hz*~' } });
      await ok(s, 'rpc', { product: 'sts', action: 'GetCallerIdentity' });
      await ok(s, 'sls', getLogs);
    });
    await withServer({ env: { ...sim.keyEnv(), SIGNATURES: 'sls=sls4' } }, async (s) => {
      await ok(s, 'sls', getLogs);
    });
    const schemes = (await sim.requests()).map((r) => `${r.action}:${r.scheme}:${r.verified}`);
    assert.deepEqual(schemes, [
      'DescribeClusterDetail:ROA-HMAC-SHA1:true', 'DescribeClustersV1:ROA-HMAC-SHA1:true',
      'GetCallerIdentity:RPC-HMAC-SHA1:true', 'GetLogs:LOG-HMAC-SHA1:true', 'GetLogs:SLS4-HMAC-SHA256:true',
    ]);
  });

  test('the write gate refuses writes without --allow-write; the diagnosis and inspection jobs pass on purpose', T, async () => {
    await withServer({ env: sim.keyEnv() }, async (s) => {
      const scale = await failure(s, 'roa', scaleProd());
      assert.equal(scale.code, 'WriteRefused');
      assert.match(scale.message, /cs ScaleClusterNodePool \(POST \/clusters\/.*--allow-write/);
      const rpc = await failure(s, 'rpc', { product: 'cms', action: 'PutMetricAlarm', params: { RuleName: 'x' } });
      assert.equal(rpc.code, 'WriteRefused');
      const sls = await failure(s, 'sls', { project: `k8s-log-${prod()}`, method: 'DELETE', path: '/logstores/k8s-event' });
      assert.equal(sls.code, 'WriteRefused');
      const spoof = await failure(s, 'roa', scaleProd({ action: 'CreateClusterDiagnosis' }));
      assert.equal(spoof.code, 'WriteRefused', 'a job\'s name on a write route does not pass');
      assert.equal(await count({ class: 'write' }), 0, 'nothing was sent');

      const inspect = await ok(s, 'roa', { action: 'RunClusterInspect', method: 'POST', path: `/clusters/${prod()}/inspectReports`, body: {} });
      assert.match(inspect.body.reportId, /\w+/);
      assert.equal(await count({ class: 'job' }), 1);
    });
    await withServer({ env: sim.keyEnv(), args: ['--allow-write'] }, async (s) => {
      const scaled = await ok(s, 'roa', scaleProd());
      assert.match(scaled.body.task_id, /^T-/);
      assert.equal(await count({ action: 'ScaleClusterNodePool' }), 1);
    });
  });

  test('throttling and 5xx: a read is retried and re-signed, a write is surfaced after exactly one request', T, async () => {
    await withServer({ env: sim.keyEnv(), args: ['--allow-write'] }, async (s) => {
      await sim.fault({ kind: 'throttle', product: 'cs', action: 'DescribeClusterDetail', count: 2 });
      const read = await ok(s, 'roa', describeProd());
      assert.equal(read.info.attempts, 3);
      const tries = await sim.requests({ action: 'DescribeClusterDetail' });
      assert.deepEqual(tries.map((r) => r.error_code ?? null), ['Throttling.User', 'Throttling.User', null]);
      assert.equal(new Set(tries.map((r) => r.nonce)).size, 3, 'every retry is signed afresh');

      await sim.fault({ kind: 'error', product: 'cs', action: 'DescribeClusterDetail', count: 1 });
      assert.equal((await ok(s, 'roa', describeProd())).info.attempts, 2);

      await sim.fault({ kind: 'throttle', product: 'cs', action: 'ScaleClusterNodePool', count: 1 });
      const w = await failure(s, 'roa', scaleProd());
      assert.equal(w.code, 'Throttling.User');
      assert.equal(w.retryable, true);
      assert.equal(w.attempts, 1);
      assert.match(w.message, /not retried: ScaleClusterNodePool changes state/);
      assert.equal(await count({ action: 'ScaleClusterNodePool' }), 1, 'the write was sent once');

      await sim.fault({ kind: 'error', product: 'cs', action: 'ScaleClusterNodePool', count: 1 });
      const w5 = await failure(s, 'roa', scaleProd());
      assert.equal(w5.code, 'ServiceUnavailable');
      assert.equal(w5.status, 503);
      assert.equal(await count({ action: 'ScaleClusterNodePool' }), 2, 'again exactly one more request');

      await sim.fault({ kind: 'throttle', product: 'cs', action: 'DescribeClusterDetail', count: 0 });
      const gave = await failure(s, 'roa', describeProd({ retries: 2 }));
      assert.equal(gave.code, 'Throttling.User');
      assert.equal(gave.attempts, 3);
      assert.match(gave.message, /gave up after 3 attempts/);
      assert.match(gave.request_id, /\w+/);
    });
  });

  test('latency past the timeout is a Timeout; a read tries again', T, async () => {
    await withServer({ env: sim.keyEnv() }, async (s) => {
      await sim.fault({ kind: 'latency', product: 'cs', action: 'DescribeClusterDetail', delay_ms: 3000, count: 1 });
      const slow = await failure(s, 'roa', describeProd({ timeout: 0.5, retries: 0 }));
      assert.equal(slow.code, 'Timeout');
      assert.equal(slow.retryable, true);
      await sim.fault({ kind: 'latency', product: 'cs', action: 'DescribeClusterDetail', delay_ms: 3000, count: 1 });
      const again = await ok(s, 'roa', describeProd({ timeout: 0.5, retries: 1 }));
      assert.equal(again.info.attempts, 2);
      // The two slow requests are still being answered: let them land in this test's log.
      await eventually(async () => (await count({ action: 'DescribeClusterDetail' })) === 3, { timeout: 10000, what: 'the slow answers' });
    });
  });

  test('a call cancelled while it backs off stops at once, and the server keeps serving', T, async () => {
    await withServer({ env: sim.keyEnv() }, async (s) => {
      await sim.fault({ kind: 'throttle', product: 'cs', action: 'DescribeClusterDetail', count: 0 });
      const id = 'cancel-me';
      const path = `/clusters/${sim.info.clusters.staging}`;
      const attempts = async () => (await sim.requests({ action: 'DescribeClusterDetail' })).filter((r) => r.path === path).length;
      await s.sendRequest('tools/call', { name: 'cloud_call', arguments: { kind: 'roa', req: describeProd({ path, retries: 10 }) } }, id);
      const n = await eventually(async () => {
        const c = await attempts();
        return c >= 2 && c;
      }, { timeout: 10000, what: 'two attempts' });
      await s.notify('notifications/cancelled', { requestId: id, reason: 'test' });
      // Uncancelled, attempts 3 and 4 would come within 3.6 s (backoff 0.3, 0.6, 1.2 s, +/-50 %).
      await sleep(4000);
      assert.ok(await attempts() <= n + 1, 'attempts went on after the cancellation');
      assert.ok(!s.messages.some((m) => m.id === id), 'a cancelled call gets no answer');
      await sim.clearFaults();
      await ok(s, 'roa', describeProd());
    });
  });

  test('STS credentials from the environment work, and an expired token is reported as such', T, async () => {
    const sts = await sim.assumeRoleWithOIDC();
    extraSecrets = [sts.AccessKeySecret, sts.SecurityToken];
    const env = { ALIBABA_CLOUD_ACCESS_KEY_ID: sts.AccessKeyId, ALIBABA_CLOUD_ACCESS_KEY_SECRET: sts.AccessKeySecret,
                  ALIBABA_CLOUD_SECURITY_TOKEN: sts.SecurityToken };
    await withServer({ env }, async (s) => {
      const who = await ok(s, 'credentials');
      assert.equal(who.body.source, 'env');
      assert.equal(who.body.session, true);
      assert.match(who.body.access_key_id, /^STS\.\*\*\*\*\w{4}$/);
      await ok(s, 'roa', describeProd());
      await ok(s, 'rpc', { product: 'sts', action: 'GetCallerIdentity' });
      assert.ok((await sim.requests({ product: 'cs' })).every((r) => r.security_token), 'the token travels with the request');
      await sim.expireCredentials();
      const e = await failure(s, 'roa', describeProd());
      assert.equal(e.code, 'InvalidSecurityToken.Expired');
      assert.equal(e.status, 400);
      assert.equal(e.attempts, 1);
      assert.match(e.message, /STS security token has expired/);
    });
  });

  test('RRSA: concurrent calls share one AssumeRoleWithOIDC, and an expired session is renewed', T, async () => {
    await withServer({ env: sim.rrsaEnv() }, async (s) => {
      const calls = [];
      for (let i = 0; i < 5; i++) calls.push(ok(s, 'roa', describeProd()));
      await Promise.all(calls);
      const assumed = await sim.requests({ action: 'AssumeRoleWithOIDC' });
      assert.equal(assumed.length, 1, 'one fetch for five waiting calls');
      assert.equal(assumed[0].scheme, 'anonymous');
      const who = await ok(s, 'credentials');
      assert.equal(who.body.source, 'rrsa');
      assert.ok(who.body.expires_at > Date.now() / 1000, 'session credentials say when they expire');

      await sim.expireCredentials();
      await ok(s, 'roa', describeProd()); // refused as expired, renewed, sent once more
      assert.equal(await count({ action: 'AssumeRoleWithOIDC' }), 2);
      const tries = await sim.requests({ action: 'DescribeClusterDetail' });
      assert.deepEqual(tries.slice(-2).map((r) => r.error_code ?? null), ['InvalidSecurityToken.Expired', null]);
    });
  });

  test('RRSA credentials that reach their expiry are fetched again before use', T, async () => {
    await sim.config({ sts_lifetime: 2 });
    await withServer({ env: sim.rrsaEnv() }, async (s) => {
      await ok(s, 'roa', describeProd());
      await sleep(2500);
      await ok(s, 'roa', describeProd());
      assert.equal(await count({ action: 'AssumeRoleWithOIDC' }), 2);
      const codes = (await sim.requests({ action: 'DescribeClusterDetail' })).map((r) => r.error_code ?? null);
      assert.deepEqual(codes, [null, null], 'no request went out with expired credentials');
    });
  });

  test('ECS RAM role through the metadata service with an IMDSv2 token', T, async () => {
    await withServer({ metadata: true }, async (s) => {
      const who = await ok(s, 'credentials');
      assert.equal(who.body.source, 'ecs_ram_role');
      await ok(s, 'roa', describeProd());
      const md = (await sim.requests({ product: 'metadata' })).map((r) => `${r.method} ${r.action} ${r.scheme}`);
      assert.deepEqual(md, ['PUT PutToken none', 'GET ListRoles imds-token', 'GET GetRoleCredentials imds-token']);
    });
    await sim.clearRequests();
    await withServer({ metadata: true, env: { ALIBABA_CLOUD_ECS_METADATA: sim.info.metadata.role_name } }, async (s) => {
      await ok(s, 'roa', describeProd());
      assert.deepEqual((await sim.requests({ product: 'metadata' })).map((r) => r.action), ['PutToken', 'GetRoleCredentials'],
        'a named role is not looked up');
    });
  });

  test('a credentials file: an access_key profile, and a ram_role_arn profile that assumes the role', T, async () => {
    const home = tempDir('ack-e2e-home-');
    try {
      mkdirSync(join(home.dir, '.alibabacloud'));
      const k = sim.fullKey;
      writeFileSync(join(home.dir, '.alibabacloud', 'credentials'),
        `[default]\ntype = access_key\naccess_key_id = ${k.id}\naccess_key_secret = ${k.secret}\n\n` +
        `[role]\ntype = ram_role_arn\naccess_key_id = ${k.id}\naccess_key_secret = ${k.secret}\n` +
        `role_arn = ${sim.info.sts.readonly_role_arn}\nrole_session_name = e2e\n`);
      await withServer({ home: home.dir }, async (s) => {
        assert.equal((await ok(s, 'credentials')).body.source, 'profile');
        await ok(s, 'roa', describeProd());
      });
      await withServer({ home: home.dir, env: { ALIBABA_CLOUD_PROFILE: 'role' }, args: ['--allow-write'] }, async (s) => {
        const who = await ok(s, 'rpc', { product: 'sts', action: 'GetCallerIdentity' });
        assert.match(who.body.Arn, /ack-mcp-readonly/, 'calls run as the assumed role');
        const [assume] = await sim.requests({ action: 'AssumeRole' });
        assert.equal(assume.verified, true);
        const denied = await failure(s, 'roa', scaleProd());
        assert.equal(denied.code, 'Forbidden.RAM');
        assert.equal(denied.status, 403);
        assert.match(denied.message, /not allowed this action/);
      });
    } finally {
      home.cleanup();
    }
  });

  test('no credentials: a precise error naming the settings, and the rest of the server keeps working', T, async () => {
    await withServer({}, async (s) => {
      const e = await failure(s, 'credentials');
      assert.equal(e.code, 'NoCredentials');
      assert.match(e.message, /^no Alibaba Cloud credentials: set --access-key-id\/--access-key-secret \(ACCESS_KEY_ID\/ACCESS_KEY_SECRET\)/);
      assert.match(e.message, /tried: config: not set; env: ALIBABA_CLOUD_ACCESS_KEY_ID not set; rrsa: .*ecs_ram_role: disabled/);
      const c = await failure(s, 'roa', describeProd());
      assert.equal(c.code, 'NoCredentials');
      const time = await s.request('tools/call', { name: 'get_current_time', arguments: {} });
      assert.ok(time.result && !time.result.isError, 'another tool still works');
      assert.equal(await count({}), 0, 'nothing was sent to the cloud');
    });
  });

  test('a wrong secret surfaces SignatureDoesNotMatch with what to check, and never reaches the log', T, async () => {
    const wrong = 'WrongSecretValue-do-not-log-42';
    extraSecrets = [wrong];
    await withServer({ env: { ALIBABA_CLOUD_ACCESS_KEY_ID: sim.fullKey.id, ALIBABA_CLOUD_ACCESS_KEY_SECRET: wrong } }, async (s) => {
      const e = await failure(s, 'roa', describeProd());
      assert.equal(e.code, 'SignatureDoesNotMatch');
      assert.equal(e.status, 400);
      assert.equal(e.retryable, false);
      assert.equal(e.api, 'DescribeClusterDetail');
      assert.equal(e.product, 'cs');
      assert.match(e.request_id, /\w+/);
      assert.match(e.message, /^SignatureDoesNotMatch: .*\(check the AccessKey secret\)/s);
      assert.ok(!e.message.includes(wrong));
      const raised = await call(s, 'roa', describeProd(), { raise: true });
      assert.equal(raised.isError, true, 'uncaught, it fails the tool call');
      assert.equal(raised._meta['ack-mcp-server/error'].code, 'SignatureDoesNotMatch');
      assert.match(resultText(raised), /tool cloud_call failed: SignatureDoesNotMatch/);
      const sls = await failure(s, 'sls', { project: `k8s-log-${prod()}`, path: '/logstores/k8s-event', query: { type: 'log', from: 1, to: 2 } });
      assert.equal(sls.code, 'SignatureNotMatch');
      assert.match(sls.message, /check the AccessKey secret/);
    });
    await withServer({ env: sim.keyEnv(sim.disabledKey) }, async (s) => {
      const e = await failure(s, 'roa', describeProd());
      assert.equal(e.code, 'InvalidAccessKeyId.Inactive');
      assert.match(e.message, /the AccessKey is disabled/);
    });
  });

  test('bad requests get precise errors before anything is sent', T, async () => {
    await withServer({ env: sim.keyEnv() }, async (s) => {
      const cases = [
        ['roa', describeProd({ region: 'cn hangzhou' }), /invalid region 'cn hangzhou'/],
        ['roa', describeProd({ path: `/clusters/${prod()}?x=1` }), /put parameters in query/],
        ['roa', describeProd({ path: 'clusters' }), /path must start with '\/'/],
        ['roa', describeProd({ product: 'ecs' }), /unknown product 'ecs'/],
        ['roa', describeProd({ product: 'sls' }), /not called with aliyun.roa/],
        ['rpc', { product: 'cms' }, /action is required/],
        ['sls', { project: 'Bad_Project', path: '/logstores/x' }, /invalid SLS project/],
        ['roa', describeProd({ method: 'GE T' }), /invalid method/],
      ];
      for (const [kind, req, re] of cases) {
        const e = await failure(s, kind, req);
        assert.equal(e.code, 'InvalidArgument', JSON.stringify(req));
        assert.match(e.message, re);
      }
      const lua = await s.request('tools/call', { name: 'cloud_call', arguments: { kind: 'roa', req: describeProd({ query: 'x=1' }) } });
      assert.equal(lua.result.isError, true, 'a query that is not a table is the tool author\'s error');
      assert.match(resultText(lua.result), /query must be a table/);
      assert.equal(await count({}), 0);
      const missing = await failure(s, 'roa', { action: 'DescribeClusterDetail', path: '/clusters/c0000000000000000000000000000000' });
      assert.equal(missing.status, 404);
      assert.match(missing.code, /NotFound/);
    });
  });

  test('endpoint and signature settings are checked at start', T, async () => {
    for (const [args, re] of [
      [['--endpoint', 'ecs=http://127.0.0.1:1'], /unknown product 'ecs'/],
      [['--endpoint', 'cs=ftp://127.0.0.1:1'], /http:\/\/ or https:\/\//],
      [['--signature', 'cms=roa-sha1'], /cms takes acs3 or rpc-sha1/],
    ]) {
      const s = new RawServer(serverArgs(args), { env: serverEnv(sim.serverEnv()) });
      const exit = await s.waitExit(5000);
      assert.equal(exit?.code, 2, s.stderr());
      assert.match(s.stderr(), re);
    }
  });

  test('per-request credentials over HTTP sign that request', T, async () => {
    const srv = await HttpServer.start(serverArgs(sim.serverArgs(['--tools-dir', FIXTURES, '--allow-request-credentials', '--allow-write', '--log-level', 'debug'])),
      { env: serverEnv({ ...sim.serverEnv(), ...sim.keyEnv() }) });
    try {
      const sess = await srv.initSession();
      const post = async (kind, req, headers) => {
        const r = await srv.request('/mcp', {
          method: 'POST',
          headers: postHeaders({ session: sess.id, version: sess.version, extra: headers }),
          body: JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'cloud_call', arguments: { kind, req } } }),
        });
        assert.equal(r.status, 200, r.body);
        return JSON.parse(r.body).result.structuredContent;
      };
      const ro = sim.readonlyKey;
      const creds = { 'x-aliyun-access-key-id': ro.id, 'x-aliyun-access-key-secret': ro.secret, 'x-aliyun-region': 'cn-shanghai' };
      const who = await post('credentials', {}, creds);
      assert.equal(who.body.source, 'request');
      assert.equal(who.body.access_key_id, 'LTAI****0002');
      const d = await post('roa', describeProd(), creds);
      assert.equal(d.ok, true, JSON.stringify(d.error));
      const denied = await post('roa', scaleProd(), creds);
      assert.equal(denied.error.code, 'Forbidden.RAM', 'the request\'s read-only key signed it, not the server\'s');
      const own = await post('roa', describeProd(), {});
      assert.equal(own.ok, true);
      const keys = (await sim.requests({ product: 'cs' })).map((r) => r.access_key_id);
      assert.deepEqual(keys, ['LTAI****0002', 'LTAI****0002', 'LTAI****0001']);
      const half = await post('roa', describeProd(), { 'x-aliyun-access-key-id': ro.id });
      assert.equal(half.error.code, 'InvalidCredentials');
    } finally {
      await srv.close();
    }
    assertNoSecrets(srv.stderr());
    assertNoSanitizerReport(srv);
  });
});
