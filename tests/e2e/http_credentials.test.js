// Per-request cloud credentials over HTTP: X-Aliyun-* headers reach a tool as ctx.credentials
// only with --allow-request-credentials, per POST (and at a WebSocket's upgrade), and the
// secret never reaches the server's log.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import { HttpServer, openWs, postHeaders, serverEnv, tempDir, wsInit } from './lib/harness.js';

const T = { timeout: 30000 };
const SECRET = 'sEcReT-value-1234567890';
const CREDS = {
  'x-aliyun-access-key-id': 'LTAIexampleid',
  'x-aliyun-access-key-secret': SECRET,
  'x-aliyun-security-token': 'sts-token-abc',
  'x-aliyun-region': 'cn-beijing',
};

// A tool that reports which credentials it was given (never the secret itself).
const WHOAMI = `return {
  name = "whoami", title = "Who am I", description = "Reports the request's cloud credentials.",
  toolset = "test", annotations = { readOnlyHint = true },
  input = { type = "object", additionalProperties = false },
  handler = function(args, ctx)
    local c = ctx.credentials
    if not c then return { present = false } end
    return { present = true, access_key_id = c.access_key_id, region = c.region,
             has_secret = c.access_key_secret == "${SECRET}", has_token = c.security_token ~= nil }
  end,
}`;

async function callWhoami(srv, extra = {}) {
  const sess = await srv.initSession();
  const r = await srv.request('/mcp', {
    method: 'POST',
    headers: postHeaders({ session: sess.id, version: sess.version, extra }),
    body: JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'whoami', arguments: {} } }),
  });
  assert.equal(r.status, 200, r.body);
  return JSON.parse(r.body).result.structuredContent;
}

describe('per-request credentials', () => {
  let dir;
  before(() => {
    dir = tempDir('ack-e2e-creds-');
    writeFileSync(join(dir.dir, 'whoami.lua'), WHOAMI);
  });
  after(() => dir.cleanup());

  test('with --allow-request-credentials a POST\'s X-Aliyun-* headers reach the tool, and the secret is not logged', T, async () => {
    const srv = await HttpServer.start(['--tools-dir', dir.dir, '--allow-request-credentials', '--log-level', 'debug'], { env: serverEnv() });
    try {
      const got = await callWhoami(srv, CREDS);
      assert.deepEqual(got, { present: true, access_key_id: 'LTAIexampleid', region: 'cn-beijing', has_secret: true, has_token: true });
      assert.deepEqual(await callWhoami(srv), { present: false }, 'credentials belong to one request, not the session');
      assert.ok(!srv.stderr().includes(SECRET), 'the secret appeared in the server log');
    } finally {
      await srv.close();
    }
  });

  test('without the flag the headers are ignored, with one warning', T, async () => {
    const srv = await HttpServer.start(['--tools-dir', dir.dir], { env: serverEnv() });
    try {
      assert.deepEqual(await callWhoami(srv, CREDS), { present: false });
      await callWhoami(srv, CREDS);
      const warnings = srv.stderr().split('\n').filter((l) => l.includes('credential headers ignored'));
      assert.equal(warnings.length, 1, srv.stderr());
      assert.ok(!srv.stderr().includes(SECRET));
    } finally {
      await srv.close();
    }
  });

  test('a WebSocket takes its credentials from the upgrade request', T, async () => {
    const srv = await HttpServer.start(['--tools-dir', dir.dir, '--allow-request-credentials'], { env: serverEnv() });
    try {
      const ws = await openWs(srv, { headers: CREDS });
      await wsInit(ws);
      ws.sendJson({ jsonrpc: '2.0', id: 5, method: 'tools/call', params: { name: 'whoami', arguments: {} } });
      const reply = (await ws.waitFrame((f) => f.json?.id === 5, 'the whoami answer')).json;
      assert.equal(reply.result.structuredContent.access_key_id, 'LTAIexampleid');
      assert.equal(reply.result.structuredContent.has_secret, true);
      ws.close();
    } finally {
      await srv.close();
    }
  });
});
