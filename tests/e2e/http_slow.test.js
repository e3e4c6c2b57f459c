// tests/e2e/http_slow.test.js: clients that hold a connection and say nothing more, from the
// issue's "Bad input" list (a half-open connection, a client that connects and sends nothing),
// and sessions left idle. These wait for the server's own timeouts, so they run concurrently.
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, describe, test } from 'node:test';

import { HttpServer, assertBinary, assertNoSanitizerReport, postHeaders, serverArgs, sleep, tail, using, within } from './lib/harness.js';

const DROP_WITHIN_S = 40; // the listener drops a silent client after ~20 s; leave room for a loaded box

before(() => assertBinary());

/** A raw TCP connection to srv; `closed` resolves with the seconds it stayed open. */
function rawSocket(srv) {
  return new Promise((res, rej) => {
    const t0 = Date.now();
    const sock = connect(srv.port, srv.host);
    let received = '';
    sock.on('data', (d) => {
      received += d;
    });
    sock.closedAfter = new Promise((ok) => sock.on('close', () => ok((Date.now() - t0) / 1000)));
    sock.received = () => received;
    sock.on('error', () => {});
    sock.once('connect', () => res(sock));
    sock.once('error', rej);
  });
}

/** Serves three fresh clients, one after the other, while the silent one is connected. */
async function assertServesOthers(srv) {
  for (let i = 0; i < 3; i++) {
    const sess = await srv.initSession();
    const r = await srv.request('/mcp', {
      method: 'POST', headers: postHeaders({ session: sess.id, version: sess.version }), timeout: 3000,
      body: JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'echo', arguments: { message: `other ${i}` } } }),
    });
    assert.equal(r.status, 200);
    assert.equal(JSON.parse(r.body).result.structuredContent.message, `other ${i}`);
    assert.equal((await srv.request('/healthz', { timeout: 3000 })).status, 200);
  }
}

describe('silent clients', { concurrency: true }, () => {
  let srv;
  before(async () => {
    srv = await HttpServer.start();
  });
  after(async () => {
    await srv?.close();
    if (srv) assertNoSanitizerReport(srv);
  });
  const t = (name, fn) => test(name, { timeout: (DROP_WITHIN_S + 15) * 1000 }, async () => {
    try {
      await fn();
    } catch (e) {
      e.message += `\n--- server stderr (tail) ---\n${tail(srv.stderr())}`;
      throw e;
    }
  });

  const dropped = async (sock, what) => {
    const secs = await within(sock.closedAfter, DROP_WITHIN_S * 1000);
    sock.destroy();
    assert.ok(secs !== null, `${what} was still connected after ${DROP_WITHIN_S} s: the server never drops it`);
    return secs;
  };

  t('a half-open connection (a partial request head, then nothing) does not block others and is dropped', async () => {
    const sock = await rawSocket(srv);
    sock.write(`POST /mcp HTTP/1.1\r\nHost: 127.0.0.1:${srv.port}\r\nContent-Type: application/json\r\nContent-Le`);
    await assertServesOthers(srv);
    const secs = await dropped(sock, 'a connection with a partial request head');
    assert.ok(secs >= 1, `dropped after ${secs} s`);
  });

  t('a client that connects and sends nothing does not block others and is dropped', async () => {
    const sock = await rawSocket(srv);
    await assertServesOthers(srv);
    await dropped(sock, 'a connection that sent nothing');
    assert.equal(sock.received(), '', 'nothing is sent to a client that asked nothing (or a 408 at most)');
  });

  t('a POST whose body stops short of its Content-Length does not block others and is dropped', async () => {
    const sess = await srv.initSession();
    const sock = await rawSocket(srv);
    sock.write(`POST /mcp HTTP/1.1\r\nHost: 127.0.0.1:${srv.port}\r\nContent-Type: application/json\r\nAccept: application/json, text/event-stream\r\n`
      + `Mcp-Session-Id: ${sess.id}\r\nMCP-Protocol-Version: ${sess.version}\r\nContent-Length: 1000\r\n\r\n{"jsonrpc":"2.0",`);
    await assertServesOthers(srv);
    await dropped(sock, 'a connection with a truncated body');
  });

  t('fifty silent connections at once do not block others', async () => {
    const socks = await Promise.all(Array.from({ length: 50 }, () => rawSocket(srv)));
    for (const [i, s] of socks.entries()) if (i % 2) s.write('GET /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\n');
    try {
      await assertServesOthers(srv);
    } finally {
      for (const s of socks) s.destroy();
    }
  });
});

test('--session-idle-timeout: an idle Streamable HTTP session expires (404), a busy one does not', { timeout: 30000 }, async () => {
  await using(await HttpServer.start(serverArgs(['--session-idle-timeout', '1'])), async (srv) => {
    const idle = await srv.initSession();
    const busy = await srv.initSession();
    const post = (sess, id) => srv.request('/mcp', {
      method: 'POST', headers: postHeaders({ session: sess.id, version: sess.version }), body: JSON.stringify({ jsonrpc: '2.0', id, method: 'ping' }),
    });
    // busy: a request every half second; idle: nothing (any request would refresh it). The
    // server sweeps every few seconds, so after 6.5 s the idle one must be gone.
    let n = 10;
    const t0 = Date.now();
    while (Date.now() - t0 < 6500) {
      assert.equal((await post(busy, n++)).status, 200, `a session in use expired after ${Date.now() - t0} ms`);
      await sleep(500);
    }
    const r = await post(idle, 1);
    assert.equal(r.status, 404, `a session idle for 6.5 s with --session-idle-timeout 1: ${r.status} ${r.body.slice(0, 200)}`);
    assert.equal((await post(busy, n++)).status, 200);
    assert.match(srv.stderr(), /expired/);
  });
});
