// tests/e2e/lib/transport_suite.js: the feature checks every network transport must pass with
// the official `@modelcontextprotocol/sdk` 1.32.2 client, defined once and run by
// http.test.js (StreamableHTTPClientTransport), sse.test.js (SSEClientTransport) and
// ws.test.js (WebSocketClientTransport): handshake, listing, calls, progress, logging,
// cancellation, list_changed in --dev mode, elicitation and many concurrent calls.
import assert from 'node:assert/strict';
import { renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import { CallToolResultSchema, ElicitRequestSchema, LoggingMessageNotificationSchema, ToolListChangedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';

import {
  HttpServer, assertBinary, assertNoSanitizerReport, echoed, eventually, legacyHttpClient, listAllTools, metricValue, resultText, serverArgs, sleep, tail, tempDir,
} from './harness.js';

const T = { timeout: 30000 };

/** What ack_mcp_sessions{transport} calls each kind. */
export const METRIC_TRANSPORT = { streamable: 'http', sse: 'sse', ws: 'ws' };

/** A tool file as a --dev server sees one appear (written to a temp name, then renamed). */
export function writeTool(dir, name, text = 'added') {
  const src = `return {
  name = "${name}", title = "${name}", description = "Written by the e2e suite.", toolset = "test",
  annotations = { readOnlyHint = true, idempotentHint = true, openWorldHint = false },
  input = { type = "object", additionalProperties = false },
  handler = function() return "${text}" end,
}
`;
  const tmp = join(dir, `.${name}.lua.tmp`);
  writeFileSync(tmp, src);
  renameSync(tmp, join(dir, `${name}.lua`));
}

function assertOk(r) {
  assert.notEqual(r.isError, true, `tool returned isError: ${JSON.stringify(r)}`);
  return r;
}

/**
 * Registers the suite for one transport kind ('streamable', 'sse' or 'ws'). One --dev server
 * with a temporary tools dir (after the repo and fixture tools) serves every test.
 */
export function sdkTransportSuite(kind, label) {
  describe(`${label} with @modelcontextprotocol/sdk 1.32.2`, () => {
    let srv;
    let tmp;
    let s;
    let changed = 0;
    const logs = [];

    const diag = (e) => {
      e.message += `\n--- server stderr (tail) ---\n${tail(srv.stderr())}`;
      throw e;
    };
    const t = (name, fn) => test(name, T, async () => {
      try {
        await fn();
      } catch (e) {
        diag(e);
      }
    });

    before(async () => {
      assertBinary();
      tmp = tempDir('ack-e2e-net-');
      srv = await HttpServer.start(serverArgs(['--dev', '--tools-dir', tmp.dir]));
      s = await legacyHttpClient(srv, kind, {
        setup: (c) => {
          c.setNotificationHandler(ToolListChangedNotificationSchema, () => {
            changed++;
          });
          c.setNotificationHandler(LoggingMessageNotificationSchema, (n) => {
            logs.push(n.params);
          });
        },
      });
    });

    after(async () => {
      await s?.close();
      await srv?.close();
      tmp?.cleanup();
      if (srv) assertNoSanitizerReport(srv);
    });

    t('initialize negotiates 2025-11-25 and names the server', async () => {
      const info = s.client.getServerVersion();
      assert.equal(info?.name, 'ack-mcp-server');
      const caps = s.client.getServerCapabilities();
      assert.equal(caps?.tools?.listChanged, true, JSON.stringify(caps));
      assert.ok(caps?.logging, JSON.stringify(caps));
      if (kind === 'streamable') {
        assert.match(s.transport.sessionId || '', /^[\x21-\x7e]+$/, 'Mcp-Session-Id is visible ASCII');
        assert.equal(s.transport.protocolVersion, '2025-11-25');
      }
    });

    t('tools/list lists the repo and fixture tools', async () => {
      const names = (await listAllTools(s.client)).map((x) => x.name);
      for (const n of ['get_current_time', 'echo', 'sleep', 'progress', 'logs', 'confirm']) assert.ok(names.includes(n), `${n} missing from ${names}`);
    });

    t('tools/call returns structuredContent and text', async () => {
      const r = assertOk(await s.client.callTool({ name: 'echo', arguments: { message: `over ${kind}` } }));
      assert.deepEqual(r.structuredContent, echoed({ message: `over ${kind}` }));
      assert.deepEqual(JSON.parse(resultText(r)), r.structuredContent);
    });

    t('progress notifications reach onprogress in order, then the result', async () => {
      const seen = [];
      const r = assertOk(await s.client.callTool({ name: 'progress', arguments: { steps: 4 } }, undefined, { onprogress: (p) => seen.push(p) }));
      assert.deepEqual(r.structuredContent, { steps: 4 });
      assert.deepEqual(seen.map((p) => p.progress), [1, 2, 3, 4], JSON.stringify(seen));
      for (const p of seen) assert.equal(p.total, 4);
      assert.equal(seen[0].message, 'step 1');
    });

    t('logging/setLevel filters notifications/message', async () => {
      await s.client.setLoggingLevel('debug');
      let mark = logs.length;
      assertOk(await s.client.callTool({ name: 'logs', arguments: {} }));
      const all = await eventually(() => logs.length - mark >= 5 && logs.slice(mark), { what: '5 log messages at debug' });
      assert.deepEqual(all.map((l) => l.level), ['debug', 'info', 'notice', 'warning', 'error']);
      assert.equal(all[0].data, 'debug message');
      assert.deepEqual(all[3].data, { text: 'warning message', n: 4 });
      await s.client.setLoggingLevel('warning');
      mark = logs.length;
      assertOk(await s.client.callTool({ name: 'logs', arguments: {} }));
      await sleep(200);
      assert.deepEqual(logs.slice(mark).map((l) => l.level), ['warning', 'error']);
    });

    t('cancelling a sleep via AbortSignal: no result, the call is counted cancelled, the server keeps serving', async () => {
      const before = metricValue(await srv.metrics(), 'ack_mcp_tool_calls_total', { tool: 'sleep', outcome: 'cancelled' }) || 0;
      const ac = new AbortController();
      const t0 = Date.now();
      const call = s.client.callTool({ name: 'sleep', arguments: { seconds: 1.5 } }, undefined, { signal: ac.signal });
      const rejected = assert.rejects(call);
      await sleep(300);
      const req = s.sent.find((m) => m.method === 'tools/call' && m.params?.name === 'sleep' && m.params?.arguments?.seconds === 1.5);
      assert.ok(req, 'the sleep request was sent');
      ac.abort('test cancels');
      await rejected;
      assert.ok(s.sent.some((m) => m.method === 'notifications/cancelled' && m.params?.requestId === req.id), 'client sent notifications/cancelled');
      await eventually(async () => (metricValue(await srv.metrics(), 'ack_mcp_tool_calls_total', { tool: 'sleep', outcome: 'cancelled' }) || 0) > before,
        { timeout: 1000, what: 'ack_mcp_tool_calls_total{tool="sleep",outcome="cancelled"} to grow (the server stopped the call)' });
      await sleep(Math.max(0, 1800 - (Date.now() - t0)));
      assert.deepEqual(s.wire.filter((m) => m.id === req.id), [], 'a cancelled request gets no response');
      const r = assertOk(await s.client.callTool({ name: 'echo', arguments: { message: 'after cancel' } }));
      assert.equal(r.structuredContent?.message, 'after cancel');
    });

    t('adding a tool file in --dev mode delivers notifications/tools/list_changed and serves the tool', async () => {
      if (kind === 'streamable') {
        // The SDK opens the standalone GET stream after notifications/initialized; list_changed travels there.
        await eventually(() => s.fetches.some((f) => f.method === 'GET' && f.status === 200), { what: 'the SDK to open the standalone GET stream' });
      }
      const reloads = metricValue(await srv.metrics(), 'ack_mcp_reloads_total', { outcome: 'ok' }) ?? 0;
      const before = changed;
      writeTool(tmp.dir, `added_${kind}`, `hello from ${kind}`);
      await eventually(() => changed > before, { timeout: 6000, what: 'notifications/tools/list_changed' });
      const names = (await listAllTools(s.client)).map((x) => x.name);
      assert.ok(names.includes(`added_${kind}`), `${names}`);
      assert.equal(resultText(await s.client.callTool({ name: `added_${kind}`, arguments: {} })), `hello from ${kind}`);
      const m = await srv.metrics();
      assert.ok((metricValue(m, 'ack_mcp_reloads_total', { outcome: 'ok' }) ?? 0) > reloads, 'ack_mcp_reloads_total{outcome="ok"} counts the reload');
    });

    t('elicitation: the server asks, the client answers, the tool sees the answer', async () => {
      const seen = [];
      const e = await legacyHttpClient(srv, kind, {
        capabilities: { elicitation: {} },
        setup: (c) => c.setRequestHandler(ElicitRequestSchema, (req) => {
          seen.push(req.params);
          return { action: 'accept', content: { confirm: true } };
        }),
      });
      try {
        const r = assertOk(await e.client.callTool({ name: 'confirm', arguments: { question: `Over ${kind}?` } }));
        assert.deepEqual(r.structuredContent, { action: 'accept', content: { confirm: true } });
        assert.equal(seen.length, 1);
        assert.equal(seen[0].message, `Over ${kind}?`);
        const declined = await legacyHttpClient(srv, kind, {
          capabilities: { elicitation: {} },
          setup: (c) => c.setRequestHandler(ElicitRequestSchema, () => ({ action: 'decline' })),
        });
        try {
          const d = assertOk(await declined.client.callTool({ name: 'confirm', arguments: {} }));
          assert.equal(d.structuredContent.action, 'decline');
        } finally {
          await declined.close();
        }
        assert.deepEqual(e.errors.map(String), []);
      } finally {
        await e.close();
      }
    });

    t('forty concurrent calls each get their own answer; the fast ones are not held behind the slow ones', async () => {
      const order = [];
      const calls = [];
      for (let i = 0; i < 20; i++) {
        calls.push(s.client.callTool({ name: 'sleep', arguments: { seconds: 0.5 } }).then((r) => {
          order.push('sleep');
          assert.deepEqual(r.structuredContent, { slept: 0.5 });
        }));
        calls.push(s.client.callTool({ name: 'echo', arguments: { message: `m${i}` } }).then((r) => {
          order.push('echo');
          assert.equal(r.structuredContent?.message, `m${i}`);
        }));
      }
      const t0 = Date.now();
      await Promise.all(calls);
      assert.deepEqual(order.slice(0, 20), Array(20).fill('echo'), `completion order: ${order}`);
      assert.ok(Date.now() - t0 < 5000, `20 parallel 0.5 s sleeps took ${Date.now() - t0} ms: they ran one after another`);
    });

    t('a second client on the same server has its own session', async () => {
      const other = await legacyHttpClient(srv, kind);
      try {
        const r = assertOk(await other.client.callTool({ name: 'echo', arguments: { message: 'second' } }));
        assert.equal(r.structuredContent.message, 'second');
        if (kind === 'streamable') assert.notEqual(other.transport.sessionId, s.transport.sessionId);
        const m = await srv.metrics();
        const open = metricValue(m, 'ack_mcp_sessions', { transport: METRIC_TRANSPORT[kind] });
        assert.ok(open >= 2, `ack_mcp_sessions{transport="${METRIC_TRANSPORT[kind]}"} = ${open} with two clients connected`);
      } finally {
        await other.close();
      }
    });

    t('after all that the session still answers and saw no transport or protocol errors', async () => {
      const r = await s.client.request({ method: 'tools/call', params: { name: 'echo', arguments: { message: 'last' } } }, CallToolResultSchema);
      assert.equal(r.structuredContent.message, 'last');
      assert.deepEqual(s.errors.map(String), []);
    });
  });
}
