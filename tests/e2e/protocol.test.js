// tests/e2e/protocol.test.js: JSON-RPC over stdio byte by byte, without an SDK in between:
// version negotiation, malformed input, lifecycle errors, size limits, batching per revision,
// cancellation, progress tokens and how the process ends (stdin EOF, SIGTERM, SIGINT).
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';

import { LEGACY_VERSIONS, RawServer, assertBinary, isResponse, serverArgs, sleep, tail, using } from './lib/harness.js';

const T = { timeout: 60000 };

function expectError(msg, code, id) {
  assert.equal(msg.jsonrpc, '2.0', `jsonrpc member: ${JSON.stringify(msg)}`);
  assert.ok(msg.error, `expected an error, got ${JSON.stringify(msg)}`);
  assert.equal(msg.result, undefined, `error and result together: ${JSON.stringify(msg)}`);
  if (code !== undefined) assert.equal(msg.error.code, code, `error code: ${JSON.stringify(msg)}`);
  assert.equal(typeof msg.error.message, 'string');
  if (id !== undefined) assert.deepEqual(msg.id, id, `error id: ${JSON.stringify(msg)}`);
}

function expectResult(msg, id) {
  assert.equal(msg.jsonrpc, '2.0', `jsonrpc member: ${JSON.stringify(msg)}`);
  assert.ok(msg.result !== undefined, `expected a result, got ${JSON.stringify(msg)}`);
  assert.equal(msg.error, undefined);
  if (id !== undefined) assert.deepEqual(msg.id, id);
  return msg.result;
}

/** The next message after mark that is not a notification (log messages may come first). */
function nextResponse(srv, from, what) {
  return srv.waitFor((m) => Array.isArray(m) || !('method' in m), { from, what });
}

/** A server that already did the legacy handshake at version. */
async function started(version = '2025-11-25', args = serverArgs()) {
  const srv = new RawServer(args);
  const init = await srv.initialize(version);
  expectResult(init);
  return srv;
}

/** Every test ends by proving stdout held nothing but JSON. */
function cleanStdout(srv) {
  assert.deepEqual(srv.badLines, [], 'stdout must carry only JSON-RPC lines');
}

before(() => assertBinary());

describe('version negotiation (initialize)', () => {
  for (const v of LEGACY_VERSIONS) {
    test(`${v} is echoed back`, T, async () => {
      await using(new RawServer(), async (srv) => {
        const res = await srv.initialize(v);
        const r = expectResult(res);
        assert.equal(r.protocolVersion, v);
        assert.equal(r.serverInfo.name, 'ack-mcp-server');
        assert.equal(typeof r.serverInfo.version, 'string');
        assert.equal(r.capabilities.tools?.listChanged, true);
        assert.deepEqual(r.capabilities.logging, {});
        const list = await srv.request('tools/list', {});
        assert.ok(expectResult(list).tools.length > 0);
        cleanStdout(srv);
      });
    });
  }

  for (const v of ['2099-01-01', '2024-10-07', 'not-a-version']) {
    test(`unsupported ${v} gets the latest legacy version, 2025-11-25`, T, async () => {
      await using(new RawServer(), async (srv) => {
        const r = expectResult(await srv.initialize(v));
        assert.equal(r.protocolVersion, '2025-11-25');
      });
    });
  }
});

describe('malformed input', () => {
  test('invalid JSON gets -32700 with id null, and the next request still works', T, async () => {
    await using(await started(), async (srv) => {
      let from = srv.mark();
      await srv.sendLine('{"jsonrpc":"2.0","id":5,"method":');
      expectError(await nextResponse(srv, from, 'parse error'), -32700, null);
      expectResult(await srv.request('ping'), srv.nextId - 1);
      from = srv.mark();
      await srv.sendLine('not json at all');
      expectError(await nextResponse(srv, from, 'parse error'), -32700, null);
      expectResult(await srv.request('ping'));
      cleanStdout(srv);
    });
  });

  for (const [what, line] of [['an empty array', '[]'], ['a number', '42'], ['a string', '"hello"'], ['an object that is not a request', '{"foo":1}'], ['null', 'null']]) {
    test(`${what} (${line}) gets -32600`, T, async () => {
      await using(await started(), async (srv) => {
        const from = srv.mark();
        await srv.sendLine(line);
        const res = await nextResponse(srv, from, 'invalid request');
        assert.ok(!Array.isArray(res), `one error object, not a batch: ${JSON.stringify(res)}`);
        expectError(res, -32600, null);
        expectResult(await srv.request('ping'));
        cleanStdout(srv);
      });
    });
  }

  test('a request without "jsonrpc":"2.0" gets -32600', T, async () => {
    await using(await started(), async (srv) => {
      const from = srv.mark();
      await srv.sendLine('{"id":77,"method":"ping"}');
      const res = await nextResponse(srv, from, 'invalid request');
      expectError(res, -32600);
      assert.ok(res.id === 77 || res.id === null, `id: ${res.id}`);
      expectResult(await srv.request('ping'));
    });
  });

  test('invalid UTF-8 bytes get -32700, and the server keeps going', T, async () => {
    await using(await started(), async (srv) => {
      const from = srv.mark();
      const bad = Buffer.concat([Buffer.from('{"jsonrpc":"2.0","id":9,"method":"ping","params":{"_meta":{"x":"'), Buffer.from([0xff, 0xfe, 0xc3]), Buffer.from('"}}}')]);
      await srv.sendLine(bad);
      const res = await nextResponse(srv, from, 'invalid UTF-8 error');
      expectError(res, -32700);
      assert.ok(res.id === null || res.id === 9, `id: ${res.id}`);
      expectResult(await srv.request('ping'));
      cleanStdout(srv);
    });
  });

  test('a line over --max-message-bytes is refused and the server keeps going', T, async () => {
    await using(await started('2025-11-25', serverArgs(['--max-message-bytes', '65536'])), async (srv) => {
      // Just under the limit: accepted.
      const ok = JSON.stringify({ jsonrpc: '2.0', id: 'near', method: 'ping', params: { _meta: { pad: 'x'.repeat(60000) } } });
      await srv.sendLine(ok);
      expectResult(await srv.response('near'), 'near');
      // Over it: an error, not a crash.
      const from = srv.mark();
      await srv.sendLine(JSON.stringify({ jsonrpc: '2.0', id: 'big', method: 'ping', params: { _meta: { pad: 'x'.repeat(70000) } } }));
      const res = await nextResponse(srv, from, 'size-limit error');
      expectError(res);
      assert.ok(res.id === null || res.id === 'big', `id: ${res.id}`);
      expectResult(await srv.request('ping'));
      assert.equal(srv.exitInfo, null, 'server still running');
      cleanStdout(srv);
    });
  });

  test('a line over the default 4 MiB limit is refused and the server keeps going', T, async () => {
    await using(await started(), async (srv) => {
      const from = srv.mark();
      const head = '{"jsonrpc":"2.0","id":"huge","method":"ping","params":{"_meta":{"pad":"';
      const tailStr = '"}}}';
      const line = head + 'x'.repeat(4 * 1024 * 1024 + 1 - head.length - tailStr.length + 1) + tailStr;
      assert.ok(Buffer.byteLength(line) > 4 * 1024 * 1024);
      await srv.sendLine(line);
      const res = await nextResponse(srv, from, 'size-limit error');
      expectError(res);
      expectResult(await srv.request('ping'));
      cleanStdout(srv);
    });
  });

  test('10k-deep nesting is refused with an error, and the server keeps going', T, async () => {
    await using(await started(), async (srv) => {
      const from = srv.mark();
      const deep = `{"jsonrpc":"2.0","id":"deep","method":"tools/call","params":{"name":"echo","arguments":{"message":"m","options":${'['.repeat(10000)}${']'.repeat(10000)}}}}`;
      await srv.sendLine(deep);
      const res = await nextResponse(srv, from, 'an answer to the deep request');
      assert.ok(res.id === 'deep' || res.id === null, `id: ${res.id}`);
      assert.ok(res.error || res.result?.isError === true, `deep nesting was accepted: ${JSON.stringify(res).slice(0, 300)}`);
      expectResult(await srv.request('ping'));
      cleanStdout(srv);
    });
  });

  test('a 100 MB line is refused and the server keeps going', T, async () => {
    await using(await started(), async (srv) => {
      const from = srv.mark();
      const head = Buffer.from('{"jsonrpc":"2.0","id":"100mb","method":"ping","params":{"_meta":{"pad":"');
      const pad = Buffer.alloc(100 * 1024 * 1024, 0x78);
      await srv.sendLine(Buffer.concat([head, pad, Buffer.from('"}}}')]));
      const res = await nextResponse(srv, from, 'size-limit error for the 100 MB line');
      expectError(res);
      expectResult(await srv.request('ping'));
      cleanStdout(srv);
    });
  });

  test('an unknown method gets -32601 with the request id', T, async () => {
    await using(await started(), async (srv) => {
      expectError(await srv.request('no/such/method', {}, { id: 'm1' }), -32601, 'm1');
    });
  });

  test('an unknown notification gets no response at all', T, async () => {
    await using(await started(), async (srv) => {
      const from = srv.mark();
      await srv.notify('notifications/no_such_thing', {});
      await srv.sendRequest('ping', undefined, 'after-notify');
      const next = await nextResponse(srv, from, 'ping response');
      expectResult(next, 'after-notify');
    });
  });

  test('id 0, string ids and 64-bit integer ids round-trip unchanged', T, async () => {
    await using(await started(), async (srv) => {
      expectResult(await srv.request('ping', undefined, { id: 0 }), 0);
      expectResult(await srv.request('ping', undefined, { id: 'abc-\u00e9' }), 'abc-\u00e9');
      // Beyond 2^53: compare the raw line, JSON.parse would round it.
      const from = srv.lines.length;
      await srv.sendLine('{"jsonrpc":"2.0","id":9007199254740993,"method":"ping"}');
      await srv.waitFor((m) => isResponse(m), { from: srv.messages.length, what: 'ping with a big id' });
      const line = srv.lines.slice(from).find((l) => l.includes('"result"'));
      assert.match(line, /"id":9007199254740993[,}]/, `big id changed: ${line}`);
    });
  });

  test('a null id is not a request: -32600', T, async () => {
    await using(await started(), async (srv) => {
      const from = srv.mark();
      await srv.sendLine('{"jsonrpc":"2.0","id":null,"method":"ping"}');
      expectError(await nextResponse(srv, from, 'null-id refusal'), -32600, null);
    });
  });

  test('params that are not an object get -32602 (or -32600)', T, async () => {
    await using(await started(), async (srv) => {
      const res = await srv.request('tools/call', ['echo', { message: 'x' }]);
      expectError(res);
      assert.ok([-32602, -32600].includes(res.error.code), `code ${res.error.code}`);
    });
  });

  test('a response to a request the server never sent is ignored', T, async () => {
    await using(await started(), async (srv) => {
      const from = srv.mark();
      await srv.send({ jsonrpc: '2.0', id: 'never-asked', result: {} });
      await srv.send({ jsonrpc: '2.0', id: 'never-asked-2', error: { code: -1, message: 'x' } });
      await srv.sendRequest('ping', undefined, 'after');
      expectResult(await nextResponse(srv, from, 'ping'), 'after');
    });
  });
});

describe('volume', () => {
  test('500 requests in one write get 500 responses, one per id', T, async () => {
    await using(await started(), async (srv) => {
      const from = srv.mark();
      const lines = [];
      for (let i = 0; i < 500; i++) {
        lines.push(JSON.stringify(i % 2 ? { jsonrpc: '2.0', id: `v${i}`, method: 'ping' } : { jsonrpc: '2.0', id: `v${i}`, method: 'tools/call', params: { name: 'echo', arguments: { message: `m${i}` } } }));
      }
      await new Promise((r) => srv.child.stdin.write(`${lines.join('\n')}\n`, r));
      const got = await srv.waitForCount(isResponse, 500, { from });
      assert.equal(got.length, 500);
      assert.equal(new Set(got.map((m) => m.id)).size, 500, 'one response per id');
      for (const m of got) {
        const i = Number(m.id.slice(1));
        if (i % 2 === 0) assert.equal(m.result?.structuredContent?.message, `m${i}`, JSON.stringify(m));
      }
      cleanStdout(srv);
    });
  });

  test('a client that stops reading stdout for a while loses nothing', T, async () => {
    await using(await started(), async (srv) => {
      srv.child.stdout.pause();
      const from = srv.mark();
      const lines = [];
      for (let i = 0; i < 3000; i++) lines.push(JSON.stringify({ jsonrpc: '2.0', id: `bp${i}`, method: 'tools/call', params: { name: 'echo', arguments: { message: 'x'.repeat(150) } } }));
      srv.child.stdin.write(`${lines.join('\n')}\n`);
      await sleep(1500);
      srv.child.stdout.resume();
      const got = await srv.waitForCount(isResponse, 3000, { from, timeout: 20000 });
      assert.equal(new Set(got.map((m) => m.id)).size, 3000);
      expectResult(await srv.request('ping'));
      cleanStdout(srv);
    });
  });
});

describe('framing', () => {
  test('CRLF line endings are accepted', T, async () => {
    await using(await started(), async (srv) => {
      await srv.sendLine('{"jsonrpc":"2.0","id":"crlf","method":"ping"}\r');
      expectResult(await srv.response('crlf'), 'crlf');
      cleanStdout(srv);
    });
  });

  test('a message split across writes, and two messages in one write, are both read', T, async () => {
    await using(await started(), async (srv) => {
      const msg = '{"jsonrpc":"2.0","id":"split","method":"ping"}\n';
      await new Promise((r) => srv.child.stdin.write(msg.slice(0, 20), r));
      await sleep(150);
      await new Promise((r) => srv.child.stdin.write(msg.slice(20), r));
      expectResult(await srv.response('split'), 'split');
      await new Promise((r) => srv.child.stdin.write('{"jsonrpc":"2.0","id":"two-a","method":"ping"}\n{"jsonrpc":"2.0","id":"two-b","method":"ping"}\n', r));
      expectResult(await srv.response('two-a'), 'two-a');
      expectResult(await srv.response('two-b'), 'two-b');
    });
  });

  test('blank lines are ignored, not answered', T, async () => {
    await using(await started(), async (srv) => {
      const from = srv.mark();
      await new Promise((r) => srv.child.stdin.write('\n\n  \n', r));
      await srv.sendRequest('ping', undefined, 'after-blank');
      expectResult(await nextResponse(srv, from, 'ping'), 'after-blank');
    });
  });

  test('tools/call without arguments calls a tool that needs none', T, async () => {
    await using(await started(), async (srv) => {
      const r = expectResult(await srv.request('tools/call', { name: 'text' }));
      assert.deepEqual(r.content, [{ type: 'text', text: 'plain text from a tool' }]);
    });
  });

  test('tools/call without a name gets -32602', T, async () => {
    await using(await started(), async (srv) => {
      expectError(await srv.request('tools/call', { arguments: {} }), -32602);
      expectError(await srv.request('tools/call', { name: 42 }), -32602);
    });
  });
});

describe('lifecycle', () => {
  test('a request before initialize is refused; ping is allowed', T, async () => {
    await using(new RawServer(), async (srv) => {
      expectResult(await srv.request('ping'));
      expectError(await srv.request('tools/list', {}));
      const r = expectResult(await srv.initialize('2025-11-25'));
      assert.equal(r.protocolVersion, '2025-11-25');
      assert.ok(expectResult(await srv.request('tools/list', {})).tools.length > 0);
    });
  });

  test('a second initialize is refused', T, async () => {
    await using(await started(), async (srv) => {
      expectError(await srv.request('initialize', { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'x', version: '1' } }));
      expectResult(await srv.request('ping'));
    });
  });
});

describe('batching', () => {
  const batch = [
    { jsonrpc: '2.0', id: 'b1', method: 'ping' },
    { jsonrpc: '2.0', id: 'b2', method: 'tools/list', params: {} },
  ];

  test('2025-03-26 answers a batch with an array of responses', T, async () => {
    await using(await started('2025-03-26'), async (srv) => {
      const from = srv.mark();
      await srv.send(batch);
      const res = await nextResponse(srv, from, 'batch response');
      assert.ok(Array.isArray(res), `expected an array, got ${JSON.stringify(res).slice(0, 300)}`);
      const byId = Object.fromEntries(res.map((m) => [m.id, m]));
      assert.deepEqual(Object.keys(byId).sort(), ['b1', 'b2']);
      expectResult(byId.b1, 'b1');
      assert.ok(Array.isArray(expectResult(byId.b2, 'b2').tools));
    });
  });

  for (const v of ['2024-11-05', '2025-06-18', '2025-11-25']) {
    test(`${v} refuses a batch with one -32600 error`, T, async () => {
      await using(await started(v), async (srv) => {
        const from = srv.mark();
        await srv.send(batch);
        const res = await nextResponse(srv, from, 'batch refusal');
        assert.ok(!Array.isArray(res), `batch was processed on ${v}: ${JSON.stringify(res).slice(0, 300)}`);
        expectError(res, -32600, null);
        expectResult(await srv.request('ping'));
      });
    });
  }
});

describe('cancellation and progress on the wire', () => {
  test('notifications/cancelled stops a call: no response for it, the next request is answered', T, async () => {
    await using(await started(), async (srv) => {
      const id = await srv.sendRequest('tools/call', { name: 'sleep', arguments: { seconds: 2 } }, 'slow');
      await sleep(300);
      await srv.notify('notifications/cancelled', { requestId: id, reason: 'test' });
      expectResult(await srv.request('ping'));
      await sleep(2700);
      assert.deepEqual(srv.messages.filter((m) => m.id === 'slow'), [], 'a cancelled request gets no response');
      const r = expectResult(await srv.request('tools/call', { name: 'echo', arguments: { message: 'ok' } }));
      assert.equal(r.structuredContent?.message, 'ok');
    });
  });

  test('after notifications/cancelled no more progress arrives for that call', T, async () => {
    await using(await started(), async (srv) => {
      await srv.sendRequest('tools/call', { name: 'progress', arguments: { steps: 40 }, _meta: { progressToken: 'p-cancel' } }, 'prog');
      await srv.waitFor((m) => m.method === 'notifications/progress' && m.params.progress >= 2, { what: 'two progress notifications' });
      await srv.notify('notifications/cancelled', { requestId: 'prog' });
      const pong = await srv.request('ping');
      const after = srv.mark();
      await sleep(1000);
      const late = srv.messages.slice(after).filter((m) => m.method === 'notifications/progress' || m.id === 'prog');
      assert.deepEqual(late, [], 'progress or a response after cancellation was processed');
      expectResult(pong);
    });
  });

  test('progressToken 0 is a token like any other', T, async () => {
    await using(await started(), async (srv) => {
      const from = srv.mark();
      const res = await srv.request('tools/call', { name: 'progress', arguments: { steps: 2 }, _meta: { progressToken: 0 } });
      expectResult(res);
      const progress = srv.messages.slice(from).filter((m) => m.method === 'notifications/progress');
      assert.deepEqual(progress.map((p) => p.params.progressToken), [0, 0]);
    });
  });

  test('cancelling an unknown request id is ignored', T, async () => {
    await using(await started(), async (srv) => {
      const from = srv.mark();
      await srv.notify('notifications/cancelled', { requestId: 'never-sent' });
      await srv.sendRequest('ping', undefined, 'p');
      expectResult(await nextResponse(srv, from, 'ping'), 'p');
    });
  });

  test('a string progressToken is echoed in every notifications/progress, all before the result', T, async () => {
    await using(await started(), async (srv) => {
      const from = srv.mark();
      const res = await srv.request('tools/call', { name: 'progress', arguments: { steps: 3 }, _meta: { progressToken: 'tok-1' } });
      expectResult(res);
      const idx = srv.messages.indexOf(res);
      const progress = srv.messages.slice(from, idx).filter((m) => m.method === 'notifications/progress');
      assert.equal(progress.length, 3, JSON.stringify(srv.messages.slice(from)));
      assert.deepEqual(progress.map((p) => p.params.progressToken), ['tok-1', 'tok-1', 'tok-1']);
      assert.deepEqual(progress.map((p) => p.params.progress), [1, 2, 3]);
      const late = srv.messages.slice(idx + 1).filter((m) => m.method === 'notifications/progress');
      assert.deepEqual(late, [], 'no progress after the result');
    });
  });
});

describe('process exit', () => {
  test('stdin EOF while idle: exit code 0', T, async () => {
    const srv = await started();
    try {
      srv.closeStdin();
      const ex = await srv.waitExit(5000);
      assert.ok(ex, 'server did not exit within 5 s of stdin EOF');
      assert.deepEqual(ex, { code: 0, signal: null }, `exit status; stderr:\n${tail(srv.stderr())}`);
      cleanStdout(srv);
    } finally {
      await srv.close();
    }
  });

  test('stdin EOF in the middle of a long call: exit code 0 within a few seconds', T, async () => {
    const srv = await started('2025-11-25', serverArgs(['--shutdown-grace', '1']));
    try {
      await srv.sendRequest('tools/call', { name: 'sleep', arguments: { seconds: 30 } }, 'long');
      await sleep(300);
      srv.closeStdin();
      const ex = await srv.waitExit(8000);
      assert.ok(ex, `server did not exit within 8 s of stdin EOF (shutdown grace 1 s); stderr:\n${srv.stderr()}`);
      assert.deepEqual(ex, { code: 0, signal: null }, `exit status; stderr:\n${tail(srv.stderr())}`);
      cleanStdout(srv);
    } finally {
      await srv.close();
    }
  });

  test('stdin EOF with a short call in flight: its result is still written, then exit 0', T, async () => {
    const srv = await started();
    try {
      await srv.sendRequest('tools/call', { name: 'sleep', arguments: { seconds: 1 } }, 'short');
      await sleep(200);
      srv.closeStdin();
      const res = await srv.response('short', { timeout: 8000 });
      assert.deepEqual(expectResult(res).structuredContent, { slept: 1 });
      const ex = await srv.waitExit(8000);
      assert.deepEqual(ex, { code: 0, signal: null }, `exit status; stderr:\n${tail(srv.stderr())}`);
    } finally {
      await srv.close();
    }
  });

  for (const sig of ['SIGTERM', 'SIGINT']) {
    test(`${sig} while idle: exit code 0`, T, async () => {
      const srv = await started();
      try {
        srv.kill(sig);
        const ex = await srv.waitExit(5000);
        assert.ok(ex, `server did not exit within 5 s of ${sig}`);
        assert.deepEqual(ex, { code: 0, signal: null }, `exit status; stderr:\n${tail(srv.stderr())}`);
        cleanStdout(srv);
      } finally {
        await srv.close();
      }
    });
  }

  test('SIGTERM with a short call in flight: the call finishes (grace period), then exit 0', T, async () => {
    const srv = await started();
    try {
      await srv.sendRequest('tools/call', { name: 'sleep', arguments: { seconds: 1 } }, 'graceful');
      await sleep(200);
      srv.kill('SIGTERM');
      const res = await srv.response('graceful', { timeout: 8000 });
      assert.deepEqual(expectResult(res).structuredContent, { slept: 1 });
      const ex = await srv.waitExit(8000);
      assert.deepEqual(ex, { code: 0, signal: null }, `exit status; stderr:\n${tail(srv.stderr())}`);
    } finally {
      await srv.close();
    }
  });
});
