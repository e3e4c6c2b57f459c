// tests/e2e/legacy.test.js: the legacy (initialize) era through the official v1 client,
// @modelcontextprotocol/sdk 1.32.2 over stdio: listing, calls, concurrency, cancellation,
// progress, logging, validation, runaway scripts, elicitation and the write gate.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import { CallToolResultSchema, ElicitRequestSchema, EmptyResultSchema, ErrorCode, LoggingMessageNotificationSchema, McpError } from '@modelcontextprotocol/sdk/types.js';

import {
  BIN, FIXTURE_TOOLS, REPO_TOOLS, assertBinary, assertNoSanitizerReport, echoed, legacyClient, listAllTools, resultText, serverArgs, serverEnv, sleep, tail, tempDir, using,
} from './lib/harness.js';

const FIXTURES = ['sleep', 'echo', 'fail', 'spin', 'hog', 'progress', 'logs', 'confirm', 'text'];
const T = { timeout: 60000 };

/** Asserts that p rejects with an McpError carrying code; returns the error. */
async function rejectsWithCode(p, code) {
  let err;
  try {
    const r = await p;
    assert.fail(`expected a JSON-RPC error ${code}, got a result: ${JSON.stringify(r)}`);
  } catch (e) {
    err = e;
  }
  if (err instanceof assert.AssertionError) throw err;
  assert.ok(err instanceof McpError, `expected McpError, got ${err}`);
  assert.equal(err.code, code, `error code (message: ${err.message})`);
  return err;
}

/** Asserts an isError result whose text matches every pattern. */
function assertToolError(result, ...patterns) {
  assert.equal(result.isError, true, `expected isError: true, got ${JSON.stringify(result)}`);
  const text = resultText(result);
  for (const p of patterns) assert.match(text, p, `error text ${JSON.stringify(text)}`);
  return text;
}

/** A result must be a success (no isError). */
function assertOk(result) {
  assert.notEqual(result.isError, true, `expected success, got ${JSON.stringify(result)}`);
  return result;
}

before(() => assertBinary());

describe('legacy session (shared server)', () => {
  let s;
  let tools;
  before(async () => {
    s = await legacyClient();
    tools = await listAllTools(s.client);
  });
  after(async () => {
    await s?.close();
    if (s) assertNoSanitizerReport(s);
  });

  test('initialize returns serverInfo and the tools/logging capabilities', () => {
    const info = s.client.getServerVersion();
    assert.equal(info.name, 'ack-mcp-server');
    assert.equal(typeof info.version, 'string');
    assert.ok(info.version.length > 0);
    const caps = s.client.getServerCapabilities();
    assert.deepEqual(caps.tools?.listChanged, true, `capabilities: ${JSON.stringify(caps)}`);
    assert.deepEqual(caps.logging, {}, `capabilities: ${JSON.stringify(caps)}`);
  });

  test('ping answers with an empty result', async () => {
    assert.deepEqual(await s.client.ping(), {});
  });

  test('tools/list has get_current_time and every read-only fixture, names unique', () => {
    const names = tools.map((t) => t.name);
    assert.equal(new Set(names).size, names.length, `duplicate names: ${names}`);
    for (const n of ['get_current_time', ...FIXTURES]) assert.ok(names.includes(n), `${n} missing from ${names}`);
    for (const t of tools) {
      assert.equal(t.inputSchema?.type, 'object', `${t.name}.inputSchema`);
      assert.equal(typeof t.description, 'string', `${t.name}.description`);
    }
  });

  test('a tool is listed with title, annotations, inputSchema and outputSchema', () => {
    const t = tools.find((x) => x.name === 'sleep');
    assert.ok(t, 'sleep listed');
    assert.equal(t.title, 'Sleep');
    assert.equal(t.description, 'Sleep for the given seconds, then return.');
    assert.deepEqual(t.annotations, { readOnlyHint: true, idempotentHint: true, openWorldHint: false });
    assert.deepEqual(t.inputSchema, {
      type: 'object',
      properties: { seconds: { type: 'number', minimum: 0, maximum: 30, description: 'How long' } },
      required: ['seconds'],
      additionalProperties: false,
    });
    assert.deepEqual(t.outputSchema, { type: 'object', properties: { slept: { type: 'number' } }, required: ['slept'] });
  });

  test('nested input schemas keep their shape (enum, default, pattern, nested object, array)', () => {
    const t = tools.find((x) => x.name === 'echo');
    const p = t.inputSchema.properties;
    assert.deepEqual(p.mode, { type: 'string', enum: ['plain', 'upper'], default: 'plain', description: 'Rendering' });
    assert.equal(p.tag.pattern, '^[a-z][a-z0-9-]*$');
    assert.deepEqual(p.options.required, ['verbose']);
    assert.equal(p.options.additionalProperties, false);
    assert.deepEqual(p.items, { type: 'array', items: { type: 'string' }, maxItems: 5, description: 'A list of words' });
    assert.deepEqual(t.inputSchema.required, ['message']);
  });

  test('a tool without properties lists an object schema, not an array', () => {
    const t = tools.find((x) => x.name === 'text');
    assert.equal(t.inputSchema.type, 'object');
    assert.equal(t.inputSchema.additionalProperties, false);
    if ('properties' in t.inputSchema) {
      assert.ok(t.inputSchema.properties && typeof t.inputSchema.properties === 'object' && !Array.isArray(t.inputSchema.properties),
        `properties must be an object: ${JSON.stringify(t.inputSchema)}`);
    }
    assert.equal(t.outputSchema, undefined);
  });

  test('write tools are hidden without --allow-write', () => {
    assert.ok(!tools.some((t) => t.name === 'write_thing'), 'write_thing must not be listed');
  });

  test('get_current_time returns the current time as structured content', async () => {
    const r = assertOk(await s.client.callTool({ name: 'get_current_time', arguments: {} }));
    const sc = r.structuredContent;
    assert.deepEqual(Object.keys(sc ?? {}).sort(), ['current_time_iso', 'current_time_unix', 'timezone'], JSON.stringify(r));
    assert.equal(sc.timezone, 'UTC');
    assert.match(sc.current_time_iso, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
    assert.ok(Number.isInteger(sc.current_time_unix), `unix: ${sc.current_time_unix}`);
    assert.equal(Date.parse(sc.current_time_iso) / 1000, sc.current_time_unix, 'ISO and unix name the same second');
    assert.ok(Math.abs(sc.current_time_unix - Date.now() / 1000) < 3600, `unix time ${sc.current_time_unix} is not now`);
    assert.deepEqual(JSON.parse(resultText(r)), sc, 'text block is the JSON of structuredContent');
  });

  test('a table result becomes structuredContent plus one compact JSON text block', async () => {
    const args = { message: 'hello', count: 3, mode: 'upper', tag: 'a-1', ratio: 0.5, options: { verbose: true, depth: 2 }, items: ['x', 'y'] };
    const r = assertOk(await s.client.callTool({ name: 'echo', arguments: args }));
    assert.deepEqual(r.structuredContent, args);
    assert.equal(r.content.length, 1, `content: ${JSON.stringify(r.content)}`);
    assert.equal(r.content[0].type, 'text');
    assert.doesNotMatch(r.content[0].text, /\n/, 'compact JSON has no newlines');
    assert.deepEqual(JSON.parse(r.content[0].text), args);
  });

  test('non-ASCII text survives the round trip', async () => {
    const args = { message: 'héllo 世界 🚀 "quoted" \\ back\nslash' };
    const r = assertOk(await s.client.callTool({ name: 'echo', arguments: args }));
    assert.deepEqual(r.structuredContent, echoed(args));
  });

  test('input schema defaults are filled in before the handler runs', async () => {
    const r = assertOk(await s.client.callTool({ name: 'echo', arguments: { message: 'd' } }));
    assert.deepEqual(r.structuredContent, { message: 'd', count: 1, mode: 'plain' });
  });

  test('an empty array argument comes back as an empty array', async () => {
    const r = assertOk(await s.client.callTool({ name: 'echo', arguments: { message: 'e', items: [] } }));
    assert.deepEqual(r.structuredContent, echoed({ message: 'e', items: [] }));
  });

  test('a string result becomes one text block without structuredContent', async () => {
    const r = assertOk(await s.client.callTool({ name: 'text', arguments: {} }));
    assert.deepEqual(r.content, [{ type: 'text', text: 'plain text from a tool' }]);
    assert.equal(r.structuredContent, undefined);
  });

  test('an uncaught Lua error is an isError result carrying the message', async () => {
    assertToolError(await s.client.callTool({ name: 'fail', arguments: {} }), /boom: intentional/);
  });

  test('an unknown tool is JSON-RPC error -32602', async () => {
    await rejectsWithCode(s.client.callTool({ name: 'no_such_tool', arguments: {} }), ErrorCode.InvalidParams);
  });

  describe('invalid arguments are isError results that name the path', () => {
    const cases = [
      ['wrong type', 'sleep', { seconds: '2' }, [/arguments\.seconds/, /expected number/, /got string/]],
      ['above maximum', 'sleep', { seconds: 31 }, [/arguments\.seconds/]],
      ['below minimum', 'sleep', { seconds: -1 }, [/arguments\.seconds/]],
      ['missing required', 'echo', {}, [/arguments/, /message/, /required|missing/i]],
      ['not in enum', 'echo', { message: 'm', mode: 'loud' }, [/arguments\.mode/]],
      ['integer expected', 'echo', { message: 'm', count: 1.5 }, [/arguments\.count/]],
      ['integer above maximum', 'echo', { message: 'm', count: 11 }, [/arguments\.count/]],
      ['pattern mismatch', 'echo', { message: 'm', tag: 'Bad Tag' }, [/arguments\.tag/]],
      ['string too long', 'echo', { message: 'x'.repeat(201) }, [/arguments\.message/]],
      ['nested wrong type', 'echo', { message: 'm', options: { verbose: 'yes' } }, [/arguments\.options\.verbose/]],
      ['nested missing required', 'echo', { message: 'm', options: {} }, [/arguments\.options/, /verbose/, /required|missing/i]],
      ['nested additional property', 'echo', { message: 'm', options: { verbose: true, extra: 1 } }, [/arguments\.options/, /extra/]],
      ['array item wrong type', 'echo', { message: 'm', items: ['a', 2] }, [/arguments\.items(\[1\]|\.1)/]],
      ['array too long', 'echo', { message: 'm', items: ['a', 'b', 'c', 'd', 'e', 'f'] }, [/arguments\.items/]],
      ['additional property', 'echo', { message: 'm', bogus: 1 }, [/bogus/]],
      ['object expected', 'echo', { message: 'm', options: [1] }, [/arguments\.options/]],
    ];
    // client.request, not callTool: callTool also checks the result against the tool's
    // outputSchema, which the test just below covers on its own.
    for (const [what, name, args, patterns] of cases) {
      test(`${what}: ${name} ${JSON.stringify(args)}`, async () => {
        assertToolError(await s.client.request({ method: 'tools/call', params: { name, arguments: args } }, CallToolResultSchema), ...patterns);
      });
    }
  });

  test('callTool accepts the isError result of a tool that has an outputSchema', async () => {
    // SDK 1.32.2 validates structuredContent against outputSchema whenever it is present,
    // even on isError results; an error result must therefore carry none, or a conforming one.
    const r = await s.client.callTool({ name: 'sleep', arguments: { seconds: 'x' } });
    assertToolError(r, /arguments\.seconds/);
  });

  test('a slow call does not block a fast one: echo sent after sleep 2 resolves first', T, async () => {
    const order = [];
    const slow = s.client.callTool({ name: 'sleep', arguments: { seconds: 2 } }).then((r) => {
      order.push('sleep');
      return r;
    });
    const fast = s.client.callTool({ name: 'echo', arguments: { message: 'fast' } }).then((r) => {
      order.push('echo');
      return r;
    });
    const [rs, rf] = await Promise.all([slow, fast]);
    assert.deepEqual(order, ['echo', 'sleep']);
    assert.deepEqual(rs.structuredContent, { slept: 2 });
    assert.equal(rf.structuredContent?.message, 'fast');
  });

  test('progress notifications arrive in increasing order with total and message', T, async () => {
    const seen = [];
    const r = assertOk(await s.client.callTool({ name: 'progress', arguments: { steps: 5 } }, undefined, {
      onprogress: (p) => seen.push(p),
    }));
    assert.deepEqual(r.structuredContent, { steps: 5 });
    assert.equal(seen.length, 5, `progress seen: ${JSON.stringify(seen)}`);
    for (let i = 0; i < seen.length; i++) {
      assert.equal(seen[i].progress, i + 1);
      assert.equal(seen[i].total, 5);
      assert.equal(seen[i].message, `step ${i + 1}`);
    }
  });

  test('twenty concurrent slow calls all finish, and an echo sent after them finishes first', T, async () => {
    const order = [];
    const slow = Array.from({ length: 20 }, (_, i) => s.client.callTool({ name: 'sleep', arguments: { seconds: 1 } }).then((r) => {
      order.push(`sleep${i}`);
      return r;
    }));
    const fast = s.client.callTool({ name: 'echo', arguments: { message: 'first' } }).then((r) => {
      order.push('echo');
      return r;
    });
    const results = await Promise.all([...slow, fast]);
    assert.equal(order[0], 'echo', `completion order: ${order}`);
    for (const r of results.slice(0, 20)) assert.deepEqual(r.structuredContent, { slept: 1 });
  });

  test('no progress notifications without a progressToken', T, async () => {
    const mark = s.wire.length;
    assertOk(await s.client.callTool({ name: 'progress', arguments: { steps: 2 } }));
    const progress = s.wire.slice(mark).filter((m) => m.method === 'notifications/progress');
    assert.deepEqual(progress, []);
  });

  test('the shared session saw no protocol errors (unparseable lines, unknown ids)', () => {
    assert.deepEqual(s.errors.map(String), []);
  });
});

describe('legacy calls that need their own server', () => {
  test('--tool-timeout ends a call that runs too long as isError; the server keeps serving', T, async () => {
    await using(await legacyClient({ args: serverArgs(['--tool-timeout', '0.5']) }), async (s) => {
      const r = await s.client.request({ method: 'tools/call', params: { name: 'sleep', arguments: { seconds: 5 } } }, CallToolResultSchema);
      assertToolError(r, /time/i);
      assertOk(await s.client.callTool({ name: 'echo', arguments: { message: 'after timeout' } }));
    });
  });

  test('cancelling a call via AbortSignal: no response comes, the server keeps serving', T, async () => {
    await using(await legacyClient(), async (s) => {
      const ac = new AbortController();
      const call = s.client.callTool({ name: 'sleep', arguments: { seconds: 2 } }, undefined, { signal: ac.signal });
      const rejected = assert.rejects(call);
      await sleep(300);
      const req = s.sent.find((m) => m.method === 'tools/call' && m.params?.name === 'sleep');
      assert.ok(req, 'the sleep request was sent');
      ac.abort('test cancels');
      await rejected;
      assert.ok(s.sent.some((m) => m.method === 'notifications/cancelled' && m.params?.requestId === req.id), 'client sent notifications/cancelled');
      // Wait past the moment the sleep would have finished.
      await sleep(2700);
      const answered = s.wire.filter((m) => m.id === req.id);
      assert.deepEqual(answered, [], 'a cancelled request gets no response');
      const r = assertOk(await s.client.callTool({ name: 'echo', arguments: { message: 'after cancel' } }));
      assert.equal(r.structuredContent?.message, 'after cancel');
      assert.deepEqual(s.errors.map(String), [], 'client saw no protocol errors');
    });
  });

  test('logging/setLevel filters notifications/message by level', T, async () => {
    const logs = [];
    await using(await legacyClient({
      setup: (c) => c.setNotificationHandler(LoggingMessageNotificationSchema, (n) => {
        logs.push(n.params);
      }),
    }), async (s) => {
      const ours = () => logs.filter((l) => /message/.test(typeof l.data === 'string' ? l.data : l.data?.text ?? ''));
      await s.client.setLoggingLevel('warning');
      assertOk(await s.client.callTool({ name: 'logs', arguments: {} }));
      await sleep(200);
      assert.deepEqual(ours().map((l) => l.level), ['warning', 'error'], `logs: ${JSON.stringify(logs)}`);
      assert.deepEqual(ours()[0].data, { text: 'warning message', n: 4 });
      assert.equal(ours()[1].data, 'error message');

      logs.length = 0;
      await s.client.setLoggingLevel('debug');
      assertOk(await s.client.callTool({ name: 'logs', arguments: {} }));
      await sleep(200);
      assert.deepEqual(ours().map((l) => l.level), ['debug', 'info', 'notice', 'warning', 'error'], `logs: ${JSON.stringify(logs)}`);
    });
  });

  test('logging/setLevel rejects an unknown level with -32602', T, async () => {
    await using(await legacyClient(), async (s) => {
      await rejectsWithCode(s.client.request({ method: 'logging/setLevel', params: { level: 'loud' } }, EmptyResultSchema), ErrorCode.InvalidParams);
    });
  });

  test('a runaway loop (spin) ends as isError naming the limit while a concurrent echo succeeds', T, async () => {
    await using(await legacyClient(), async (s) => {
      const spin = s.client.callTool({ name: 'spin', arguments: {} });
      const echo = s.client.callTool({ name: 'echo', arguments: { message: 'still here' } });
      const [rs, re] = await Promise.all([spin, echo]);
      assertToolError(rs, /instruction|cpu|budget|limit|timeout/i);
      assert.equal(assertOk(re).structuredContent?.message, 'still here');
      const again = assertOk(await s.client.callTool({ name: 'echo', arguments: { message: 'after spin' } }));
      assert.equal(again.structuredContent?.message, 'after spin');
    });
  });

  test('unbounded allocation (hog) ends as isError naming the memory limit while a concurrent echo succeeds', T, async () => {
    await using(await legacyClient(), async (s) => {
      const hog = s.client.callTool({ name: 'hog', arguments: {} });
      const echo = s.client.callTool({ name: 'echo', arguments: { message: 'still here' } });
      const [rh, re] = await Promise.all([hog, echo]);
      assertToolError(rh, /memory/i);
      assert.equal(assertOk(re).structuredContent?.message, 'still here');
      const again = assertOk(await s.client.callTool({ name: 'echo', arguments: { message: 'after hog' } }));
      assert.equal(again.structuredContent?.message, 'after hog');
      // The memory the hog held is given back: a second hog fails the same way, not sooner.
      assertToolError(await s.client.callTool({ name: 'hog', arguments: {} }), /memory/i);
      assertOk(await s.client.callTool({ name: 'echo', arguments: { message: 'after second hog' } }));
    });
  });

  test('tools/list pages with nextCursor when --page-size is small', T, async () => {
    await using(await legacyClient({ args: serverArgs(['--page-size', '3']) }), async (s) => {
      const first = await s.client.listTools();
      assert.ok(first.tools.length <= 3, `page of ${first.tools.length}`);
      assert.equal(typeof first.nextCursor, 'string', 'nextCursor on a partial page');
      const all = await listAllTools(s.client);
      const names = all.map((t) => t.name);
      assert.equal(new Set(names).size, names.length, `pages overlap: ${names}`);
      for (const n of ['get_current_time', ...FIXTURES]) assert.ok(names.includes(n), `${n} missing from ${names}`);
      await rejectsWithCode(s.client.listTools({ cursor: 'not-a-cursor' }), ErrorCode.InvalidParams);
    });
  });
});

describe('write gate', () => {
  test('without --allow-write, write_thing is neither listed nor callable', T, async () => {
    await using(await legacyClient(), async (s) => {
      const names = (await listAllTools(s.client)).map((t) => t.name);
      assert.ok(!names.includes('write_thing'));
      let outcome;
      try {
        outcome = await s.client.callTool({ name: 'write_thing', arguments: {} });
      } catch (e) {
        outcome = e;
      }
      if (outcome instanceof McpError) {
        assert.equal(outcome.code, ErrorCode.InvalidParams, outcome.message);
      } else {
        assert.equal(outcome.isError, true, `write_thing ran: ${JSON.stringify(outcome)}`);
        assert.notDeepEqual(outcome.structuredContent, { written: true });
      }
    });
  });

  test('with --allow-write, write_thing is listed with its annotations and callable', T, async () => {
    await using(await legacyClient({ args: serverArgs(['--allow-write']) }), async (s) => {
      const t = (await listAllTools(s.client)).find((x) => x.name === 'write_thing');
      assert.ok(t, 'write_thing listed');
      assert.equal(t.annotations.readOnlyHint, false);
      assert.equal(t.annotations.destructiveHint, false);
      const r = assertOk(await s.client.callTool({ name: 'write_thing', arguments: {} }));
      assert.deepEqual(r.structuredContent, { written: true });
    });
  });
});

describe('elicitation (legacy elicitation/create)', () => {
  test('accept: the client handler answers and the tool sees the content', T, async () => {
    const seen = [];
    await using(await legacyClient({
      capabilities: { elicitation: {} },
      setup: (c) => c.setRequestHandler(ElicitRequestSchema, (req) => {
        seen.push(req.params);
        return { action: 'accept', content: { confirm: true } };
      }),
    }), async (s) => {
      const r = assertOk(await s.client.callTool({ name: 'confirm', arguments: { question: 'Delete it?' } }));
      assert.deepEqual(r.structuredContent, { action: 'accept', content: { confirm: true } });
      assert.equal(seen.length, 1);
      assert.equal(seen[0].message, 'Delete it?');
      assert.equal(seen[0].requestedSchema.type, 'object');
      assert.equal(seen[0].requestedSchema.properties.confirm.type, 'boolean');
      assert.deepEqual(seen[0].requestedSchema.required, ['confirm']);
    });
  });

  test('decline reaches the tool', T, async () => {
    await using(await legacyClient({
      capabilities: { elicitation: {} },
      setup: (c) => c.setRequestHandler(ElicitRequestSchema, () => ({ action: 'decline' })),
    }), async (s) => {
      const r = assertOk(await s.client.callTool({ name: 'confirm', arguments: {} }));
      assert.equal(r.structuredContent.action, 'decline');
    });
  });

  test('an elicitation the client answers with an error ends the call as isError', T, async () => {
    await using(await legacyClient({
      capabilities: { elicitation: {} },
      setup: (c) => c.setRequestHandler(ElicitRequestSchema, () => {
        throw new Error('user interface unavailable');
      }),
    }), async (s) => {
      const r = await s.client.request({ method: 'tools/call', params: { name: 'confirm', arguments: {} } }, CallToolResultSchema);
      assert.equal(r.isError, true, JSON.stringify(r));
      assertOk(await s.client.callTool({ name: 'echo', arguments: { message: 'after failed elicitation' } }));
    });
  });

  test('a client without the elicitation capability gets isError, no request', T, async () => {
    await using(await legacyClient(), async (s) => {
      const r = await s.client.callTool({ name: 'confirm', arguments: {} });
      assertToolError(r, /elicit/i);
      assert.ok(!s.wire.some((m) => m.method === 'elicitation/create'), 'server must not send elicitation/create');
    });
  });
});

describe('tool directories and toolsets', () => {
  test('a later --tools-dir overrides a same-named tool', T, async () => {
    const tmp = tempDir();
    try {
      writeFileSync(join(tmp.dir, 'echo.lua'), `-- override fixture written by legacy.test.js
return {
  name = "echo", title = "Echo (override)", description = "Overridden echo.",
  toolset = "test",
  annotations = { readOnlyHint = true, idempotentHint = true, openWorldHint = false },
  input = { type = "object", additionalProperties = true },
  handler = function() return { overridden = true } end,
}
`);
      await using(await legacyClient({ args: ['--tools-dir', REPO_TOOLS, '--tools-dir', FIXTURE_TOOLS, '--tools-dir', tmp.dir] }), async (s) => {
        const echo = (await listAllTools(s.client)).filter((t) => t.name === 'echo');
        assert.equal(echo.length, 1, 'one echo');
        assert.equal(echo[0].title, 'Echo (override)');
        const r = assertOk(await s.client.callTool({ name: 'echo', arguments: { message: 'x' } }));
        assert.deepEqual(r.structuredContent, { overridden: true });
      });
    } finally {
      tmp.cleanup();
    }
  });

  test('--toolsets core serves get_current_time and hides the test toolset', T, async () => {
    await using(await legacyClient({ args: serverArgs(['--toolsets', 'core']) }), async (s) => {
      const names = (await listAllTools(s.client)).map((t) => t.name);
      assert.ok(names.includes('get_current_time'), `${names}`);
      assert.ok(!names.includes('echo'), `${names}`);
    });
  });

  test('--toolsets test serves the fixtures; core is always served', T, async () => {
    await using(await legacyClient({ args: serverArgs(['--toolsets', 'test']) }), async (s) => {
      const names = (await listAllTools(s.client)).map((t) => t.name);
      assert.ok(names.includes('echo'), `${names}`);
      assert.ok(names.includes('get_current_time'), `${names}`);
    });
  });

  test('--toolsets with an unrelated set hides the fixtures', T, async () => {
    await using(await legacyClient({ args: serverArgs(['--toolsets', 'kubernetes']) }), async (s) => {
      const names = (await listAllTools(s.client)).map((t) => t.name);
      assert.ok(!names.includes('echo'), `${names}`);
    });
  });
});

describe('command line', () => {
  test('--version prints a version and exits 0', () => {
    const r = spawnSync(BIN, ['--version'], { env: serverEnv(), encoding: 'utf8', timeout: 10000 });
    assert.equal(r.status, 0, `stderr: ${tail(r.stderr)}`);
    assert.match(r.stdout + r.stderr, /\d+\.\d+\.\d+/);
  });

  test('--help prints usage naming the flags and exits 0', () => {
    const r = spawnSync(BIN, ['--help'], { env: serverEnv(), encoding: 'utf8', timeout: 10000 });
    assert.equal(r.status, 0, `stderr: ${tail(r.stderr)}`);
    for (const flag of ['--tools-dir', '--allow-write', '--dev', '--toolsets', '--log-level']) {
      assert.ok((r.stdout + r.stderr).includes(flag), `--help does not mention ${flag}`);
    }
  });

  test('an unknown flag exits non-zero with a message on stderr', () => {
    const r = spawnSync(BIN, ['--no-such-flag'], { env: serverEnv(), encoding: 'utf8', timeout: 10000, input: '' });
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /no-such-flag/);
    assert.equal(r.stdout, '', 'stdout stays clean');
  });
});
