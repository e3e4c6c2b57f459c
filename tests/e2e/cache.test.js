// The `cache` host module end to end: one producer run per key however many calls ask at
// once, errors shared but not cached, cancelled waiters and cancelled producers, TTLs from
// the producer, and --cache-ttl / --cache-max-size driving the store. Fixture tools in
// tests/fixtures/cache/; a producer holds until the test releases it, so overlaps are certain
// without timing.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, test } from 'node:test';

import { ROOT, RawServer, eventually, serverArgs, using } from './lib/harness.js';

const T = { timeout: 30000 };
const FIXTURES = join(ROOT, 'tests', 'fixtures', 'cache');

async function server(extra = []) {
  const s = new RawServer(serverArgs(['--tools-dir', FIXTURES, ...extra]));
  await s.initialize();
  return s;
}

const fetchCall = (s, args) => s.sendRequest('tools/call', { name: 'cache_fetch', arguments: args });
async function ops(s, args) {
  const r = await s.request('tools/call', { name: 'cache_ops', arguments: args });
  assert.ok(r.result && !r.result.isError, JSON.stringify(r));
  return r.result.structuredContent;
}
const stats = async (s) => (await ops(s, { op: 'stats' })).value;
const release = (s, key) => ops(s, { op: 'set', key: `release:${key}`, value: true });
/** Waits until the key's producer runs and `waiting` calls are parked behind it. */
const parked = (s, waiting) =>
  eventually(async () => {
    const st = await stats(s);
    return st.in_flight === 1 && st.waiting === waiting;
  }, { what: `${waiting} parked calls` });

describe('cache host module', () => {
  test('concurrent fetches of one key run the producer once and all get its value', T, async () => {
    await using(await server(), async (s) => {
      const ids = [];
      for (let i = 0; i < 8; i++) ids.push(await fetchCall(s, { key: 't:stampede', hold: true }));
      await parked(s, 7);
      await release(s, 't:stampede');
      const answers = await Promise.all(ids.map((id) => s.response(id)));
      for (const a of answers) {
        assert.ok(!a.result.isError, JSON.stringify(a));
        assert.deepEqual(a.result.structuredContent.value, { run: 1, key: 't:stampede' });
        assert.equal(a.result.structuredContent.runs, 1, 'the producer ran once');
      }
      const later = await s.response(await fetchCall(s, { key: 't:stampede' }));
      assert.equal(later.result.structuredContent.runs, 1, 'a later call is served from the cache');
      const st = await stats(s);
      assert.equal(st.coalesced, 7);
      assert.equal(st.in_flight, 0);
      assert.equal(st.waiting, 0);
      assert.ok(st.hits >= 1);
    });
  });

  test('an error reaches every waiter and is not cached', T, async () => {
    await using(await server(), async (s) => {
      const ids = [];
      for (let i = 0; i < 4; i++) ids.push(await fetchCall(s, { key: 't:err', hold: true, fail: true }));
      await parked(s, 3);
      await release(s, 't:err');
      for (const a of await Promise.all(ids.map((id) => s.response(id)))) {
        assert.equal(a.result.isError, true);
        assert.match(a.result.content[0].text, /boom 1/);
        assert.equal(a.result._meta['ack-mcp-server/error'].code, 'Boom');
      }
      const again = await s.response(await fetchCall(s, { key: 't:err', fail: true }));
      assert.match(again.result.content[0].text, /boom 2/, 'the next call runs the producer again');
      assert.equal((await stats(s)).entries, 1, 'only the release flag is cached');
    });
  });

  test('a cancelled waiter just leaves; the others still get the value', T, async () => {
    await using(await server(), async (s) => {
      const owner = await fetchCall(s, { key: 't:cw', hold: true });
      const quitter = await fetchCall(s, { key: 't:cw' });
      const stayer = await fetchCall(s, { key: 't:cw' });
      await parked(s, 2);
      await s.notify('notifications/cancelled', { requestId: quitter, reason: 'test' });
      await parked(s, 1);
      await release(s, 't:cw');
      for (const id of [owner, stayer]) {
        const a = await s.response(id);
        assert.deepEqual(a.result.structuredContent, { value: { run: 1, key: 't:cw' }, runs: 1 });
      }
      assert.equal(s.messages.some((m) => m.id === quitter), false, 'a cancelled request gets no answer');
    });
  });

  test('when the producing call is cancelled, a waiter takes over and the rest share its value', T, async () => {
    await using(await server(), async (s) => {
      const owner = await fetchCall(s, { key: 't:co', hold: true });
      await parked(s, 0);
      const a = await fetchCall(s, { key: 't:co', hold: true });
      const b = await fetchCall(s, { key: 't:co', hold: true });
      await parked(s, 2);
      await s.notify('notifications/cancelled', { requestId: owner, reason: 'test' });
      await parked(s, 1); // one of a, b now runs the producer, the other waits on it
      await release(s, 't:co');
      for (const id of [a, b]) {
        const r = await s.response(id);
        assert.deepEqual(r.result.structuredContent, { value: { run: 2, key: 't:co' }, runs: 2 });
      }
      assert.equal((await stats(s)).in_flight, 0);
    });
  });

  test('a producer that times out hands over the same way', T, async () => {
    await using(await server(), async (s) => {
      const owner = await s.sendRequest('tools/call', { name: 'cache_fetch_brief', arguments: { key: 't:to' } });
      await parked(s, 0);
      const waiter = await fetchCall(s, { key: 't:to' });
      const timedOut = await s.response(owner);
      assert.match(timedOut.result.content[0].text, /timed out/);
      const r = await s.response(waiter);
      assert.deepEqual(r.result.structuredContent, { value: { run: 1, key: 't:to' }, runs: 1 });
    });
  });

  test('the producer sets the TTL; 0 and nil mean not cached', T, async () => {
    await using(await server(), async (s) => {
      const first = await s.response(await fetchCall(s, { key: 't:ttl0', fn_ttl: 0 }));
      const second = await s.response(await fetchCall(s, { key: 't:ttl0', fn_ttl: 0 }));
      assert.equal(first.result.structuredContent.runs, 1);
      assert.equal(second.result.structuredContent.runs, 2);
      const nil1 = await s.response(await fetchCall(s, { key: 't:nil', null: true }));
      const nil2 = await s.response(await fetchCall(s, { key: 't:nil', null: true }));
      assert.deepEqual([nil1.result.structuredContent, nil2.result.structuredContent], [{ value: 'nil', runs: 1 }, { value: 'nil', runs: 2 }]);
      await s.response(await fetchCall(s, { key: 't:long', fn_ttl: 3600 }));
      const got = await ops(s, { op: 'get', key: 't:long' });
      assert.deepEqual(got.value, { run: 1, key: 't:long' });
      assert.ok(got.ttl_left > 3000 && got.ttl_left <= 3600, `ttl_left ${got.ttl_left}`);
    });
  });

  test('get, set with a TTL, delete, and precise errors for bad keys and values', T, async () => {
    await using(await server(), async (s) => {
      await ops(s, { op: 'set', key: 'ns:a', value: { x: [1, 2, {}] }, ttl: 60 });
      const got = await ops(s, { op: 'get', key: 'ns:a' });
      assert.deepEqual(got.value, { x: [1, 2, {}] });
      assert.ok(got.ttl_left > 0 && got.ttl_left <= 60);
      assert.deepEqual((await ops(s, { op: 'get_in_sort', key: 'ns:a' })).value, { x: [1, 2, {}] }, 'get works where no yield can');
      assert.deepEqual(await ops(s, { op: 'delete', key: 'ns:a' }), { found: true, value: true });
      assert.deepEqual(await ops(s, { op: 'get', key: 'ns:a' }), { found: false });
      assert.match((await ops(s, { op: 'get', key: 'no-namespace' })).error, /namespace:rest/);
      assert.match((await ops(s, { op: 'get', key: ':x' })).error, /namespace:rest/);
      assert.match((await ops(s, { op: 'set', key: 'ns:b', value: 1, ttl: -1 })).error, /ttl must be/);
      assert.match((await ops(s, { op: 'fetch_self', key: 'ns:self' })).error, /its own key/);
      assert.equal((await stats(s)).in_flight, 0, 'the failed fetch left nothing behind');
    });
  });

  test('--cache-max-size bounds the entries and --cache-ttl sets the default lifetime', T, async () => {
    await using(await server(['--cache-max-size', '2', '--cache-ttl', '120']), async (s) => {
      for (const k of ['a', 'b', 'c']) await ops(s, { op: 'set', key: `ns:${k}`, value: k });
      const st = await stats(s);
      assert.equal(st.max_entries, 2);
      assert.equal(st.ttl, 120);
      assert.equal(st.entries, 2);
      assert.equal(st.evictions, 1);
      assert.deepEqual(await ops(s, { op: 'get', key: 'ns:a' }), { found: false }, 'the least recently used went');
      const c = await ops(s, { op: 'get', key: 'ns:c' });
      assert.ok(c.ttl_left > 100 && c.ttl_left <= 120);
    });
    await using(await server(['--cache-ttl', '0']), async (s) => {
      await ops(s, { op: 'set', key: 'ns:a', value: 1 });
      assert.deepEqual(await ops(s, { op: 'get', key: 'ns:a' }), { found: false }, 'CACHE_TTL=0 turns default caching off');
      await ops(s, { op: 'set', key: 'ns:b', value: 1, ttl: 30 });
      assert.equal((await ops(s, { op: 'get', key: 'ns:b' })).value, 1, 'an explicit TTL still caches');
    });
  });
});
