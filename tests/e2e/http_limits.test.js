// tests/e2e/http_limits.test.js: the issue's "Bad input" list for the HTTP listener, one test
// each, plus the other limits it names. Every refusal must come before MCP processing where
// the issue says so, and after every one the server must still serve a fresh client.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import WebSocket from 'ws';

import {
  CLIENT_INFO, HttpServer, MODERN_VERSION, assertBinary, assertNoSanitizerReport, eventually, fdLimit, legacyHttpClient, metricValue, modernMeta, openStream, openWs,
  postHeaders, serverArgs, serverEnv, sleep, tail, using, within, wsInit,
} from './lib/harness.js';

const T = { timeout: 30000 };
const TOKEN = 's3cret-token-for-e2e';

before(() => assertBinary());

function json(r) {
  try {
    return JSON.parse(r.body);
  } catch {
    throw new Error(`not JSON (${r.status}): ${r.body.slice(0, 300)}`);
  }
}

const initBody = (v = '2025-11-25') => JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: v, capabilities: {}, clientInfo: CLIENT_INFO } });

/** The server still answers a brand-new client: initialize, then an echo call. */
async function assertServes(srv, what = 'after the bad input') {
  const sess = await srv.initSession();
  const r = await srv.request('/mcp', {
    method: 'POST', headers: postHeaders({ session: sess.id, version: sess.version }),
    body: JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'echo', arguments: { message: 'still here' } } }),
  });
  assert.equal(r.status, 200, `${what}: ${r.body}`);
  assert.equal(json(r).result?.structuredContent?.message, 'still here', what);
  assert.equal(srv.exitInfo, null, `${what}: the server exited`);
}

/** Wraps a test body so a failure carries the server's stderr tail. */
function withDiag(getSrv, fn) {
  return async () => {
    try {
      await fn();
    } catch (e) {
      const srv = getSrv();
      if (srv) e.message += `\n--- server stderr (tail) ---\n${tail(srv.stderr())}`;
      throw e;
    }
  };
}

/** Sums a counter family's samples whose labels include `labels`. */
function sum(samples, name, labels = {}) {
  return samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v)).reduce((a, s) => a + s.value, 0);
}

// ---------------------------------------------------------------------------------------

describe('Origin, Host and bearer token', () => {
  let srv;
  before(async () => {
    srv = await HttpServer.start();
  });
  after(async () => {
    await srv?.close();
    if (srv) assertNoSanitizerReport(srv);
  });
  const t = (name, fn) => test(name, T, withDiag(() => srv, fn));

  t('wrong Origin on POST /mcp: 403 before any MCP processing (no session, no request counted)', async () => {
    const before = await srv.metrics();
    const r = await srv.request('/mcp', { method: 'POST', headers: postHeaders({ extra: { origin: 'http://evil.example' } }), body: initBody() });
    assert.equal(r.status, 403, r.body);
    assert.equal(r.headers['mcp-session-id'], undefined, 'no session id issued');
    const after = await srv.metrics();
    assert.equal(sum(after, 'ack_mcp_requests_total', { method: 'initialize' }), sum(before, 'ack_mcp_requests_total', { method: 'initialize' }), 'initialize was not processed');
    assert.equal(metricValue(after, 'ack_mcp_sessions', { transport: 'http' }) ?? 0, metricValue(before, 'ack_mcp_sessions', { transport: 'http' }) ?? 0, 'no session was created');
    await assertServes(srv);
  });

  t('wrong Origin on GET /sse: 403, no endpoint event, no session', async () => {
    const before = metricValue(await srv.metrics(), 'ack_mcp_sessions', { transport: 'sse' }) ?? 0;
    const r = await srv.request('/sse', { headers: { accept: 'text/event-stream', origin: 'https://evil.example' }, timeout: 3000 });
    assert.equal(r.status, 403, r.body);
    assert.ok(!r.body.includes('endpoint'), r.body);
    assert.equal(metricValue(await srv.metrics(), 'ack_mcp_sessions', { transport: 'sse' }) ?? 0, before);
  });

  t('wrong Origin on a WebSocket upgrade: refused with 403, no session', async () => {
    const before = metricValue(await srv.metrics(), 'ack_mcp_sessions', { transport: 'ws' }) ?? 0;
    await assert.rejects(openWs(srv, { origin: 'http://evil.example' }), (e) => {
      assert.equal(e.statusCode, 403, `the refusal must be an HTTP 403 response; the client got: ${e.message}`);
      return true;
    });
    assert.equal(metricValue(await srv.metrics(), 'ack_mcp_sessions', { transport: 'ws' }) ?? 0, before);
  });

  t('loopback Origins (any port) are admitted by default', async () => {
    for (const origin of ['http://localhost:5173', 'http://127.0.0.1:9999', 'http://[::1]:3000']) {
      const r = await srv.request('/mcp', { method: 'POST', headers: postHeaders({ extra: { origin } }), body: initBody() });
      assert.equal(r.status, 200, `${origin}: ${r.body}`);
    }
    const ws = await openWs(srv, { origin: 'http://localhost:5173' });
    ws.close();
  });

  t('a foreign Host header on a loopback listener: 403 (DNS rebinding); localhost, 127.0.0.1 and [::1] pass', async () => {
    const bad = await srv.request('/mcp', { method: 'POST', headers: postHeaders({ extra: { host: `evil.example:${srv.port}` } }), body: initBody() });
    assert.equal(bad.status, 403, bad.body);
    const badSse = await srv.request('/sse', { headers: { accept: 'text/event-stream', host: `evil.example:${srv.port}` }, timeout: 3000 });
    assert.equal(badSse.status, 403, badSse.body);
    for (const host of [`localhost:${srv.port}`, `127.0.0.1:${srv.port}`, `[::1]:${srv.port}`]) {
      const r = await srv.request('/mcp', { method: 'POST', headers: postHeaders({ extra: { host } }), body: initBody() });
      assert.equal(r.status, 200, `Host ${host}: ${r.body}`);
    }
  });

  test('--allowed-origins with a port wildcard admits that origin on any port and refuses the rest', T, async () => {
    await using(await HttpServer.start(serverArgs(['--allowed-origins', 'http://localhost:*,https://app.example.com'])), async (s) => {
      const status = async (origin) => (await s.request('/mcp', { method: 'POST', headers: postHeaders({ extra: { origin } }), body: initBody() })).status;
      assert.equal(await status('http://localhost:1234'), 200);
      assert.equal(await status('https://app.example.com'), 200);
      assert.equal(await status('https://app.example.com:8443'), 403);
      assert.equal(await status('http://localhost.evil.example:1234'), 403);
      assert.equal(await status('http://localhost:12ab'), 403);
      assert.equal(await status('null'), 403);
    });
  });

  describe('with --auth-token', () => {
    let tsrv;
    before(async () => {
      tsrv = await HttpServer.start(serverArgs(['--auth-token', TOKEN]));
    });
    after(async () => {
      await tsrv?.close();
      if (tsrv) assertNoSanitizerReport(tsrv);
    });
    const tt = (name, fn) => test(name, T, withDiag(() => tsrv, fn));
    const expect401 = (r, what) => {
      assert.equal(r.status, 401, `${what}: ${r.body}`);
      assert.match(r.headers['www-authenticate'] || '', /^Bearer\b/, `${what}: WWW-Authenticate ${r.headers['www-authenticate']}`);
    };

    tt('missing token: 401 with WWW-Authenticate: Bearer on /mcp, /sse and the WebSocket upgrade; nothing processed', async () => {
      const before = await tsrv.metrics();
      expect401(await tsrv.request('/mcp', { method: 'POST', headers: postHeaders(), body: initBody() }), 'POST /mcp');
      expect401(await tsrv.request('/sse', { headers: { accept: 'text/event-stream' }, timeout: 3000 }), 'GET /sse');
      await assert.rejects(openWs(tsrv), (e) => {
        assert.equal(e.statusCode, 401, `the refusal must be an HTTP 401 response; the client got: ${e.message}`);
        assert.match(e.headers['www-authenticate'] || '', /^Bearer\b/);
        return true;
      });
      const after = await tsrv.metrics();
      assert.equal(sum(after, 'ack_mcp_requests_total'), sum(before, 'ack_mcp_requests_total'), 'no request was processed');
    });

    tt('wrong token: 401 with WWW-Authenticate (wrong value, a longer one, a prefix, another scheme)', async () => {
      for (const auth of ['Bearer wrong', `Bearer ${TOKEN}x`, `Bearer ${TOKEN.slice(0, -1)}`, 'Bearer ', `Basic ${Buffer.from(`u:${TOKEN}`).toString('base64')}`, TOKEN]) {
        expect401(await tsrv.request('/mcp', { method: 'POST', headers: postHeaders({ extra: { authorization: auth } }), body: initBody() }), `Authorization: ${auth}`);
      }
      await assert.rejects(openWs(tsrv, { headers: { authorization: 'Bearer wrong' } }), (e) => {
        assert.equal(e.statusCode, 401, `a WebSocket upgrade with a wrong token must get an HTTP 401 response; the client got: ${e.message}`);
        return true;
      });
    });

    tt('a token in the query string is not accepted', async () => {
      for (const q of [`access_token=${TOKEN}`, `token=${TOKEN}`]) {
        expect401(await tsrv.request(`/mcp?${q}`, { method: 'POST', headers: postHeaders(), body: initBody() }), `?${q}`);
      }
    });

    tt('the right token is admitted: SDK Streamable HTTP and SSE clients with the header, a ws client with it', async () => {
      const headers = { Authorization: `Bearer ${TOKEN}` };
      for (const kind of ['streamable', 'sse']) {
        const c = await legacyHttpClient(tsrv, kind, { headers });
        try {
          const r = await c.client.callTool({ name: 'echo', arguments: { message: kind } });
          assert.equal(r.structuredContent.message, kind);
        } finally {
          await c.close();
        }
      }
      const ws = await openWs(tsrv, { headers: { authorization: `Bearer ${TOKEN}` } });
      try {
        const init = await wsInit(ws);
        assert.ok(init.result, JSON.stringify(init));
      } finally {
        ws.close();
      }
      const ok = await tsrv.request('/mcp', { method: 'POST', headers: postHeaders({ extra: { authorization: `bearer ${TOKEN}` } }), body: initBody() });
      assert.equal(ok.status, 200, `the scheme is case-insensitive: ${ok.body}`);
    });

    tt('the token never appears in the server log', async () => {
      assert.ok(!tsrv.stderr().includes(TOKEN), 'the bearer token was logged');
    });
  });

  test('MCP_AUTH_TOKEN from the environment works like --auth-token', T, async () => {
    await using(await HttpServer.start(serverArgs(), { env: serverEnv({ MCP_AUTH_TOKEN: TOKEN }) }), async (s) => {
      const no = await s.request('/mcp', { method: 'POST', headers: postHeaders(), body: initBody() });
      assert.equal(no.status, 401);
      const yes = await s.request('/mcp', { method: 'POST', headers: postHeaders({ extra: { authorization: `Bearer ${TOKEN}` } }), body: initBody() });
      assert.equal(yes.status, 200, yes.body);
    });
  });
});

// ---------------------------------------------------------------------------------------

describe('bad requests on /mcp', () => {
  let srv;
  before(async () => {
    srv = await HttpServer.start(serverArgs(['--max-message-bytes', '65536']));
  });
  after(async () => {
    await srv?.close();
    if (srv) assertNoSanitizerReport(srv);
  });
  const t = (name, fn) => test(name, T, withDiag(() => srv, fn));
  const call = (sess, extra = {}) => srv.request('/mcp', {
    method: 'POST', headers: postHeaders({ session: sess?.id, version: sess?.version, extra }),
    body: JSON.stringify({ jsonrpc: '2.0', id: 5, method: 'tools/list' }),
  });

  t('unknown session id: 404 on POST, GET and DELETE', async () => {
    const unknown = 'deadbeefdeadbeefdeadbeefdeadbeef';
    const p = await call({ id: unknown, version: '2025-11-25' });
    assert.equal(p.status, 404, p.body);
    const g = await srv.request('/mcp', { headers: { accept: 'text/event-stream', 'mcp-session-id': unknown }, timeout: 3000 });
    assert.equal(g.status, 404, g.body);
    const d = await srv.request('/mcp', { method: 'DELETE', headers: { 'mcp-session-id': unknown } });
    assert.equal(d.status, 404, d.body);
    await assertServes(srv);
  });

  t('wrong MCP-Protocol-Version header (unsupported value): 400', async () => {
    const sess = await srv.initSession();
    for (const v of ['1999-01-01', 'garbage', '2025-11-25x']) {
      const r = await call(sess, { 'mcp-protocol-version': v });
      assert.equal(r.status, 400, `MCP-Protocol-Version: ${v}: ${r.body.slice(0, 300)}`);
    }
    assert.equal((await call(sess)).status, 200, 'the session is still usable with the right header');
  });

  t('POST with the wrong Content-Type: 415', async () => {
    const sess = await srv.initSession();
    for (const ct of ['text/plain', 'application/x-www-form-urlencoded', 'application/jsonp']) {
      const r = await call(sess, { 'content-type': ct });
      assert.equal(r.status, 415, `Content-Type: ${ct}: ${r.body.slice(0, 300)}`);
    }
    const ok = await call(sess, { 'content-type': 'application/json; charset=utf-8' });
    assert.equal(ok.status, 200, `application/json with a charset is fine: ${ok.body}`);
    await assertServes(srv);
  });

  t('POST with the wrong Accept: 406', async () => {
    const sess = await srv.initSession();
    const r = await call(sess, { accept: 'text/html' });
    assert.equal(r.status, 406, r.body.slice(0, 300));
    await assertServes(srv);
  });

  t('a body over --max-message-bytes: 413 and the server stays up', async () => {
    const sess = await srv.initSession();
    const big = JSON.stringify({ jsonrpc: '2.0', id: 6, method: 'tools/call', params: { name: 'echo', arguments: { message: 'x'.repeat(100 * 1024) } } });
    const r = await srv.request('/mcp', { method: 'POST', headers: postHeaders({ session: sess.id, version: sess.version }), body: big });
    assert.equal(r.status, 413, r.body.slice(0, 300));
    await assertServes(srv, 'after a 413');
  });

  t('a chunked body over the limit is refused (413, or 411 since chunked bodies are not read) and the server stays up', async () => {
    const sess = await srv.initSession();
    const big = JSON.stringify({ jsonrpc: '2.0', id: 7, method: 'tools/call', params: { name: 'echo', arguments: { message: 'y'.repeat(200 * 1024) } } });
    const r = await srv.request('/mcp', { method: 'POST', headers: postHeaders({ session: sess.id, version: sess.version, extra: { 'transfer-encoding': 'chunked' } }), body: big });
    assert.ok(r.status === 413 || r.status === 411, `${r.status}: ${r.body.slice(0, 300)}`);
    await assertServes(srv, 'after a refused chunked body');
  });

  t('a chunked body within the limit is processed (or refused with 411), never left hanging', async () => {
    const sess = await srv.initSession();
    const r = await srv.request('/mcp', {
      method: 'POST', timeout: 5000,
      headers: postHeaders({ session: sess.id, version: sess.version, extra: { 'transfer-encoding': 'chunked' } }),
      body: JSON.stringify({ jsonrpc: '2.0', id: 8, method: 'tools/call', params: { name: 'echo', arguments: { message: 'chunked' } } }),
    }).catch((e) => ({ status: `no answer: ${e.message}`, body: '' }));
    assert.ok(r.status === 200 || r.status === 411, `chunked POST answered ${r.status}: ${r.body}`);
    if (r.status === 200) assert.equal(json(r).result.structuredContent.message, 'chunked');
  });

  t('a request head over --max-header-bytes is refused and the server stays up', async () => {
    const r = await srv.request('/mcp', { method: 'POST', headers: postHeaders({ extra: { 'x-padding': 'p'.repeat(20000) } }), body: initBody(), timeout: 5000 })
      .catch((e) => ({ status: 'closed', body: e.message }));
    assert.ok(r.status === 'closed' || (r.status >= 400 && r.status < 500), `a 20 kB header was answered ${r.status}`);
    await assertServes(srv, 'after an oversized head');
  });
});

// ---------------------------------------------------------------------------------------

describe('bad WebSocket input', () => {
  let srv;
  before(async () => {
    srv = await HttpServer.start(serverArgs(['--max-message-bytes', '65536']));
  });
  after(async () => {
    await srv?.close();
    if (srv) assertNoSanitizerReport(srv);
  });
  const t = (name, fn) => test(name, T, withDiag(() => srv, fn));

  t('a frame over --max-message-bytes: closed with 1009; the server serves others', async () => {
    const ws = await openWs(srv);
    await wsInit(ws);
    const other = await openWs(srv);
    await wsInit(other);
    ws.send(JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'echo', arguments: { message: 'z'.repeat(100 * 1024) } } }));
    const closed = await within(ws.closed, 5000, { code: 'still open after 5 s' });
    assert.equal(closed.code, 1009, JSON.stringify(closed));
    other.sendJson({ jsonrpc: '2.0', id: 3, method: 'ping' });
    await other.waitFrame((f) => f.json?.id === 3, 'a ping answer on another connection');
    other.close();
    await assertServes(srv);
  });

  t('a message over the limit split across fragments: closed with 1009', async () => {
    const ws = await openWs(srv);
    await wsInit(ws);
    const chunk = 'f'.repeat(16 * 1024);
    for (let i = 0; i < 6; i++) ws.send(chunk, { fin: false });
    ws.send('', { fin: true });
    const closed = await within(ws.closed, 5000, { code: 'still open after 5 s' });
    assert.equal(closed.code, 1009, JSON.stringify(closed));
  });

  t('a binary frame: a -32600 error frame, and the connection stays usable', async () => {
    const ws = await openWs(srv);
    try {
      await wsInit(ws);
      const mark = ws.frames.length;
      ws.send(Buffer.from(JSON.stringify({ jsonrpc: '2.0', id: 9, method: 'ping' })), { binary: true });
      const err = await ws.waitFrame((f) => ws.frames.indexOf(f) >= mark, 'a frame answering the binary frame');
      assert.ok(err.json, `the answer to a binary frame is not valid JSON (${err.text.length} bytes): ${err.text}`);
      assert.equal(err.json.error?.code, -32600, err.text);
      assert.equal(err.isBinary, false);
      assert.ok(!ws.frames.some((f) => f.json?.id === 9 && f.json.result), 'the binary frame was not processed as a message');
      ws.sendJson({ jsonrpc: '2.0', id: 10, method: 'tools/call', params: { name: 'echo', arguments: { message: 'after binary' } } });
      const r = await ws.waitFrame((f) => f.json?.id === 10, 'a call after the binary frame');
      assert.equal(r.json.result.structuredContent.message, 'after binary');
      assert.equal(ws.readyState, WebSocket.OPEN);
    } finally {
      ws.close();
    }
  });
});

// ---------------------------------------------------------------------------------------

describe('connections', () => {
  test(`1,000 connections opened at once are accepted or refused cleanly, and a fresh client is served after${fdLimit() < 2100 ? ` (fd limit ${fdLimit()}: only ${Math.max(50, fdLimit() - 200)} opened)` : ''}`, { timeout: 60000 }, async () => {
    const n = fdLimit() < 2100 ? Math.max(50, fdLimit() - 200) : 1000;
    await using(await HttpServer.start(), async (srv) => {
      const outcomes = await Promise.all(Array.from({ length: n }, () => new Promise((res) => {
        const ws = new WebSocket(srv.wsUrl('/mcp'), 'mcp');
        const timer = setTimeout(() => res({ kind: 'hung', ws }), 20000);
        ws.once('open', () => {
          clearTimeout(timer);
          res({ kind: 'open', ws });
        });
        ws.once('unexpected-response', (req, r) => {
          clearTimeout(timer);
          req.destroy();
          res({ kind: `refused ${r.statusCode}`, ws });
        });
        ws.once('error', (e) => {
          clearTimeout(timer);
          res({ kind: `error ${e.code || e.message}`, ws });
        });
      })));
      const counts = {};
      for (const o of outcomes) counts[o.kind] = (counts[o.kind] || 0) + 1;
      const open = outcomes.filter((o) => o.kind === 'open').map((o) => o.ws);
      try {
        assert.equal(counts.hung || 0, 0, `connections neither accepted nor refused within 20 s: ${JSON.stringify(counts)}`);
        for (const k of Object.keys(counts)) {
          assert.ok(k === 'open' || k.startsWith('refused 5') || k.startsWith('refused 4'), `an unclean outcome: ${JSON.stringify(counts)}`);
        }
        assert.ok(open.length >= n * 0.9, `only ${open.length} of ${n} accepted under the default limits: ${JSON.stringify(counts)}`);
        // Every accepted connection is a working session.
        const answers = await Promise.all(open.map((ws, i) => new Promise((res) => {
          const timer = setTimeout(() => res(false), 20000);
          ws.on('message', (d) => {
            const m = JSON.parse(d.toString());
            if (m.id === i) {
              clearTimeout(timer);
              res(Boolean(m.result));
            }
          });
          ws.send(JSON.stringify({ jsonrpc: '2.0', id: i, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: CLIENT_INFO } }));
        })));
        assert.equal(answers.filter(Boolean).length, open.length, 'every open connection answered initialize');
        const gauge = metricValue(await srv.metrics(), 'ack_mcp_sessions', { transport: 'ws' });
        assert.equal(gauge, open.length, 'ack_mcp_sessions{transport="ws"}');
        await assertServes(srv, `with ${open.length} WebSockets open`);
      } finally {
        for (const ws of outcomes.map((o) => o.ws)) ws.terminate();
      }
      await eventually(async () => (metricValue(await srv.metrics(), 'ack_mcp_sessions', { transport: 'ws' }) ?? 0) === 0, { timeout: 10000, what: 'all ws sessions to close' });
      await assertServes(srv, 'after 1,000 connections closed');
    });
  });

  describe('a client that disconnects mid-call: its call is cancelled', () => {
    let srv;
    before(async () => {
      srv = await HttpServer.start(serverArgs(['--log-level', 'debug']));
    });
    after(async () => {
      await srv?.close();
      if (srv) assertNoSanitizerReport(srv);
    });
    const t = (name, fn) => test(name, T, withDiag(() => srv, fn));
    const cancelled = async () => metricValue(await srv.metrics(), 'ack_mcp_tool_calls_total', { tool: 'sleep', outcome: 'cancelled' }) || 0;
    const active = async () => metricValue(await srv.metrics(), 'ack_mcp_tool_calls_active') || 0;

    t('Streamable HTTP: a sleep 5 POST whose socket is destroyed', async () => {
      const before = await cancelled();
      const sess = await srv.initSession();
      let req;
      openStream(srv.url('/mcp'), {
        method: 'POST', headers: postHeaders({ session: sess.id, version: sess.version }), onRequest: (r) => { req = r; },
        body: JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'sleep', arguments: { seconds: 5 } } }),
      }).catch(() => {});
      await eventually(async () => (await active()) >= 1, { what: 'the sleep to start' });
      req.destroy(); // no response head yet: the JSON answer is pending
      await eventually(async () => (await cancelled()) > before, { timeout: 2000, what: 'ack_mcp_tool_calls_total{tool="sleep",outcome="cancelled"} to grow after the POST\'s socket was destroyed' });
      assert.match(srv.stderr(), /cancelling call/);
      await eventually(async () => (await active()) === 0, { timeout: 1000, what: 'no call left running' });
      await assertServes(srv);
    });

    t('WebSocket: the socket closes during a sleep 5', async () => {
      const before = await cancelled();
      const ws = await openWs(srv);
      await wsInit(ws);
      ws.sendJson({ jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'sleep', arguments: { seconds: 5 } } });
      await eventually(async () => (await active()) >= 1, { what: 'the sleep to start' });
      ws.terminate();
      await eventually(async () => (await cancelled()) > before, { timeout: 2000, what: 'the sleep to be cancelled after the WebSocket closed' });
    });

    t('2026-07-28: closing the POST cancels the request', async () => {
      const before = await cancelled();
      let req;
      openStream(srv.url('/mcp'), {
        method: 'POST', onRequest: (r) => { req = r; },
        headers: postHeaders({ version: MODERN_VERSION, extra: { 'mcp-method': 'tools/call', 'mcp-name': 'sleep' } }),
        body: JSON.stringify({ jsonrpc: '2.0', id: 3, method: 'tools/call', params: { name: 'sleep', arguments: { seconds: 5 }, _meta: modernMeta() } }),
      }).catch(() => {});
      await eventually(async () => (await active()) >= 1, { what: 'the sleep to start' });
      req.destroy();
      await eventually(async () => (await cancelled()) > before, { timeout: 2000, what: 'the modern sleep to be cancelled after its POST closed' });
    });
  });

  test('--max-sessions: past the cap new sessions are refused (503 / upgrade refused); a freed slot is usable again', T, async () => {
    await using(await HttpServer.start(serverArgs(['--max-sessions', '2'])), async (srv) => {
      const a = await srv.initSession();
      await srv.initSession();
      const r = await srv.request('/mcp', { method: 'POST', headers: postHeaders(), body: initBody() });
      assert.equal(r.status, 503, r.body);
      await assert.rejects(openWs(srv), (e) => {
        assert.equal(e.statusCode, 503, `a WebSocket upgrade past --max-sessions must get an HTTP 503 response; the client got: ${e.message}`);
        return true;
      });
      const sse = await srv.request('/sse', { headers: { accept: 'text/event-stream' }, timeout: 3000 }).catch((e) => ({ status: e.message }));
      assert.equal(sse.status, 503, String(sse.body ?? sse.status));
      await srv.request('/mcp', { method: 'DELETE', headers: { 'mcp-session-id': a.id } });
      await srv.initSession();
    });
  });

  test('--max-inflight: a request past the per-session cap gets an error, the others finish', T, async () => {
    await using(await HttpServer.start(serverArgs(['--max-inflight', '2'])), async (srv) => {
      const ws = await openWs(srv);
      try {
        await wsInit(ws);
        for (let i = 1; i <= 3; i++) ws.sendJson({ jsonrpc: '2.0', id: 100 + i, method: 'tools/call', params: { name: 'sleep', arguments: { seconds: 0.5 } } });
        const third = await ws.waitFrame((f) => f.json?.id === 103, 'the third call\'s answer');
        assert.ok(third.json.error, `the third call was not refused: ${third.text}`);
        const first = await ws.waitFrame((f) => f.json?.id === 101, 'the first call');
        const second = await ws.waitFrame((f) => f.json?.id === 102, 'the second call');
        assert.deepEqual(first.json.result.structuredContent, { slept: 0.5 });
        assert.deepEqual(second.json.result.structuredContent, { slept: 0.5 });
      } finally {
        ws.close();
      }
    });
  });

  test('a WebSocket client that stops reading is dropped past --max-queued-bytes; the server stays up', T, async () => {
    await using(await HttpServer.start(serverArgs(['--max-queued-bytes', '262144'])), async (srv) => {
      const ws = await openWs(srv);
      await wsInit(ws);
      ws.sendJson({ jsonrpc: '2.0', id: 'size', method: 'tools/list' });
      const one = await ws.waitFrame((f) => f.json?.id === 'size', 'one tools/list');
      ws._socket.pause(); // stop reading: the server's output piles up
      const per = one.text.length;
      const n = Math.ceil((64 << 20) / per); // far more than socket buffers and the cap
      let sentOk = 0;
      for (let i = 0; i < n && ws.readyState === WebSocket.OPEN; i++) {
        ws.sendJson({ jsonrpc: '2.0', id: i, method: 'tools/list' });
        sentOk++;
        if (i % 200 === 199) await sleep(5);
      }
      await eventually(() => /not reading/.test(srv.stderr()), { timeout: 10000, what: `the server to drop the client that does not read (${sentOk} tools/list of ${per} bytes sent)` });
      ws._socket.resume();
      const closed = await within(ws.closed, 10000);
      assert.ok(closed, 'the non-reading connection was closed');
      await assertServes(srv, 'after dropping a slow client');
    });
  });
});
