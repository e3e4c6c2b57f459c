// tests/e2e/http_lifecycle.test.js: graceful shutdown of the HTTP listener (SIGTERM: stop
// accepting, let in-flight calls finish within --shutdown-grace, close WebSockets with 1001,
// end SSE streams, exit 0) and TLS with a self-signed certificate made by the openssl CLI.
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { after, before, describe, test } from 'node:test';

import {
  BIN, CLIENT_INFO, E2E_DIR, HttpServer, ROOT, assertBinary, assertNoSanitizerReport, eventually, freePort, metricValue, openStream, openWs, postHeaders,
  rawRequest, selfSignedCert, serverArgs, serverEnv, sleep, tail, tempDir, using, within, wsInit,
} from './lib/harness.js';

const T = { timeout: 30000 };

before(() => assertBinary());

/**
 * Starts a sleep call on a fresh legacy session and resolves once it runs with { answer }, the
 * promise of its response (wrapped: an async function returning it would wait for it).
 */
async function startSleep(srv, seconds) {
  const sess = await srv.initSession();
  const answer = openStream(srv.url('/mcp'), {
    method: 'POST', headers: postHeaders({ session: sess.id, version: sess.version }),
    body: JSON.stringify({ jsonrpc: '2.0', id: 7, method: 'tools/call', params: { name: 'sleep', arguments: { seconds } } }),
  });
  answer.catch(() => {});
  await eventually(async () => metricValue(await srv.metrics(), 'ack_mcp_tool_calls_active') >= 1, { what: 'the sleep to start' });
  return { answer };
}

/** What a new request gets while the server drains: an HTTP status, or the connection error. */
async function newRequestOutcome(srv, path = '/mcp', opts = { method: 'POST', headers: postHeaders(), body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: CLIENT_INFO } }) }) {
  try {
    return (await srv.request(path, { ...opts, timeout: 3000 })).status;
  } catch (e) {
    return e.code || e.message;
  }
}

describe('graceful shutdown (SIGTERM)', () => {
  test('during a sleep 1 over Streamable HTTP: new requests are refused (503), the result still arrives, exit 0', T, async () => {
    await using(await HttpServer.start(), async (srv) => {
      const { answer } = await startSleep(srv, 1);
      srv.kill('SIGTERM');
      await sleep(100);
      const fresh = await newRequestOutcome(srv);
      assert.ok(fresh === 503 || fresh === 'ECONNREFUSED', `a new request while draining got ${fresh}`);
      const ready = await newRequestOutcome(srv, '/readyz', {});
      assert.ok(ready === 503 || ready === 'ECONNREFUSED', `/readyz while draining got ${ready}`);
      const st = await within(answer, 5000);
      assert.ok(st, 'the in-flight call got no answer');
      assert.equal(st.status, 200);
      await within(st.ended, 3000);
      const body = JSON.parse(st.text());
      assert.deepEqual(body.result?.structuredContent, { slept: 1 }, st.text());
      const exit = await srv.waitExit(5000);
      assert.deepEqual(exit, { code: 0, signal: null });
    });
  });

  test('a WebSocket client sees close code 1001 (going away); exit 0', T, async () => {
    await using(await HttpServer.start(), async (srv) => {
      const ws = await openWs(srv);
      await wsInit(ws);
      srv.kill('SIGTERM');
      const closed = await within(ws.closed, 5000, { code: 'not closed within 5 s' });
      assert.equal(closed.code, 1001, `close ${JSON.stringify(closed)} (1006: the connection was dropped without a close frame)`);
      assert.deepEqual(await srv.waitExit(5000), { code: 0, signal: null });
    });
  });

  test('during a sleep 1 over WebSocket: the result arrives, then close 1001', T, async () => {
    await using(await HttpServer.start(), async (srv) => {
      const ws = await openWs(srv);
      await wsInit(ws);
      ws.sendJson({ jsonrpc: '2.0', id: 8, method: 'tools/call', params: { name: 'sleep', arguments: { seconds: 1 } } });
      await eventually(async () => metricValue(await srv.metrics(), 'ack_mcp_tool_calls_active') >= 1, { what: 'the sleep to start' });
      srv.kill('SIGTERM');
      const closed = await within(ws.closed, 5000, { code: 'not closed within 5 s' });
      const result = ws.frames.find((f) => f.json?.id === 8);
      assert.ok(result, `the in-flight call's result was not delivered before the close (${JSON.stringify(closed)})`);
      assert.deepEqual(result.json.result?.structuredContent, { slept: 1 });
      assert.equal(closed.code, 1001, `close ${JSON.stringify(closed)} (1006: the connection was dropped without a close frame)`);
      assert.deepEqual(await srv.waitExit(5000), { code: 0, signal: null });
    });
  });

  test('SSE streams (GET /sse and the standalone GET /mcp) are ended; exit 0', T, async () => {
    await using(await HttpServer.start(), async (srv) => {
      const legacy = await openStream(srv.url('/sse'), { headers: { accept: 'text/event-stream' } });
      await legacy.waitFor((e) => e.event === 'endpoint');
      const sess = await srv.initSession();
      const standalone = await openStream(srv.url('/mcp'), { headers: { accept: 'text/event-stream', 'mcp-session-id': sess.id, 'mcp-protocol-version': sess.version } });
      assert.equal(standalone.status, 200);
      srv.kill('SIGTERM');
      await within(Promise.all([legacy.ended, standalone.ended]), 5000);
      assert.ok(legacy.isEnded, 'GET /sse was not ended');
      assert.ok(standalone.isEnded, 'GET /mcp was not ended');
      assert.deepEqual(await srv.waitExit(5000), { code: 0, signal: null });
    });
  });

  test('a call longer than --shutdown-grace is cancelled at the grace and the server exits 0', T, async () => {
    await using(await HttpServer.start(serverArgs(['--shutdown-grace', '0.5'])), async (srv) => {
      const { answer } = await startSleep(srv, 10);
      const t0 = Date.now();
      srv.kill('SIGTERM');
      const exit = await srv.waitExit(5000);
      assert.deepEqual(exit, { code: 0, signal: null }, `exit after ${Date.now() - t0} ms`);
      assert.ok(Date.now() - t0 < 4000, `took ${Date.now() - t0} ms to exit with a 0.5 s grace`);
      const st = await within(answer, 1000);
      assert.ok(st, 'the cancelled call\'s POST got no response before the exit');
      await within(st.ended, 1000);
      assert.ok(st.isEnded);
      st.destroy();
    });
  });
});

// ---------------------------------------------------------------------------------------

describe('TLS (--tls-cert, --tls-key)', () => {
  let srv;
  let tmp;
  let pem;
  before(async () => {
    tmp = tempDir('ack-e2e-tls-');
    pem = selfSignedCert(tmp.dir);
    srv = await HttpServer.start(serverArgs(['--tls-cert', pem.cert, '--tls-key', pem.key]), { tls: { ca: pem.ca } });
  });
  after(async () => {
    await srv?.close();
    tmp?.cleanup();
    if (srv) assertNoSanitizerReport(srv);
  });
  const t = (name, fn) => test(name, T, async () => {
    try {
      await fn();
    } catch (e) {
      e.message += `\n--- server stderr (tail) ---\n${tail(srv.stderr())}`;
      throw e;
    }
  });

  t('https with the certificate verified: /healthz and a Streamable HTTP session', async () => {
    assert.equal(srv.scheme, 'https');
    assert.equal((await srv.request('/healthz')).status, 200);
    const sess = await srv.initSession();
    const r = await srv.request('/mcp', {
      method: 'POST', headers: postHeaders({ session: sess.id, version: sess.version }),
      body: JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'echo', arguments: { message: 'tls' } } }),
    });
    assert.equal(JSON.parse(r.body).result.structuredContent.message, 'tls');
  });

  t('wss: a WebSocket session over TLS', async () => {
    const ws = await openWs(srv);
    try {
      await wsInit(ws);
      ws.sendJson({ jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'echo', arguments: { message: 'wss' } } });
      const r = await ws.waitFrame((f) => f.json?.id === 2);
      assert.equal(r.json.result.structuredContent.message, 'wss');
    } finally {
      ws.close();
    }
  });

  t('the SDK StreamableHTTPClientTransport over https (Node trusting the certificate via NODE_EXTRA_CA_CERTS)', async () => {
    const script = `
      import { Client } from '@modelcontextprotocol/sdk/client/index.js';
      import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
      const c = new Client({ name: 'tls', version: '0' });
      await c.connect(new StreamableHTTPClientTransport(new URL(process.argv[1])));
      const r = await c.callTool({ name: 'echo', arguments: { message: 'sdk over tls' } });
      console.log(JSON.stringify(r.structuredContent));
      await c.close();`;
    const out = await new Promise((res, rej) => {
      execFile(process.execPath, ['--input-type=module', '-e', script, `https://localhost:${srv.port}/mcp`], {
        cwd: E2E_DIR, env: { PATH: process.env.PATH, NODE_EXTRA_CA_CERTS: pem.cert }, timeout: 20000,
      }, (e, stdout, stderr) => (e ? rej(new Error(`${e.message}\n${stderr}`)) : res(stdout)));
    });
    assert.equal(JSON.parse(out.trim()).message, 'sdk over tls');
  });

  t('plain http on the TLS port is not served', async () => {
    const plain = await rawRequest(`http://127.0.0.1:${srv.port}/mcp`, { method: 'POST', headers: postHeaders(), body: '{}', timeout: 3000 })
      .then((r) => r.status, (e) => e.code || e.message);
    assert.notEqual(plain, 200, 'a cleartext POST /mcp was answered 200 on the TLS port');
    assert.equal((await srv.request('/healthz')).status, 200, 'https still works after a cleartext attempt');
  });
});

test('a missing TLS certificate file: the server refuses to start, exit code non-zero, says why', T, async () => {
  const port = await freePort();
  const child = spawn(BIN, [...serverArgs(), '--transport', 'http', '--port', String(port), '--tls-cert', '/nonexistent/cert.pem', '--tls-key', '/nonexistent/key.pem'],
    { cwd: ROOT, env: serverEnv(), stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => {
    stderr += d;
  });
  const exit = await within(new Promise((res) => child.on('close', (code, signal) => res({ code, signal }))), 5000);
  if (!exit) child.kill('SIGKILL');
  assert.ok(exit, 'the server kept running with a missing certificate');
  assert.notEqual(exit.code, 0, stderr);
  assert.match(stderr, /cert|tls|key/i);
});
