// tests/e2e/ws.test.js: WebSocket at /mcp on the HTTP listener (subprotocol `mcp`):
// @modelcontextprotocol/sdk 1.32.2's WebSocketClientTransport (Node 22's global WebSocket)
// through the shared transport suite, then a `ws`-package client for what the SDK cannot
// show: the negotiated subprotocol, one message per text frame, ping/pong, server pushes.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { HttpServer, assertBinary, assertNoSanitizerReport, eventually, metricValue, openWs, tail, wsInit, serverFixture
} from './lib/harness.js';
import { sdkTransportSuite } from './lib/transport_suite.js';

const T = { timeout: 30000 };

before(() => assertBinary());

sdkTransportSuite('ws', 'WebSocket (/mcp)');

describe('WebSocket on the wire (ws package)', () => {
  const { srv, t } = serverFixture(() => HttpServer.start(), T);

  t('the upgrade selects subprotocol mcp; each answer is one text frame of JSON', async () => {
    const ws = await openWs(srv);
    try {
      assert.equal(ws.protocol, 'mcp');
      const init = await wsInit(ws);
      assert.equal(init.result.protocolVersion, '2025-11-25');
      ws.sendJson({ jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'progress', arguments: { steps: 2 }, _meta: { progressToken: 'w' } } });
      await ws.waitFrame((f) => f.json?.id === 2, 'the call result');
      for (const f of ws.frames) {
        assert.equal(f.isBinary, false, 'text frames only');
        assert.ok(f.json && !Array.isArray(f.json), `one JSON-RPC message per frame: ${f.text.slice(0, 200)}`);
      }
      assert.deepEqual(ws.frames.filter((f) => f.json.method === 'notifications/progress').map((f) => f.json.params.progress), [1, 2],
        'progress is pushed before the result');
    } finally {
      ws.close();
    }
  });

  t('a client ping is answered with a pong', async () => {
    const ws = await openWs(srv);
    try {
      const pong = new Promise((res) => ws.once('pong', (d) => res(d.toString())));
      ws.ping('hello');
      assert.equal(await Promise.race([pong, new Promise((r) => setTimeout(() => r('no pong'), 3000))]), 'hello');
    } finally {
      ws.close();
    }
  });

  t('a message split across continuation frames is reassembled', async () => {
    const ws = await openWs(srv);
    try {
      await wsInit(ws);
      const text = JSON.stringify({ jsonrpc: '2.0', id: 3, method: 'tools/call', params: { name: 'echo', arguments: { message: 'fragmented' } } });
      const cut = Math.floor(text.length / 2);
      ws.send(text.slice(0, cut), { fin: false });
      ws.send(text.slice(cut), { fin: true });
      const r = await ws.waitFrame((f) => f.json?.id === 3, 'the answer to the fragmented message');
      assert.equal(r.json.result?.structuredContent?.message, 'fragmented', JSON.stringify(r.json));
    } finally {
      ws.close();
    }
  });

  t('a text frame that is not JSON gets a -32700 error and the connection stays usable', async () => {
    const ws = await openWs(srv);
    try {
      await wsInit(ws);
      ws.send('{"jsonrpc":');
      const err = await ws.waitFrame((f) => f.json?.error, 'a parse error frame');
      assert.equal(err.json.error.code, -32700);
      ws.sendJson({ jsonrpc: '2.0', id: 4, method: 'ping' });
      await ws.waitFrame((f) => f.json?.id === 4, 'ping after the bad frame');
    } finally {
      ws.close();
    }
  });

  t('a session per connection: sessions{transport="ws"} follows opens and closes', async () => {
    const before = metricValue(await srv.metrics(), 'ack_mcp_sessions', { transport: 'ws' }) ?? 0;
    const ws = await openWs(srv);
    await wsInit(ws);
    assert.equal(metricValue(await srv.metrics(), 'ack_mcp_sessions', { transport: 'ws' }), before + 1);
    ws.close(1000);
    const closed = await ws.closed;
    assert.equal(closed.code, 1000);
    await eventually(async () => (metricValue(await srv.metrics(), 'ack_mcp_sessions', { transport: 'ws' }) ?? 0) === before, { what: 'the ws session to go' });
  });
});
