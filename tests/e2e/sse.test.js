// tests/e2e/sse.test.js: the legacy HTTP+SSE transport (2024-11-05) on the HTTP listener:
// @modelcontextprotocol/sdk 1.32.2's SSEClientTransport through the shared transport suite,
// then the wire by hand: the endpoint event, POST /messages answered 202 "Accepted" with the
// answer on the stream, sessionId errors, and the stream's end ending the session.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import {
  CLIENT_INFO, HttpServer, assertBinary, assertNoSanitizerReport, eventually, metricValue, openStream, tail,
  serverFixture,
} from './lib/harness.js';
import { sdkTransportSuite } from './lib/transport_suite.js';

const T = { timeout: 30000 };

before(() => assertBinary());

sdkTransportSuite('sse', 'legacy HTTP+SSE (/sse, /messages)');

describe('legacy HTTP+SSE on the wire', () => {
  const { srv, t } = serverFixture(() => HttpServer.start(), T);

  /** Opens GET /sse and returns { stream, endpoint, post(msg) }. */
  async function openSse() {
    const stream = await openStream(srv.url('/sse'), { headers: { accept: 'text/event-stream' } });
    assert.equal(stream.status, 200);
    assert.match(stream.headers['content-type'], /^text\/event-stream/);
    const ev = await stream.waitFor((e) => e.event === 'endpoint', { what: 'the endpoint event' });
    const endpoint = new URL(ev.data, srv.url('/sse'));
    const post = (msg) => srv.request(`${endpoint.pathname}${endpoint.search}`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(msg),
    });
    return { stream, endpoint, post, first: ev };
  }

  t('GET /sse: the first event is `endpoint` naming /messages?sessionId=…', async () => {
    const { stream, endpoint, first } = await openSse();
    try {
      assert.equal(stream.events()[0].event, 'endpoint', 'endpoint is the first event');
      assert.equal(endpoint.pathname, '/messages');
      assert.match(endpoint.searchParams.get('sessionId') || '', /^[\x21-\x7e]+$/);
      assert.ok(first.data.startsWith('/'), `a relative URI: ${first.data}`);
    } finally {
      stream.destroy();
    }
  });

  t('POST to the endpoint is 202 "Accepted"; the answer comes on the stream as event: message', async () => {
    const { stream, post } = await openSse();
    try {
      const r = await post({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2024-11-05', capabilities: {}, clientInfo: CLIENT_INFO } });
      assert.equal(r.status, 202, r.body);
      assert.equal(r.body, 'Accepted');
      const ans = await stream.waitFor((e) => e.json?.id === 1, { what: 'the initialize answer on the stream' });
      assert.equal(ans.event, 'message');
      assert.equal(ans.json.result.protocolVersion, '2024-11-05');
      assert.equal((await post({ jsonrpc: '2.0', method: 'notifications/initialized' })).status, 202);
      await post({ jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'echo', arguments: { message: 'over sse' } } });
      const call = await stream.waitFor((e) => e.json?.id === 2, { what: 'the tools/call answer' });
      assert.equal(call.json.result.structuredContent.message, 'over sse');
    } finally {
      stream.destroy();
    }
  });

  t('POST /messages without sessionId is 400, with an unknown one 404', async () => {
    const body = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping' });
    const none = await srv.request('/messages', { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    assert.equal(none.status, 400, none.body);
    const unknown = await srv.request('/messages?sessionId=ffffffffffffffffffffffffffffffff', { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    assert.equal(unknown.status, 404, unknown.body);
  });

  t('closing the stream ends the session: its endpoint is then 404 and the gauge drops', async () => {
    const before = metricValue(await srv.metrics(), 'ack_mcp_sessions', { transport: 'sse' }) ?? 0;
    const { stream, post } = await openSse();
    assert.equal(metricValue(await srv.metrics(), 'ack_mcp_sessions', { transport: 'sse' }), before + 1);
    stream.destroy();
    await eventually(async () => (await post({ jsonrpc: '2.0', id: 1, method: 'ping' })).status === 404, { what: 'the session endpoint to answer 404 after the stream closed' });
    assert.equal(metricValue(await srv.metrics(), 'ack_mcp_sessions', { transport: 'sse' }) ?? 0, before);
  });

  t('closing the stream mid-call cancels the call', async () => {
    const before = metricValue(await srv.metrics(), 'ack_mcp_tool_calls_total', { tool: 'sleep', outcome: 'cancelled' }) || 0;
    const { stream, post } = await openSse();
    await post({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2024-11-05', capabilities: {}, clientInfo: CLIENT_INFO } });
    await stream.waitFor((e) => e.json?.id === 1);
    await post({ jsonrpc: '2.0', method: 'notifications/initialized' });
    await post({ jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'sleep', arguments: { seconds: 5 } } });
    await eventually(async () => metricValue(await srv.metrics(), 'ack_mcp_tool_calls_active') >= 1, { what: 'the sleep to start' });
    stream.destroy();
    await eventually(async () => (metricValue(await srv.metrics(), 'ack_mcp_tool_calls_total', { tool: 'sleep', outcome: 'cancelled' }) || 0) > before,
      { timeout: 2000, what: 'ack_mcp_tool_calls_total{tool="sleep",outcome="cancelled"} to grow' });
  });

  t('a body that is not JSON is answered on the stream with a parse error, and the session goes on', async () => {
    const { stream, endpoint } = await openSse();
    try {
      const r = await srv.request(`${endpoint.pathname}${endpoint.search}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"jsonrpc":' });
      assert.ok(r.status === 202 || r.status === 400, `status ${r.status}`);
      if (r.status === 202) {
        const err = await stream.waitFor((e) => e.json?.error, { what: 'a parse error on the stream' });
        assert.equal(err.json.error.code, -32700);
      }
      const ok = await srv.request(`${endpoint.pathname}${endpoint.search}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ jsonrpc: '2.0', id: 9, method: 'initialize', params: { protocolVersion: '2024-11-05', capabilities: {}, clientInfo: CLIENT_INFO } }) });
      assert.equal(ok.status, 202);
      await stream.waitFor((e) => e.json?.id === 9, { what: 'initialize after the bad body' });
    } finally {
      stream.destroy();
    }
  });
});
