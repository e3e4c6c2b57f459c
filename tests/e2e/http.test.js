// tests/e2e/http.test.js: Streamable HTTP at /mcp on the HTTP listener (--transport http).
// The official clients first (@modelcontextprotocol/sdk 1.32.2's StreamableHTTPClientTransport
// through the shared transport suite, @modelcontextprotocol/client 2.4.0's over 2026-07-28),
// then the wire by hand: session rules, JSON versus SSE answers, DELETE, the 2026-07-28
// header rules, Last-Event-ID resumption, and /healthz, /readyz, /metrics.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { ProtocolError } from '@modelcontextprotocol/client';

import {
  CLIENT_INFO, HttpServer, MODERN_VERSION, assertBinary, assertNoSanitizerReport, echoed, eventually, metricValue, modernHttpClient, modernMeta, openStream,
  parseMetrics, postHeaders, resultText, serverArgs, sleep, tail, tempDir, using, within,
  serverFixture,
} from './lib/harness.js';
import { sdkTransportSuite, writeTool } from './lib/transport_suite.js';

const T = { timeout: 30000 };

before(() => assertBinary());

sdkTransportSuite('streamable', 'Streamable HTTP (/mcp)');

/** Runs fn with a fresh server (extra args after the repo and fixture tools); always closes it. */
async function withHttp(extraArgs, fn) {
  const srv = await HttpServer.start(serverArgs(extraArgs));
  return using(srv, fn);
}

function json(r) {
  try {
    return JSON.parse(r.body);
  } catch {
    throw new Error(`not JSON (${r.status}): ${r.body.slice(0, 300)}`);
  }
}

// ---------------------------------------------------------------------------------------

describe('@modelcontextprotocol/client 2.4.0 over Streamable HTTP at 2026-07-28 (stateless)', () => {
  let srv;
  before(async () => {
    srv = await HttpServer.start();
  });
  after(async () => {
    await srv?.close();
    if (srv) assertNoSanitizerReport(srv);
  });
  const diag = (e) => {
    e.message += `\n--- server stderr (tail) ---\n${tail(srv.stderr())}`;
    throw e;
  };

  test('connects pinned to 2026-07-28 without a session; every POST carries the modern headers', T, async () => {
    const s = await modernHttpClient(srv);
    try {
      assert.equal(s.client.getNegotiatedProtocolVersion(), MODERN_VERSION);
      assert.equal(s.client.getProtocolEra(), 'modern');
      const r = await s.client.callTool({ name: 'echo', arguments: { message: 'modern http' } });
      assert.deepEqual(r.structuredContent, echoed({ message: 'modern http' }));
      const posts = s.fetches.filter((f) => f.method === 'POST');
      assert.ok(posts.length >= 1, 'the client POSTed');
      for (const p of posts) {
        assert.equal(p.sessionId, null, `no Mcp-Session-Id is minted at 2026-07-28 (POST ${p.body})`);
        assert.equal(p.headers['mcp-protocol-version'], MODERN_VERSION);
        const body = JSON.parse(p.body);
        assert.equal(p.headers['mcp-method'], body.method);
        if (body.method === 'tools/call') assert.equal(p.headers['mcp-name'], body.params.name);
        assert.ok(p.status < 300, `POST ${p.body} answered ${p.status}`);
      }
      assert.ok(!s.fetches.some((f) => f.method === 'GET'), 'a modern client opens no GET stream');
    } catch (e) {
      diag(e);
    } finally {
      await s.close();
    }
  });

  test('tools/list and a tool error through the modern client', T, async () => {
    const s = await modernHttpClient(srv);
    try {
      const { tools } = await s.client.listTools();
      for (const n of ['echo', 'sleep', 'progress', 'confirm']) assert.ok(tools.some((x) => x.name === n), `${n} missing`);
      await assert.rejects(s.client.callTool({ name: 'no_such_tool', arguments: {} }), (e) => {
        assert.ok(e instanceof ProtocolError, `got ${e}`);
        assert.equal(e.code, -32602);
        return true;
      });
    } catch (e) {
      diag(e);
    } finally {
      await s.close();
    }
  });

  test('progress reaches onprogress; the answer came as an SSE stream', T, async () => {
    const s = await modernHttpClient(srv);
    try {
      const seen = [];
      const r = await s.client.callTool({ name: 'progress', arguments: { steps: 3 } }, { onprogress: (p) => seen.push(p.progress) });
      assert.deepEqual(r.structuredContent, { steps: 3 });
      assert.deepEqual(seen, [1, 2, 3]);
      const post = s.fetches.find((f) => f.method === 'POST' && f.body?.includes('"progress"'));
      assert.match(post.contentType || '', /^text\/event-stream/);
    } catch (e) {
      diag(e);
    } finally {
      await s.close();
    }
  });

  test('elicitation as input_required: the client answers and retries, the call completes', T, async () => {
    const seen = [];
    const s = await modernHttpClient(srv, {
      capabilities: { elicitation: { form: {} } },
      setup: (c) => c.setRequestHandler('elicitation/create', (req) => {
        seen.push(req.params);
        return { action: 'accept', content: { confirm: true } };
      }),
    });
    try {
      const r = await s.client.callTool({ name: 'confirm', arguments: { question: 'Over HTTP?' } });
      assert.deepEqual(r.structuredContent, { action: 'accept', content: { confirm: true } });
      assert.equal(seen.length, 1);
      assert.equal(seen[0].message, 'Over HTTP?');
      const calls = s.sent.filter((m) => m.method === 'tools/call');
      assert.equal(calls.length, 2, 'the call was retried once with inputResponses');
      assert.ok(calls[1].params.inputResponses);
    } catch (e) {
      diag(e);
    } finally {
      await s.close();
    }
  });

  test('aborting a modern call closes its POST and the server cancels the call', T, async () => {
    const s = await modernHttpClient(srv);
    try {
      const before = metricValue(await srv.metrics(), 'ack_mcp_tool_calls_total', { tool: 'sleep', outcome: 'cancelled' }) || 0;
      const ac = new AbortController();
      const call = s.client.callTool({ name: 'sleep', arguments: { seconds: 3 } }, { signal: ac.signal });
      const rejected = assert.rejects(call);
      await sleep(300);
      ac.abort('test cancels');
      await rejected;
      await eventually(async () => (metricValue(await srv.metrics(), 'ack_mcp_tool_calls_total', { tool: 'sleep', outcome: 'cancelled' }) || 0) > before,
        { timeout: 2000, what: 'the sleep to be counted cancelled' });
      const r = await s.client.callTool({ name: 'echo', arguments: { message: 'after abort' } });
      assert.equal(r.structuredContent.message, 'after abort');
    } catch (e) {
      diag(e);
    } finally {
      await s.close();
    }
  });

  test('many modern calls at once', T, async () => {
    const s = await modernHttpClient(srv);
    try {
      const rs = await Promise.all(Array.from({ length: 30 }, (_, i) => s.client.callTool({ name: 'echo', arguments: { message: `c${i}` } })));
      rs.forEach((r, i) => assert.equal(r.structuredContent.message, `c${i}`));
    } catch (e) {
      diag(e);
    } finally {
      await s.close();
    }
  });
});

// ---------------------------------------------------------------------------------------

describe('Streamable HTTP on the wire (legacy sessions)', () => {
  const { srv, t } = serverFixture(() => HttpServer.start(), T);
  const post = (sess, msg, extra = {}) => srv.request('/mcp', {
    method: 'POST', headers: postHeaders({ session: sess?.id, version: sess?.version, extra }), body: JSON.stringify(msg),
  });

  t('initialize: 200 application/json with a visible-ASCII Mcp-Session-Id', async () => {
    const r = await post(null, { jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: CLIENT_INFO } });
    assert.equal(r.status, 200, r.body);
    assert.match(r.headers['content-type'], /^application\/json/);
    assert.match(r.headers['mcp-session-id'] || '', /^[\x21-\x7e]{16,}$/);
    assert.equal(json(r).result.protocolVersion, '2025-06-18');
  });

  t('two initializes get two different session ids', async () => {
    const a = await srv.initSession();
    const b = await srv.initSession();
    assert.notEqual(a.id, b.id);
  });

  t('a notification and a JSON-RPC response are answered 202 with an empty body', async () => {
    const sess = await srv.initSession();
    const n = await post(sess, { jsonrpc: '2.0', method: 'notifications/progress', params: { progressToken: 'x', progress: 1 } });
    assert.equal(n.status, 202);
    assert.equal(n.body, '');
    const r = await post(sess, { jsonrpc: '2.0', id: 'not-asked', result: {} });
    assert.equal(r.status, 202);
    assert.equal(r.body, '');
  });

  t('a request without Mcp-Session-Id after initialize is 400', async () => {
    await srv.initSession();
    const r = await post(null, { jsonrpc: '2.0', id: 2, method: 'tools/list' });
    assert.equal(r.status, 400, r.body);
  });

  t('a call without progress is answered application/json', async () => {
    const sess = await srv.initSession();
    const r = await post(sess, { jsonrpc: '2.0', id: 3, method: 'tools/call', params: { name: 'echo', arguments: { message: 'json' } } });
    assert.equal(r.status, 200);
    assert.match(r.headers['content-type'], /^application\/json/);
    assert.deepEqual(json(r).result.structuredContent, echoed({ message: 'json' }));
    assert.equal(json(r).id, 3);
  });

  t('a call with progress is answered as an SSE stream: numbered events, the result last, then the stream ends', async () => {
    const sess = await srv.initSession();
    const s = await openStream(srv.url('/mcp'), {
      method: 'POST', headers: postHeaders({ session: sess.id, version: sess.version }),
      body: JSON.stringify({ jsonrpc: '2.0', id: 4, method: 'tools/call', params: { name: 'progress', arguments: { steps: 3 }, _meta: { progressToken: 'p' } } }),
    });
    assert.equal(s.status, 200);
    assert.match(s.headers['content-type'], /^text\/event-stream/);
    await within(s.ended, 5000);
    assert.ok(s.isEnded, 'the stream ends after the response');
    const evs = s.events().filter((e) => e.json);
    assert.deepEqual(evs.map((e) => e.json.method ?? 'result'), ['notifications/progress', 'notifications/progress', 'notifications/progress', 'result']);
    assert.deepEqual(evs[3].json.result.structuredContent, { steps: 3 });
    const ids = evs.map((e) => e.id);
    assert.ok(ids.every((id) => typeof id === 'string' && id.length > 0), `every event has an id: ${ids}`);
    assert.equal(new Set(ids).size, ids.length, `ids are unique: ${ids}`);
  });

  t('a cancelled call gets no result, and its POST is ended instead of being held open forever', async () => {
    const sess = await srv.initSession();
    let req;
    const s = openStream(srv.url('/mcp'), {
      method: 'POST', headers: postHeaders({ session: sess.id, version: sess.version }), onRequest: (r) => { req = r; },
      body: JSON.stringify({ jsonrpc: '2.0', id: 5, method: 'tools/call', params: { name: 'sleep', arguments: { seconds: 2 } } }),
    });
    s.catch(() => {});
    try {
      await sleep(300);
      const c = await post(sess, { jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: 5, reason: 'test' } });
      assert.equal(c.status, 202);
      // The call is gone and nothing will ever answer that POST, so the server must end it
      // (202, or an SSE stream that closes) rather than hold the connection until the client gives up.
      const st = await within(s, 3500);
      assert.ok(st, 'the cancelled POST got no response head within 3.5 s (the call would have finished at 2 s): the connection is held open forever');
      await within(st.ended, 1000);
      assert.ok(st.isEnded, `the cancelled POST (status ${st.status}) was not ended`);
      assert.ok(!st.text().includes('"id":5'), `a cancelled request gets no response: ${st.text()}`);
    } finally {
      req.destroy();
    }
  });

  t('DELETE ends the session: later requests on it are 404', async () => {
    const sess = await srv.initSession();
    const d = await srv.request('/mcp', { method: 'DELETE', headers: { 'mcp-session-id': sess.id, 'mcp-protocol-version': sess.version } });
    assert.ok([200, 202, 204].includes(d.status), `DELETE answered ${d.status}: ${d.body}`);
    const r = await post(sess, { jsonrpc: '2.0', id: 6, method: 'tools/list' });
    assert.equal(r.status, 404, r.body);
    const g = await srv.request('/mcp', { headers: { accept: 'text/event-stream', 'mcp-session-id': sess.id } });
    assert.equal(g.status, 404);
    const d2 = await srv.request('/mcp', { method: 'DELETE', headers: { 'mcp-session-id': sess.id } });
    assert.equal(d2.status, 404);
  });

  t('GET /mcp without Accept: text/event-stream is refused (406), a GET with it opens the stream', async () => {
    const sess = await srv.initSession();
    const g = await srv.request('/mcp', { headers: { accept: 'application/json', 'mcp-session-id': sess.id } });
    assert.equal(g.status, 406, g.body);
    const s = await openStream(srv.url('/mcp'), { headers: { accept: 'text/event-stream', 'mcp-session-id': sess.id, 'mcp-protocol-version': sess.version } });
    try {
      assert.equal(s.status, 200);
      assert.match(s.headers['content-type'], /^text\/event-stream/);
    } finally {
      s.destroy();
    }
  });

  t('an unknown path is 404', async () => {
    const r = await srv.request('/nope');
    assert.equal(r.status, 404);
  });
});

// ---------------------------------------------------------------------------------------

describe('2026-07-28 POSTs on /mcp by hand', () => {
  let srv;
  before(async () => {
    srv = await HttpServer.start();
  });
  after(async () => {
    await srv?.close();
    if (srv) assertNoSanitizerReport(srv);
  });
  const modernPost = (method, params = {}, headers = {}) => srv.request('/mcp', {
    method: 'POST',
    headers: postHeaders({ version: MODERN_VERSION, extra: { 'mcp-method': method, ...headers } }),
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params: { ...params, _meta: modernMeta() } }),
  });
  const t = (name, fn) => test(name, T, async () => {
    try {
      await fn();
    } catch (e) {
      e.message += `\n--- server stderr (tail) ---\n${tail(srv.stderr())}`;
      throw e;
    }
  });
  const expectHeaderError = (r, status, code) => {
    assert.equal(r.status, status, r.body);
    assert.equal(json(r).error?.code, code, r.body);
  };

  t('tools/call with matching headers: 200, no session minted', async () => {
    const r = await modernPost('tools/call', { name: 'echo', arguments: { message: 'hi' } }, { 'mcp-name': 'echo' });
    assert.equal(r.status, 200, r.body);
    assert.equal(r.headers['mcp-session-id'], undefined);
    assert.deepEqual(json(r).result.structuredContent, echoed({ message: 'hi' }));
  });

  t('a tools/call whose arguments carry non-ASCII text is answered', async () => {
    const r = await modernPost('tools/call', { name: 'echo', arguments: { message: 'grüße 你好' } }, { 'mcp-name': 'echo' });
    assert.equal(r.status, 200, r.body);
    assert.equal(json(r).result.structuredContent.message, 'grüße 你好');
  });

  t('Mcp-Method missing: 400 with -32020', async () => {
    const r = await srv.request('/mcp', {
      method: 'POST', headers: postHeaders({ version: MODERN_VERSION }),
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list', params: { _meta: modernMeta() } }),
    });
    expectHeaderError(r, 400, -32020);
  });

  t('Mcp-Method different from the body method: 400 with -32020', async () => {
    const r = await srv.request('/mcp', {
      method: 'POST', headers: postHeaders({ version: MODERN_VERSION, extra: { 'mcp-method': 'tools/call' } }),
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list', params: { _meta: modernMeta() } }),
    });
    expectHeaderError(r, 400, -32020);
  });

  t('Mcp-Name missing on tools/call: 400 with -32020', async () => {
    expectHeaderError(await modernPost('tools/call', { name: 'echo', arguments: { message: 'x' } }), 400, -32020);
  });

  t('Mcp-Name different from params.name: 400 with -32020, and the tool does not run', async () => {
    const before = metricValue(await srv.metrics(), 'ack_mcp_tool_calls_total', { tool: 'echo', outcome: 'ok' }) || 0;
    expectHeaderError(await modernPost('tools/call', { name: 'echo', arguments: { message: 'x' } }, { 'mcp-name': 'sleep' }), 400, -32020);
    assert.equal(metricValue(await srv.metrics(), 'ack_mcp_tool_calls_total', { tool: 'echo', outcome: 'ok' }) || 0, before);
  });

  t('MCP-Protocol-Version header different from the _meta version: 400', async () => {
    const r = await srv.request('/mcp', {
      method: 'POST', headers: postHeaders({ version: MODERN_VERSION, extra: { 'mcp-method': 'tools/list' } }),
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list', params: { _meta: { ...modernMeta(), 'io.modelcontextprotocol/protocolVersion': '2025-11-25' } } }),
    });
    assert.equal(r.status, 400, r.body);
  });

  t('an unknown method: 404 with -32601', async () => {
    expectHeaderError(await modernPost('no/such/method'), 404, -32601);
  });

  t('GET and DELETE at 2026-07-28: 405', async () => {
    const g = await srv.request('/mcp', { headers: { accept: 'text/event-stream', 'mcp-protocol-version': MODERN_VERSION } });
    assert.equal(g.status, 405, g.body);
    const d = await srv.request('/mcp', { method: 'DELETE', headers: { 'mcp-protocol-version': MODERN_VERSION } });
    assert.equal(d.status, 405, d.body);
  });

  t('a modern notification is answered 202', async () => {
    const r = await srv.request('/mcp', {
      method: 'POST', headers: postHeaders({ version: MODERN_VERSION, extra: { 'mcp-method': 'notifications/cancelled' } }),
      body: JSON.stringify({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: 99, _meta: modernMeta() } }),
    });
    assert.equal(r.status, 202, r.body);
  });

  t('progress on a modern POST streams as SSE, then the result', async () => {
    const s = await openStream(srv.url('/mcp'), {
      method: 'POST',
      headers: postHeaders({ version: MODERN_VERSION, extra: { 'mcp-method': 'tools/call', 'mcp-name': 'progress' } }),
      body: JSON.stringify({ jsonrpc: '2.0', id: 7, method: 'tools/call', params: { name: 'progress', arguments: { steps: 2 }, _meta: { ...modernMeta(), progressToken: 7 } } }),
    });
    assert.equal(s.status, 200);
    assert.match(s.headers['content-type'], /^text\/event-stream/);
    assert.equal(s.headers['x-accel-buffering'], 'no');
    await within(s.ended, 5000);
    const msgs = s.events().filter((e) => e.json).map((e) => e.json);
    assert.deepEqual(msgs.map((m) => m.method ?? `id ${m.id}`), ['notifications/progress', 'notifications/progress', 'id 7']);
  });
});

// ---------------------------------------------------------------------------------------

describe('resumability (Last-Event-ID)', () => {
  test('GET /mcp with Last-Event-ID replays the list_changed sent while the stream was closed', T, async () => {
    const tmp = tempDir('ack-e2e-resume-');
    try {
      await withHttp(['--dev', '--tools-dir', tmp.dir], async (srv) => {
        const sess = await srv.initSession();
        const getHeaders = { accept: 'text/event-stream', 'mcp-session-id': sess.id, 'mcp-protocol-version': sess.version };
        const isChanged = (e) => e.json?.method === 'notifications/tools/list_changed';
        // 1. A first change while the stream is open gives us an event id.
        const g1 = await openStream(srv.url('/mcp'), { headers: getHeaders });
        assert.equal(g1.status, 200);
        await sleep(100);
        writeTool(tmp.dir, 'first');
        const first = await g1.waitFor(isChanged, { timeout: 6000, what: 'list_changed on the open GET stream' });
        assert.ok(first.id, `the event carries an id: ${JSON.stringify(first)}`);
        g1.destroy();
        await sleep(200);
        // 2. A second change while no stream is open.
        const before = (await srv.metrics());
        writeTool(tmp.dir, 'second');
        await eventually(async () => (metricValue(await srv.metrics(), 'ack_mcp_reloads_total', { outcome: 'ok' }) ?? 0) > (metricValue(before, 'ack_mcp_reloads_total', { outcome: 'ok' }) ?? 0),
          { timeout: 6000, what: 'the server to reload after the second file' });
        await sleep(100);
        // 3. Reconnect with the last id seen: the missed event, and not the one already seen.
        const g2 = await openStream(srv.url('/mcp'), { headers: { ...getHeaders, 'last-event-id': first.id } });
        try {
          assert.equal(g2.status, 200);
          const missed = await g2.waitFor(isChanged, { timeout: 3000, what: 'the missed list_changed replayed' });
          assert.notEqual(missed.id, first.id);
          await sleep(200);
          assert.ok(!g2.events().some((e) => e.id === first.id), `the event before Last-Event-ID was replayed: ${g2.text()}`);
        } finally {
          g2.destroy();
        }
      });
    } finally {
      tmp.cleanup();
    }
  });

  test('a new GET stream without Last-Event-ID does not repeat events a previous stream already delivered', T, async () => {
    const tmp = tempDir('ack-e2e-resume-');
    try {
      await withHttp(['--dev', '--tools-dir', tmp.dir], async (srv) => {
        const sess = await srv.initSession();
        const getHeaders = { accept: 'text/event-stream', 'mcp-session-id': sess.id, 'mcp-protocol-version': sess.version };
        const g1 = await openStream(srv.url('/mcp'), { headers: getHeaders });
        await sleep(100);
        writeTool(tmp.dir, 'once');
        const seen = await g1.waitFor((e) => e.json?.method === 'notifications/tools/list_changed', { timeout: 6000, what: 'list_changed' });
        g1.destroy();
        await sleep(200);
        const g2 = await openStream(srv.url('/mcp'), { headers: getHeaders });
        try {
          await sleep(500);
          const again = g2.events().filter((e) => e.json);
          assert.deepEqual(again.map((e) => `${e.id} ${e.json.method}`), [],
            `a fresh GET (no Last-Event-ID) got already-delivered event(s); the first stream had ${seen.id}`);
        } finally {
          g2.destroy();
        }
      });
    } finally {
      tmp.cleanup();
    }
  });

  test('a POST stream cut after its first event: GET with that event id yields the rest, the result included', T, async () => {
    await withHttp([], async (srv) => {
      const sess = await srv.initSession();
      const p = await openStream(srv.url('/mcp'), {
        method: 'POST', headers: postHeaders({ session: sess.id, version: sess.version }),
        body: JSON.stringify({ jsonrpc: '2.0', id: 11, method: 'tools/call', params: { name: 'progress', arguments: { steps: 6 }, _meta: { progressToken: 'r' } } }),
      });
      assert.match(p.headers['content-type'], /^text\/event-stream/);
      const firstEv = await p.waitFor((e) => e.json?.method === 'notifications/progress', { what: 'the first progress event' });
      assert.ok(firstEv.id, 'the event has an id to resume from');
      p.destroy();
      // Resume as a client does: GET with the last id seen; if that stream ends before the
      // response, GET again from the newest id (the spec lets a server end a stream early).
      let last = firstEv.id;
      const got = [];
      const log = [];
      const deadline = Date.now() + 4000;
      while (!got.some((e) => e.json?.id === 11) && Date.now() < deadline) {
        const g = await openStream(srv.url('/mcp'), {
          headers: { accept: 'text/event-stream', 'mcp-session-id': sess.id, 'mcp-protocol-version': sess.version, 'last-event-id': last },
        });
        try {
          assert.equal(g.status, 200, `GET with Last-Event-ID ${last}`);
          await g.waitFor((e) => e.json?.id === 11, { timeout: Math.max(100, deadline - Date.now()) }).catch(() => {});
          const evs = g.events().filter((e) => e.json);
          log.push(`GET Last-Event-ID ${last} -> ${evs.map((e) => e.id).join(' ') || '(nothing)'}${g.isEnded ? ', ended' : ''}`);
          got.push(...evs);
          if (evs.length) last = evs.at(-1).id;
        } finally {
          g.destroy();
        }
        if (!got.some((e) => e.json?.id === 11)) await sleep(150);
      }
      const res = got.find((e) => e.json?.id === 11);
      if (!res) {
        const cancelled = metricValue(await srv.metrics(), 'ack_mcp_tool_calls_total', { tool: 'progress', outcome: 'cancelled' }) || 0;
        const lines = [...new Set(log)].map((l) => `${l} (x${log.filter((x) => x === l).length})`);
        assert.fail(`the result of the interrupted call never came on a resumed stream (the server counted ${cancelled} cancelled progress call(s)):\n${lines.join('\n')}`);
      }
      assert.deepEqual(res.json.result?.structuredContent, { steps: 6 }, JSON.stringify(res.json));
      const progress = got.filter((e) => e.json?.method === 'notifications/progress').map((e) => e.json.params.progress);
      const p0 = firstEv.json.params.progress;
      assert.deepEqual(progress, Array.from({ length: 6 - p0 }, (_, i) => p0 + i + 1), `the rest of the progress, each once, in order:\n${log.join('\n')}`);
    });
  });
});

// ---------------------------------------------------------------------------------------

describe('/healthz, /readyz and /metrics', () => {
  let srv;
  before(async () => {
    srv = await HttpServer.start();
  });
  after(async () => {
    await srv?.close();
    if (srv) assertNoSanitizerReport(srv);
  });

  test('/healthz and /readyz answer 200 once the tools are loaded', T, async () => {
    const h = await srv.request('/healthz');
    assert.equal(h.status, 200);
    const r = await srv.request('/readyz');
    assert.equal(r.status, 200, r.body);
  });

  test('/metrics is Prometheus text with every family the issue names', T, async () => {
    const sess = await srv.initSession();
    await srv.request('/mcp', { method: 'POST', headers: postHeaders({ session: sess.id, version: sess.version }), body: JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'echo', arguments: { message: 'm' } } }) });
    await srv.request('/mcp', { method: 'POST', headers: postHeaders({ session: sess.id, version: sess.version }), body: JSON.stringify({ jsonrpc: '2.0', id: 3, method: 'tools/call', params: { name: 'sleep', arguments: { seconds: 0.02 } } }) });
    const r = await srv.request('/metrics');
    assert.equal(r.status, 200);
    assert.match(r.headers['content-type'], /^text\/plain/);
    for (const [family, type] of [['ack_mcp_sessions', 'gauge'], ['ack_mcp_requests_total', 'counter'], ['ack_mcp_tool_calls_total', 'counter'],
      ['ack_mcp_tool_call_seconds', 'histogram'], ['ack_mcp_bytes_total', 'counter'], ['ack_mcp_reloads_total', 'counter'], ['ack_mcp_lua_memory_bytes', 'gauge']]) {
      assert.match(r.body, new RegExp(`^# TYPE ${family} ${type}$`, 'm'), `# TYPE ${family} ${type}`);
      assert.match(r.body, new RegExp(`^# HELP ${family} `, 'm'), `# HELP ${family}`);
    }
    const m = parseMetrics(r.body);
    assert.ok(metricValue(m, 'ack_mcp_sessions', { transport: 'http' }) >= 1, 'ack_mcp_sessions{transport="http"}');
    assert.ok(metricValue(m, 'ack_mcp_requests_total', { method: 'tools/call', outcome: 'ok' }) >= 2);
    assert.ok(metricValue(m, 'ack_mcp_requests_total', { method: 'initialize', outcome: 'ok' }) >= 1);
    assert.equal(metricValue(m, 'ack_mcp_tool_calls_total', { tool: 'echo', outcome: 'ok' }), 1);
    assert.equal(metricValue(m, 'ack_mcp_tool_calls_total', { tool: 'sleep', outcome: 'ok' }), 1);
    assert.ok(metricValue(m, 'ack_mcp_bytes_total', { direction: 'in' }) > 0);
    assert.ok(metricValue(m, 'ack_mcp_bytes_total', { direction: 'out' }) > 0);
    // The histogram: cumulative buckets ending in +Inf = _count, and a sum that fits the sleep.
    const buckets = m.filter((x) => x.name === 'ack_mcp_tool_call_seconds_bucket' && x.labels.tool === 'sleep');
    assert.ok(buckets.length > 2, 'sleep has histogram buckets');
    for (let i = 1; i < buckets.length; i++) assert.ok(buckets[i].value >= buckets[i - 1].value, 'buckets are cumulative');
    assert.equal(buckets.at(-1).labels.le, '+Inf');
    assert.equal(buckets.at(-1).value, metricValue(m, 'ack_mcp_tool_call_seconds_count', { tool: 'sleep' }));
    const sum = metricValue(m, 'ack_mcp_tool_call_seconds_sum', { tool: 'sleep' });
    assert.ok(sum >= 0.015 && sum < 2, `ack_mcp_tool_call_seconds_sum{tool="sleep"} = ${sum} for one 0.02 s sleep`);
  });

  test('/metrics reports the Lua heap (ack_mcp_lua_memory_bytes > 0 with tools loaded)', T, async () => {
    const m = await srv.metrics();
    const v = metricValue(m, 'ack_mcp_lua_memory_bytes');
    assert.ok(v > 0, `ack_mcp_lua_memory_bytes = ${v}: the Lua heap holding every loaded tool cannot be empty`);
  });

  test('a session that ends leaves the sessions gauge', T, async () => {
    const before = metricValue(await srv.metrics(), 'ack_mcp_sessions', { transport: 'http' }) ?? 0;
    const sess = await srv.initSession();
    assert.equal(metricValue(await srv.metrics(), 'ack_mcp_sessions', { transport: 'http' }), before + 1);
    await srv.request('/mcp', { method: 'DELETE', headers: { 'mcp-session-id': sess.id } });
    assert.equal(metricValue(await srv.metrics(), 'ack_mcp_sessions', { transport: 'http' }), before);
  });

  test('a tool call result text is unchanged by the HTTP transport', T, async () => {
    const sess = await srv.initSession();
    const r = await srv.request('/mcp', { method: 'POST', headers: postHeaders({ session: sess.id, version: sess.version }), body: JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'text', arguments: {} } }) });
    assert.equal(resultText(json(r).result), 'plain text from a tool');
  });
});
