// tests/e2e/reload.test.js: hot reload in --dev mode against a temporary tools directory:
// adding, changing, breaking and deleting a tool file while a v1 client stays connected.
import assert from 'node:assert/strict';
import { cpSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import { ErrorCode, LoggingMessageNotificationSchema, McpError, ToolListChangedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';

import { ROOT, assertBinary, withServer, assertNoSanitizerReport, eventually, legacyClient, listAllTools, resultText, sleep, tail, tempDir } from './lib/harness.js';

const T = { timeout: 60000 };
const RELOAD_WAIT = { timeout: 5000 }; // the contract says ~1-2 s; 5 s leaves room for a loaded CI box

function toolSource(name, { description, body }) {
  return `-- ${name}.lua: written by tests/e2e/reload.test.js
return {
  name = "${name}", title = "${name}", description = "${description}",
  toolset = "test",
  annotations = { readOnlyHint = true, idempotentHint = true, openWorldHint = false },
  input = { type = "object", additionalProperties = false },
  handler = function(args, ctx)
    ${body}
  end,
}
`;
}

/** Writes a file the way editors that save atomically do: a temp name, then rename. */
function writeAtomic(dir, file, text) {
  const tmp = join(dir, `.${file}.tmp`);
  writeFileSync(tmp, text);
  renameSync(tmp, join(dir, file));
}

before(() => assertBinary());

describe('hot reload (--dev)', () => {
  let tmp;
  let s;
  let changed = 0;
  const logs = [];

  const callText = async (name) => resultText(await s.client.callTool({ name, arguments: {} }));
  const listed = async () => (await listAllTools(s.client)).map((t) => t.name);
  const waitChanged = async (before, what) => {
    const t0 = Date.now();
    await eventually(() => changed > before, { ...RELOAD_WAIT, what: `notifications/tools/list_changed after ${what}` });
    return Date.now() - t0;
  };

  before(async () => {
    tmp = tempDir('ack-e2e-reload-');
    writeAtomic(tmp.dir, 'base.lua', toolSource('base', { description: 'Always here.', body: 'return "base"' }));
    s = await legacyClient({
      args: ['--dev', '--tools-dir', tmp.dir],
      setup: (c) => {
        c.setNotificationHandler(ToolListChangedNotificationSchema, () => {
          changed++;
        });
        c.setNotificationHandler(LoggingMessageNotificationSchema, (n) => {
          logs.push(n.params);
        });
      },
    });
    await s.client.setLoggingLevel('debug');
  });

  after(async () => {
    await s?.close();
    tmp?.cleanup();
    if (s) assertNoSanitizerReport(s);
  });

  const diag = (e) => {
    e.message += `\n--- server stderr (tail) ---\n${tail(s.stderr())}`;
    throw e;
  };

  test('the starting tool is served', T, async () => {
    assert.deepEqual(await listed(), ['base']);
    assert.equal(await callText('base'), 'base');
  });

  test('adding a file announces list_changed and serves the new tool', T, async () => {
    try {
      const before = changed;
      writeAtomic(tmp.dir, 'hello.lua', toolSource('hello', { description: 'Version 1.', body: 'return "v1"' }));
      await waitChanged(before, 'adding hello.lua');
      const tools = await listAllTools(s.client);
      const hello = tools.find((t) => t.name === 'hello');
      assert.ok(hello, `hello not listed: ${tools.map((t) => t.name)}`);
      assert.equal(hello.description, 'Version 1.');
      assert.equal(await callText('hello'), 'v1');
    } catch (e) {
      diag(e);
    }
  });

  test('changing the file announces list_changed and serves the new version', T, async () => {
    try {
      const before = changed;
      writeAtomic(tmp.dir, 'hello.lua', toolSource('hello', { description: 'Version 2.', body: 'return "v2"' }));
      await waitChanged(before, 'changing hello.lua');
      const hello = (await listAllTools(s.client)).find((t) => t.name === 'hello');
      assert.equal(hello?.description, 'Version 2.');
      assert.equal(await callText('hello'), 'v2');
    } catch (e) {
      diag(e);
    }
  });

  test('an in-place write (no rename) is picked up too', T, async () => {
    try {
      const before = changed;
      writeFileSync(join(tmp.dir, 'hello.lua'), toolSource('hello', { description: 'Version 2b.', body: 'return "v2b"' }));
      await waitChanged(before, 'rewriting hello.lua in place');
      await eventually(async () => (await callText('hello')) === 'v2b', { ...RELOAD_WAIT, what: 'hello to return v2b' });
    } catch (e) {
      diag(e);
    }
  });

  test('a syntax error keeps the old version serving and is reported as a log message', T, async () => {
    try {
      const mark = logs.length;
      writeAtomic(tmp.dir, 'hello.lua', 'return { name = "hello", handler = function( end\n');
      const report = await eventually(
        () => logs.slice(mark).find((l) => ['error', 'warning', 'critical', 'alert', 'emergency'].includes(l.level) && JSON.stringify(l.data).includes('hello')),
        { ...RELOAD_WAIT, what: 'a notifications/message reporting the broken hello.lua' },
      );
      assert.ok(report);
      const hello = (await listAllTools(s.client)).find((t) => t.name === 'hello');
      assert.equal(hello?.description, 'Version 2b.', 'the old definition is still listed');
      assert.equal(await callText('hello'), 'v2b', 'the old version still serves');
      assert.equal(await callText('base'), 'base', 'other tools are unaffected');
    } catch (e) {
      diag(e);
    }
  });

  test('fixing the file serves the fixed version', T, async () => {
    try {
      const before = changed;
      writeAtomic(tmp.dir, 'hello.lua', toolSource('hello', { description: 'Version 3.', body: 'return "v3"' }));
      await waitChanged(before, 'fixing hello.lua');
      assert.equal(await callText('hello'), 'v3');
    } catch (e) {
      diag(e);
    }
  });

  test('a burst of quick edits ends on the last version', T, async () => {
    try {
      for (let i = 1; i <= 10; i++) {
        writeAtomic(tmp.dir, 'hello.lua', toolSource('hello', { description: `Burst ${i}.`, body: `return "burst${i}"` }));
        await sleep(20);
      }
      await eventually(async () => (await callText('hello')) === 'burst10', { ...RELOAD_WAIT, what: 'hello to return burst10' });
      await sleep(500);
      assert.equal(await callText('hello'), 'burst10', 'a later reload went back to an older version');
      assert.equal((await listAllTools(s.client)).find((t) => t.name === 'hello')?.description, 'Burst 10.');
    } catch (e) {
      diag(e);
    }
  });

  test('a call already running finishes on the code it started with', T, async () => {
    try {
      let before = changed;
      writeAtomic(tmp.dir, 'slowver.lua', toolSource('slowver', { description: 'Slow old.', body: 'time.sleep(1.5) return "old"' }));
      await waitChanged(before, 'adding slowver.lua');
      const running = s.client.callTool({ name: 'slowver', arguments: {} });
      await sleep(300);
      before = changed;
      writeAtomic(tmp.dir, 'slowver.lua', toolSource('slowver', { description: 'Fast new.', body: 'return "new"' }));
      await waitChanged(before, 'changing slowver.lua');
      assert.equal(resultText(await running), 'old');
      assert.equal(await callText('slowver'), 'new');
    } catch (e) {
      diag(e);
    }
  });

  test('deleting the file announces list_changed and the tool is gone', T, async () => {
    try {
      const before = changed;
      unlinkSync(join(tmp.dir, 'hello.lua'));
      await waitChanged(before, 'deleting hello.lua');
      assert.ok(!(await listed()).includes('hello'));
      await assert.rejects(s.client.callTool({ name: 'hello', arguments: {} }), (e) => e instanceof McpError && e.code === ErrorCode.InvalidParams);
      assert.equal(await callText('base'), 'base');
    } catch (e) {
      diag(e);
    }
  });

  test('a file whose name field differs from its file name is reported and not served', T, async () => {
    try {
      const mark = logs.length;
      writeAtomic(tmp.dir, 'wrong.lua', toolSource('other', { description: 'Misnamed.', body: 'return "x"' }));
      await eventually(
        () => logs.slice(mark).find((l) => JSON.stringify(l.data).includes('wrong')),
        { ...RELOAD_WAIT, what: 'a notifications/message reporting wrong.lua' },
      );
      const names = await listed();
      assert.ok(!names.includes('other') && !names.includes('wrong'), `${names}`);
      unlinkSync(join(tmp.dir, 'wrong.lua'));
    } catch (e) {
      diag(e);
    }
  });

  test('non-.lua files in the tools dir are ignored', T, async () => {
    try {
      writeFileSync(join(tmp.dir, 'notes.txt'), 'not a tool');
      await sleep(1000);
      assert.deepEqual((await listed()).sort(), ['base', 'slowver']);
    } catch (e) {
      diag(e);
    }
  });
});

describe('hot reload of the shared library (--dev --lua-dir)', () => {
  test('changing a module in the lua dir changes the tools that require it', T, async () => {
    const lib = tempDir('ack-e2e-lua-');
    const tools = tempDir('ack-e2e-tools-');
    let s;
    try {
      cpSync(join(ROOT, 'lua'), lib.dir, { recursive: true });
      writeAtomic(lib.dir, 'greet.lua', 'return { word = "hello" }\n');
      writeAtomic(tools.dir, 'greeter.lua', `-- greeter.lua: written by tests/e2e/reload.test.js
local greet = require("greet")
return {
  name = "greeter", title = "Greeter", description = "Says the word from lua/greet.lua.",
  toolset = "test",
  annotations = { readOnlyHint = true, idempotentHint = true, openWorldHint = false },
  input = { type = "object", additionalProperties = false },
  handler = function() return greet.word end,
}
`);
      s = await legacyClient({ args: ['--dev', '--lua-dir', lib.dir, '--tools-dir', tools.dir] });
      const word = async () => resultText(await s.client.callTool({ name: 'greeter', arguments: {} }));
      assert.equal(await word(), 'hello');
      writeAtomic(lib.dir, 'greet.lua', 'return { word = "bonjour" }\n');
      await eventually(async () => (await word()) === 'bonjour', { ...RELOAD_WAIT, what: 'greeter to say bonjour after greet.lua changed' });
    } catch (e) {
      if (s) e.message += `\n--- server stderr (tail) ---\n${tail(s.stderr())}`;
      throw e;
    } finally {
      await s?.close();
      lib.cleanup();
      tools.cleanup();
    }
  });
});

describe('without --dev', () => {
  test('SIGHUP reloads the tools and announces list_changed', T, async () => {
    const t = tempDir('ack-e2e-hup-');
    let changed = 0;
    try {
      writeAtomic(t.dir, 'stable.lua', toolSource('stable', { description: 'One.', body: 'return "one"' }));
      await withServer(legacyClient({
        args: ['--tools-dir', t.dir],
        setup: (c) => c.setNotificationHandler(ToolListChangedNotificationSchema, () => {
          changed++;
        }),
      }), async (s) => {
        writeAtomic(t.dir, 'stable.lua', toolSource('stable', { description: 'Two.', body: 'return "two"' }));
        process.kill(s.transport.pid, 'SIGHUP');
        await eventually(() => changed > 0, { ...RELOAD_WAIT, what: 'list_changed after SIGHUP' });
        assert.equal(resultText(await s.client.callTool({ name: 'stable', arguments: {} })), 'two');
      });
    } finally {
      t.cleanup();
    }
  });

  test('a broken tool file at start-up is reported and the other tools still serve', T, async () => {
    const t = tempDir('ack-e2e-broken-');
    try {
      writeAtomic(t.dir, 'good.lua', toolSource('good', { description: 'Good.', body: 'return "good"' }));
      writeAtomic(t.dir, 'broken.lua', 'return { name = "broken", handler = function( end\n');
      await withServer(legacyClient({ args: ['--tools-dir', t.dir] }), async (s) => {
        const names = (await listAllTools(s.client)).map((x) => x.name);
        assert.deepEqual(names, ['good']);
        await eventually(() => /broken/.test(s.stderr()), { timeout: 3000, what: 'the load error of broken.lua on stderr' });
      });
    } finally {
      t.cleanup();
    }
  });

  test('without --dev, editing a file changes nothing', T, async () => {
    const t = tempDir('ack-e2e-nodev-');
    try {
      writeAtomic(t.dir, 'stable.lua', toolSource('stable', { description: 'One.', body: 'return "one"' }));
      const s = await legacyClient({ args: ['--tools-dir', t.dir] });
      try {
        writeAtomic(t.dir, 'stable.lua', toolSource('stable', { description: 'Two.', body: 'return "two"' }));
        await sleep(1500);
        assert.equal(resultText(await s.client.callTool({ name: 'stable', arguments: {} })), 'one');
      } finally {
        await s.close();
      }
    } finally {
      t.cleanup();
    }
  });
});
