// `ack-mcp-server tools check|list|call`: the command line for tool authors, with the same
// configuration as the server (flags, environment) and no transport.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';

import { BIN, FIXTURE_TOOLS, REPO_TOOLS, ROOT, serverEnv, tempDir } from './lib/harness.js';

const T = { timeout: 30000 };
const run = (...args) => spawnSync(BIN, ['tools', ...args, '--log-level', 'warning'], { cwd: ROOT, env: serverEnv(), encoding: 'utf8', timeout: 20000 });

describe('tools command line', () => {
  test('check passes a good directory and fails one with a broken file, naming it', T, () => {
    const good = run('check', '--tools-dir', REPO_TOOLS);
    assert.equal(good.status, 0, good.stderr);
    assert.match(good.stdout, /0 files failed/);
    const dir = tempDir('ack-e2e-cli-');
    try {
      copyFileSync(join(REPO_TOOLS, 'get_current_time.lua'), join(dir.dir, 'get_current_time.lua'));
      writeFileSync(join(dir.dir, 'broken.lua'), 'return {');
      const bad = run('check', '--tools-dir', dir.dir);
      assert.equal(bad.status, 1);
      assert.match(bad.stdout, /1 tools loaded .*1 file failed/);
      assert.match(bad.stderr, /broken\.lua:\d+: unexpected symbol/);
    } finally {
      dir.cleanup();
    }
  });

  test('list shows what a client would see, write tools only with --allow-write', T, () => {
    const ro = run('list', '--tools-dir', FIXTURE_TOOLS);
    assert.equal(ro.status, 0, ro.stderr);
    assert.match(ro.stdout, /^tool +echo +read +Echo$/m);
    assert.doesNotMatch(ro.stdout, /write_thing/);
    const rw = run('list', '--tools-dir', FIXTURE_TOOLS, '--allow-write');
    assert.match(rw.stdout, /^tool +write_thing +write /m);
  });

  test('call runs a tool and prints its result; failures set the exit code', T, () => {
    const ok = run('call', 'echo', '{"message":"hi","count":2}', '--tools-dir', FIXTURE_TOOLS);
    assert.equal(ok.status, 0, ok.stderr);
    assert.deepEqual(JSON.parse(ok.stdout).structuredContent, { message: 'hi', count: 2, mode: 'plain' });
    const invalid = run('call', 'echo', '{"count":"x"}', '--tools-dir', FIXTURE_TOOLS);
    assert.equal(invalid.status, 1);
    assert.equal(JSON.parse(invalid.stdout).isError, true);
    const unknown = run('call', 'nope', '--tools-dir', FIXTURE_TOOLS);
    assert.equal(unknown.status, 1);
    assert.equal(JSON.parse(unknown.stdout).code, -32602);
    const badJson = run('call', 'echo', '[1]', '--tools-dir', FIXTURE_TOOLS);
    assert.equal(badJson.status, 2);
    const usage = run('frobnicate');
    assert.equal(usage.status, 2);
    assert.match(usage.stderr, /usage: ack-mcp-server tools/);
  });
});
