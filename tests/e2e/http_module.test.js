// The `http` host module: http.request from a tool goes through the server's HTTP client on
// its event loop, passes the write gate for methods that change state, honours timeouts and
// size caps, and is aborted when the call is cancelled. Only a loopback server is contacted.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import { RawServer, eventually, serverArgs, tempDir } from './lib/harness.js';

const T = { timeout: 30000 };

const FETCH = `return {
  name = "fetch", title = "Fetch", description = "Sends one HTTP request and reports the answer.",
  toolset = "test", annotations = { readOnlyHint = true },
  input = { type = "object", properties = { url = { type = "string" }, method = { type = "string" },
            body = { type = "string" }, timeout = { type = "number" }, max_bytes = { type = "integer" } },
            required = { "url" } },
  handler = function(args)
    local ok, r = pcall(http.request, { url = args.url, method = args.method, body = args.body,
                                        timeout = args.timeout, max_bytes = args.max_bytes,
                                        headers = { ["X-Test"] = "yes" } })
    if not ok and type(r) ~= "table" then error(r, 0) end -- a bad argument: the author's bug
    if not ok then return { error = r.code, message = r.message, retryable = r.retryable } end
    return { status = r.status, body = r.body, type = r.headers["content-type"] }
  end,
}`;

describe('http host module', () => {
  let web, base, dir;
  const aborted = [];
  before(async () => {
    web = createServer((req, res) => {
      let body = '';
      req.on('data', (d) => { body += d; });
      req.on('close', () => { if (!res.writableEnded) aborted.push(req.url); });
      req.on('end', () => {
        if (req.url === '/ok') {
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ hello: 'world', header: req.headers['x-test'] }));
        } else if (req.url === '/echo') {
          res.writeHead(201, { 'content-type': 'text/plain' });
          res.end(`${req.method} ${body}`);
        } else if (req.url === '/slow') {
          setTimeout(() => { if (!res.destroyed) res.end('late'); }, 5000);
        } else if (req.url === '/big') {
          res.end('x'.repeat(200000));
        } else {
          res.writeHead(404);
          res.end('no');
        }
      });
    });
    await new Promise((r) => web.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${web.address().port}`;
    dir = tempDir('ack-e2e-http-');
    writeFileSync(join(dir.dir, 'fetch.lua'), FETCH);
  });
  after(async () => {
    web.closeAllConnections?.();
    await new Promise((r) => web.close(r));
    dir.cleanup();
  });

  async function server(extra = []) {
    const s = new RawServer(serverArgs(['--tools-dir', dir.dir, ...extra]));
    await s.initialize();
    return s;
  }
  const call = (s, args, id) => s.request('tools/call', { name: 'fetch', arguments: args }, { id });

  test('GET: status, body and headers come back; request headers go out', T, async () => {
    const s = await server();
    try {
      const r = await call(s, { url: `${base}/ok` });
      assert.deepEqual(r.result.structuredContent, { status: 200, body: '{"hello":"world","header":"yes"}', type: 'application/json' });
      const nf = await call(s, { url: `${base}/missing` });
      assert.equal(nf.result.structuredContent.status, 404, 'an HTTP error status is an answer, not a failure');
    } finally {
      await s.close();
    }
  });

  test('POST is refused by the write gate in read-only mode, and sent with --allow-write', T, async () => {
    const ro = await server();
    try {
      const r = await call(ro, { url: `${base}/echo`, method: 'POST', body: 'data' });
      assert.equal(r.result.structuredContent.error, 'WriteRefused');
      assert.match(r.result.structuredContent.message, /POST .*\/echo.*--allow-write/);
    } finally {
      await ro.close();
    }
    const rw = await server(['--allow-write']);
    try {
      const r = await call(rw, { url: `${base}/echo`, method: 'POST', body: 'data' });
      assert.deepEqual(r.result.structuredContent, { status: 201, body: 'POST data', type: 'text/plain' });
    } finally {
      await rw.close();
    }
  });

  test('timeouts, size caps and refused connections are structured errors', T, async () => {
    const s = await server();
    try {
      const slow = await call(s, { url: `${base}/slow`, timeout: 0.3 });
      assert.equal(slow.result.structuredContent.error, 'Timeout');
      assert.equal(slow.result.structuredContent.retryable, true);
      const big = await call(s, { url: `${base}/big`, max_bytes: 1000 });
      assert.equal(big.result.structuredContent.error, 'TooLarge');
      const refused = await call(s, { url: 'http://127.0.0.1:1/' });
      assert.equal(refused.result.structuredContent.error, 'ConnectionFailed');
      const bad = await call(s, { url: 'file:///etc/passwd' });
      assert.equal(bad.result.isError, true);
      assert.match(bad.result.content[0].text, /http:\/\/ or https:\/\//);
    } finally {
      await s.close();
    }
  });

  test('cancelling the call aborts its HTTP request', T, async () => {
    const s = await server();
    try {
      const before = aborted.length;
      s.send({ jsonrpc: '2.0', id: 40, method: 'tools/call', params: { name: 'fetch', arguments: { url: `${base}/slow` } } });
      await new Promise((r) => setTimeout(r, 300));
      s.send({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: 40 } });
      await eventually(() => aborted.length > before, { timeout: 2000, what: 'the web server to see the request aborted' });
      const ok = await call(s, { url: `${base}/ok` }, 41);
      assert.equal(ok.result.structuredContent.status, 200);
    } finally {
      await s.close();
    }
  });
});
