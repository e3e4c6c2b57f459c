// tests/e2e/modern.test.js: the stateless 2026-07-28 revision, first as raw JSON lines that
// carry the per-request `_meta` envelope, then through the official v2 client
// (@modelcontextprotocol/client 2.4.0): server/discover, cache hints, resultType,
// multi-round-trip input requests, per-request log level and version errors.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { ProtocolError } from '@modelcontextprotocol/client';

import {
  LEGACY_VERSIONS, META, MODERN_VERSION, RawServer, assertBinary, assertNoSanitizerReport, echoed, modernClient, resultText, serverArgs, sleep, using,
} from './lib/harness.js';

const T = { timeout: 60000 };

function result(msg) {
  assert.ok(msg.result !== undefined, `expected a result, got ${JSON.stringify(msg)}`);
  return msg.result;
}

function expectCacheHints(r) {
  assert.ok(Number.isInteger(r.ttlMs) && r.ttlMs >= 0, `ttlMs must be an integer >= 0: ${JSON.stringify(r.ttlMs)}`);
  assert.ok(['public', 'private'].includes(r.cacheScope), `cacheScope: ${JSON.stringify(r.cacheScope)}`);
}

before(() => assertBinary());

describe('modern requests on the wire (no initialize)', () => {
  // One server for all the raw checks: it also proves a modern server needs no handshake
  // and keeps no state between requests.
  let srv;
  before(() => {
    srv = new RawServer();
  });
  after(async () => {
    await srv?.close();
    if (srv) assertNoSanitizerReport(srv);
  });

  test('server/discover lists 2026-07-28 and every legacy version', T, async () => {
    const r = result(await srv.modern('server/discover'));
    assert.equal(r.resultType, 'complete');
    assert.ok(Array.isArray(r.supportedVersions), JSON.stringify(r));
    for (const v of [MODERN_VERSION, ...LEGACY_VERSIONS]) assert.ok(r.supportedVersions.includes(v), `${v} missing from ${r.supportedVersions}`);
    assert.equal(r.capabilities?.tools !== undefined, true, `capabilities: ${JSON.stringify(r.capabilities)}`);
    expectCacheHints(r);
  });

  test('server/discover names the server in _meta serverInfo', T, async () => {
    const r = result(await srv.modern('server/discover'));
    const info = r._meta?.[META.serverInfo];
    assert.ok(info, `no _meta["${META.serverInfo}"] in ${JSON.stringify(r)}`);
    assert.equal(info.name, 'ack-mcp-server');
    assert.equal(typeof info.version, 'string');
  });

  test('tools/list carries resultType "complete", ttlMs and cacheScope', T, async () => {
    const r = result(await srv.modern('tools/list'));
    assert.equal(r.resultType, 'complete');
    expectCacheHints(r);
    const names = r.tools.map((t) => t.name);
    for (const n of ['get_current_time', 'echo', 'sleep', 'confirm']) assert.ok(names.includes(n), `${n} missing from ${names}`);
    assert.ok(!names.includes('write_thing'));
  });

  test('tools/list is in the same order on every call', T, async () => {
    const a = result(await srv.modern('tools/list')).tools.map((t) => t.name);
    const b = result(await srv.modern('tools/list')).tools.map((t) => t.name);
    assert.deepEqual(a, b);
  });

  test('tools/call returns resultType "complete" with structuredContent', T, async () => {
    const r = result(await srv.modern('tools/call', { name: 'echo', arguments: { message: 'modern' } }));
    assert.equal(r.resultType, 'complete');
    assert.deepEqual(r.structuredContent, echoed({ message: 'modern' }));
    assert.deepEqual(JSON.parse(resultText(r)), r.structuredContent);
  });

  test('tools/call of an unknown tool is -32602', T, async () => {
    const res = await srv.modern('tools/call', { name: 'no_such_tool', arguments: {} });
    assert.equal(res.error?.code, -32602, JSON.stringify(res));
  });

  test('invalid arguments are an isError result naming the path', T, async () => {
    const r = result(await srv.modern('tools/call', { name: 'sleep', arguments: { seconds: 'x' } }));
    assert.equal(r.isError, true, JSON.stringify(r));
    assert.match(resultText(r), /arguments\.seconds/);
  });

  test('an unsupported protocol version is -32022 with data.supported', T, async () => {
    const res = await srv.modern('tools/list', {}, { meta: { [META.version]: '2099-01-01' } });
    assert.equal(res.error?.code, -32022, JSON.stringify(res));
    assert.ok(Array.isArray(res.error.data?.supported), `data: ${JSON.stringify(res.error.data)}`);
    assert.ok(res.error.data.supported.includes(MODERN_VERSION), `supported: ${res.error.data.supported}`);
    assert.equal(res.error.data.requested, '2099-01-01');
  });

  test('per-request logLevel: warning and above are sent before the result; none without it', T, async () => {
    let from = srv.mark();
    let res = await srv.modern('tools/call', { name: 'logs', arguments: {} }, { meta: { [META.logLevel]: 'warning' } });
    result(res);
    let logs = srv.messages.slice(from, srv.messages.indexOf(res)).filter((m) => m.method === 'notifications/message');
    assert.deepEqual(logs.map((m) => m.params.level), ['warning', 'error'], JSON.stringify(logs));
    assert.deepEqual(logs[0].params.data, { text: 'warning message', n: 4 });

    from = srv.mark();
    res = await srv.modern('tools/call', { name: 'logs', arguments: {} });
    result(res);
    await sleep(200);
    logs = srv.messages.slice(from).filter((m) => m.method === 'notifications/message');
    assert.deepEqual(logs, [], 'no notifications/message for a request without a logLevel');
  });

  test('progress notifications follow the progressToken in _meta', T, async () => {
    const from = srv.mark();
    const res = await srv.modern('tools/call', { name: 'progress', arguments: { steps: 3 } }, { meta: { progressToken: 42 } });
    assert.equal(result(res).resultType, 'complete');
    const progress = srv.messages.slice(from, srv.messages.indexOf(res)).filter((m) => m.method === 'notifications/progress');
    assert.deepEqual(progress.map((p) => [p.params.progressToken, p.params.progress, p.params.total]), [[42, 1, 3], [42, 2, 3], [42, 3, 3]]);
  });

  test('confirm round-trips: input_required with inputRequests, then inputResponses', T, async () => {
    const caps = { elicitation: { form: {} } };
    const first = result(await srv.modern('tools/call', { name: 'confirm', arguments: { question: 'Scale to zero?' } }, { capabilities: caps }));
    assert.equal(first.resultType, 'input_required', JSON.stringify(first));
    const keys = Object.keys(first.inputRequests || {});
    assert.equal(keys.length, 1, `inputRequests: ${JSON.stringify(first.inputRequests)}`);
    const req = first.inputRequests[keys[0]];
    assert.equal(req.method, 'elicitation/create');
    assert.equal(req.params.message, 'Scale to zero?');
    assert.equal(req.params.requestedSchema.properties.confirm.type, 'boolean');
    assert.ok(!srv.messages.some((m) => m.method === 'elicitation/create'), 'no server->client request on the modern era');

    const retry = {
      name: 'confirm',
      arguments: { question: 'Scale to zero?' },
      inputResponses: { [keys[0]]: { action: 'accept', content: { confirm: true } } },
    };
    if (first.requestState !== undefined) retry.requestState = first.requestState;
    const second = result(await srv.modern('tools/call', retry, { capabilities: caps }));
    assert.equal(second.resultType, 'complete', JSON.stringify(second));
    assert.deepEqual(second.structuredContent, { action: 'accept', content: { confirm: true } });
  });

  test('no input request is sent to a client that did not declare elicitation', T, async () => {
    const res = await srv.modern('tools/call', { name: 'confirm', arguments: {} }, { capabilities: {} });
    if (res.error) {
      assert.equal(res.error.code, -32021, `expected MissingRequiredClientCapability: ${JSON.stringify(res)}`);
    } else {
      assert.notEqual(res.result.resultType, 'input_required', `elicitation asked of a client without the capability: ${JSON.stringify(res)}`);
      assert.equal(res.result.isError, true, JSON.stringify(res));
    }
  });

  test('stdout carried only JSON lines; the server exits 0 on EOF', T, async () => {
    assert.deepEqual(srv.badLines, []);
    srv.closeStdin();
    assert.deepEqual(await srv.waitExit(5000), { code: 0, signal: null });
  });
});

describe('modern era through @modelcontextprotocol/client 2.4.0', () => {
  test('pinned 2026-07-28: connects via server/discover, lists and calls tools', T, async () => {
    await using(await modernClient(), async (s) => {
      assert.equal(s.client.getNegotiatedProtocolVersion(), MODERN_VERSION);
      assert.equal(s.client.getServerVersion()?.name, 'ack-mcp-server');
      assert.ok(!s.sent.some((m) => m.method === 'initialize'), 'no initialize on the modern era');
      const { tools } = await s.client.listTools();
      const names = tools.map((t) => t.name);
      for (const n of ['get_current_time', 'echo', 'sleep']) assert.ok(names.includes(n), `${n} missing from ${names}`);
      const r = await s.client.callTool({ name: 'echo', arguments: { message: 'v2', count: 2 } });
      assert.deepEqual(r.structuredContent, echoed({ message: 'v2', count: 2 }));
      const t = await s.client.callTool({ name: 'get_current_time', arguments: {} });
      assert.notEqual(t.isError, true, JSON.stringify(t));
      // Every request the client sent carried the modern envelope.
      for (const m of s.sent.filter((x) => x.method)) {
        assert.equal(m.params?._meta?.[META.version], MODERN_VERSION, `envelope missing on ${m.method}`);
      }
    });
  });

  test('auto negotiation picks 2026-07-28', T, async () => {
    await using(await modernClient({ versionNegotiation: { mode: 'auto' } }), async (s) => {
      assert.equal(s.client.getNegotiatedProtocolVersion(), MODERN_VERSION);
      assert.equal(s.client.getProtocolEra(), 'modern');
    });
  });

  test('legacy mode (the v2 default) still initializes at 2025-11-25', T, async () => {
    await using(await modernClient({ versionNegotiation: { mode: 'legacy' } }), async (s) => {
      assert.equal(s.client.getNegotiatedProtocolVersion(), '2025-11-25');
      const r = await s.client.callTool({ name: 'echo', arguments: { message: 'legacy via v2' } });
      assert.equal(r.structuredContent?.message, 'legacy via v2');
    });
  });

  test('the elicitation handler answers input_required (multi-round-trip) and the call completes', T, async () => {
    const seen = [];
    await using(await modernClient({
      capabilities: { elicitation: { form: {} } },
      setup: (c) => c.setRequestHandler('elicitation/create', (req) => {
        seen.push(req.params);
        return { action: 'accept', content: { confirm: true } };
      }),
    }), async (s) => {
      const r = await s.client.callTool({ name: 'confirm', arguments: { question: 'Drain the node?' } });
      assert.deepEqual(r.structuredContent, { action: 'accept', content: { confirm: true } });
      assert.equal(seen.length, 1);
      assert.equal(seen[0].message, 'Drain the node?');
      const calls = s.sent.filter((m) => m.method === 'tools/call');
      assert.equal(calls.length, 2, 'the call was retried once');
      assert.ok(calls[1].params.inputResponses, 'the retry carries inputResponses');
    });
  });

  test('a declined elicitation reaches the tool', T, async () => {
    await using(await modernClient({
      capabilities: { elicitation: { form: {} } },
      setup: (c) => c.setRequestHandler('elicitation/create', () => ({ action: 'decline' })),
    }), async (s) => {
      const r = await s.client.callTool({ name: 'confirm', arguments: {} });
      assert.equal(r.structuredContent.action, 'decline');
    });
  });

  test('an unknown tool rejects with ProtocolError -32602', T, async () => {
    await using(await modernClient(), async (s) => {
      await assert.rejects(s.client.callTool({ name: 'no_such_tool', arguments: {} }), (e) => {
        assert.ok(e instanceof ProtocolError, `got ${e}`);
        assert.equal(e.code, -32602);
        return true;
      });
    });
  });

  test('progress reaches onprogress on the modern era', T, async () => {
    await using(await modernClient(), async (s) => {
      const seen = [];
      const r = await s.client.callTool({ name: 'progress', arguments: { steps: 4 } }, { onprogress: (p) => seen.push(p.progress) });
      assert.deepEqual(r.structuredContent, { steps: 4 });
      assert.deepEqual(seen, [1, 2, 3, 4]);
    });
  });

  test('a slow call does not block a fast one on the modern era', T, async () => {
    await using(await modernClient(), async (s) => {
      const order = [];
      const slow = s.client.callTool({ name: 'sleep', arguments: { seconds: 2 } }).then(() => order.push('sleep'));
      const fast = s.client.callTool({ name: 'echo', arguments: { message: 'fast' } }).then(() => order.push('echo'));
      await Promise.all([slow, fast]);
      assert.deepEqual(order, ['echo', 'sleep']);
    });
  });
});

describe('write gate on the modern era', () => {
  test('write_thing is listed and callable only with --allow-write', T, async () => {
    await using(new RawServer(serverArgs(['--allow-write'])), async (srv) => {
      const names = result(await srv.modern('tools/list')).tools.map((t) => t.name);
      assert.ok(names.includes('write_thing'), `${names}`);
      const r = result(await srv.modern('tools/call', { name: 'write_thing', arguments: {} }));
      assert.deepEqual(r.structuredContent, { written: true });
    });
    await using(new RawServer(), async (srv) => {
      const res = await srv.modern('tools/call', { name: 'write_thing', arguments: {} });
      const refused = res.error !== undefined || res.result?.isError === true;
      assert.ok(refused, `write_thing ran without --allow-write: ${JSON.stringify(res)}`);
    });
  });
});
