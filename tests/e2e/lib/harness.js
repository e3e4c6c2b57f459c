// tests/e2e/lib/harness.js: starts the real ack-mcp-server binary for the e2e suite, either
// behind an official SDK client (v1 legacy or v2 modern) or as a raw child whose stdin and
// stdout the test reads and writes line by line. Every helper here owns the child it starts
// and kills it on close, so a failing test never leaves a server behind.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import { Client as LegacyClient } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport as LegacyStdioTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { Client as ModernClient } from '@modelcontextprotocol/client';
import { StdioClientTransport as ModernStdioTransport } from '@modelcontextprotocol/client/stdio';

export const E2E_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const ROOT = resolve(E2E_DIR, '../..');
export const BIN = process.env.ACK_MCP_BIN || join(ROOT, 'build', 'ack-mcp-server');
export const REPO_TOOLS = join(ROOT, 'tools');
export const FIXTURE_TOOLS = join(ROOT, 'tests', 'fixtures', 'tools');

export const LEGACY_VERSIONS = ['2024-11-05', '2025-03-26', '2025-06-18', '2025-11-25'];
export const MODERN_VERSION = '2026-07-28';
export const META = {
  version: 'io.modelcontextprotocol/protocolVersion',
  capabilities: 'io.modelcontextprotocol/clientCapabilities',
  clientInfo: 'io.modelcontextprotocol/clientInfo',
  logLevel: 'io.modelcontextprotocol/logLevel',
  serverInfo: 'io.modelcontextprotocol/serverInfo',
};
export const CLIENT_INFO = { name: 'ack-e2e', version: '0.0.0' };

/** The defaults echo's input schema declares; the server fills them in before the handler runs. */
export const ECHO_DEFAULTS = { count: 1, mode: 'plain' };
export function echoed(args) {
  return { ...ECHO_DEFAULTS, ...args };
}

/** The arguments every test server gets: repo tools, then the fixture tools. */
export function serverArgs(extra = []) {
  return ['--tools-dir', REPO_TOOLS, '--tools-dir', FIXTURE_TOOLS, ...extra];
}

/** A minimal environment, so a developer's shell (or a .env) cannot change what is tested. */
export function serverEnv(extra = {}) {
  const env = {};
  for (const k of ['PATH', 'HOME', 'LANG', 'TMPDIR', 'ASAN_OPTIONS', 'UBSAN_OPTIONS', 'LSAN_OPTIONS']) {
    if (process.env[k] !== undefined) env[k] = process.env[k];
  }
  return { ...env, ...extra };
}

export function assertBinary() {
  if (!existsSync(BIN)) {
    throw new Error(`server binary not found at ${BIN}: build it (make build) or set ACK_MCP_BIN`);
  }
}

export function sleep(ms) {
  return new Promise((r) => setTimeout(r, ms));
}

export function tail(text, lines = 40) {
  const all = String(text).trimEnd().split('\n');
  return all.slice(-lines).join('\n');
}

/** The modern per-request `_meta` envelope, with optional extra keys. */
export function modernMeta(extra = {}, capabilities = {}) {
  return {
    [META.version]: MODERN_VERSION,
    [META.capabilities]: capabilities,
    [META.clientInfo]: CLIENT_INFO,
    ...extra,
  };
}

/** Polls fn until it returns a truthy value or the deadline passes; returns that value. */
export async function eventually(fn, { timeout = 5000, interval = 50, what = 'condition' } = {}) {
  const deadline = Date.now() + timeout;
  let last;
  for (;;) {
    try {
      last = await fn();
      if (last) return last;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeout} ms waiting for ${what}; last: ${last instanceof Error ? last.message : JSON.stringify(last)}`);
    }
    await sleep(interval);
  }
}

/** The first sanitizer report (ASan, LSan, UBSan) in a server's stderr, or null. */
export function sanitizerReport(stderr) {
  const m = /(ERROR: \w+Sanitizer|runtime error:)[^]*/.exec(stderr);
  return m ? m[0].split('\n').slice(0, 30).join('\n') : null;
}

/** Throws if the server's stderr holds a sanitizer report (for sanitizer builds). */
export function assertNoSanitizerReport(resource) {
  const report = sanitizerReport(resource.stderr());
  if (report) throw new Error(`sanitizer report from the server:\n${report}`);
}

/**
 * Runs fn(resource) and always closes the resource; a failure gets the server's stderr
 * tail appended, so the report shows what the server logged. After a success, a sanitizer
 * report on stderr (ASan/UBSan builds) fails the test.
 */
export async function using(resource, fn) {
  let result;
  try {
    result = await fn(resource);
  } catch (e) {
    const err = e instanceof Error ? e : new Error(String(e));
    try {
      err.message += `\n--- server stderr (tail) ---\n${tail(resource.stderr())}`;
    } catch {
      /* message is read-only on some errors */
    }
    throw err;
  } finally {
    await resource.close();
  }
  assertNoSanitizerReport(resource);
  return result;
}

// ---------------------------------------------------------------------------------------
// Raw child: JSON lines in, JSON lines out.

export class RawServer {
  /** Starts the binary with args; stdout is split into lines and parsed as JSON. */
  constructor(args = serverArgs(), { env = serverEnv(), cwd = ROOT } = {}) {
    assertBinary();
    this.args = args;
    this.child = spawn(BIN, args, { cwd, env, stdio: ['pipe', 'pipe', 'pipe'] });
    this.lines = [];        // every stdout line, raw
    this.messages = [];     // every stdout line that parsed as JSON
    this.badLines = [];     // stdout lines that did not parse: stdout must be JSON-RPC only
    this.stderrText = '';
    this.nextId = 1;
    this.waiters = new Set();
    this.exitInfo = null;
    this.exited = new Promise((res) => {
      // 'close', not 'exit': it fires once stdout and stderr are drained too.
      this.child.on('close', (code, signal) => {
        this.exitInfo = { code, signal };
        res(this.exitInfo);
        for (const w of this.waiters) w.check();
      });
    });
    this.child.on('error', (e) => {
      this.stderrText += `\n[spawn error] ${e.message}`;
    });
    this.child.stdin.on('error', () => {}); // EPIPE after the child exits is expected in some tests
    this.child.stderr.on('data', (d) => {
      this.stderrText += d;
    });
    let buf = Buffer.alloc(0);
    this.child.stdout.on('data', (chunk) => {
      buf = Buffer.concat([buf, chunk]);
      let nl;
      while ((nl = buf.indexOf(0x0a)) >= 0) {
        const line = buf.subarray(0, nl).toString('utf8').replace(/\r$/, '');
        buf = buf.subarray(nl + 1);
        if (line.length === 0) continue;
        this.lines.push(line);
        try {
          this.messages.push(JSON.parse(line));
        } catch {
          this.badLines.push(line);
        }
        for (const w of this.waiters) w.check();
      }
    });
  }

  stderr() {
    return this.stderrText;
  }

  /** Writes one line (string or Buffer) followed by '\n'. */
  sendLine(line) {
    const data = Buffer.isBuffer(line) ? Buffer.concat([line, Buffer.from('\n')]) : Buffer.from(`${line}\n`, 'utf8');
    return new Promise((res, rej) => this.child.stdin.write(data, (e) => (e ? rej(e) : res())));
  }

  send(obj) {
    return this.sendLine(JSON.stringify(obj));
  }

  notify(method, params) {
    return this.send(params === undefined ? { jsonrpc: '2.0', method } : { jsonrpc: '2.0', method, params });
  }

  /** Sends a request and returns its id (the response is read with response(id)). */
  async sendRequest(method, params, id = this.nextId++) {
    const msg = { jsonrpc: '2.0', id, method };
    if (params !== undefined) msg.params = params;
    await this.send(msg);
    return id;
  }

  /** Sends a request and resolves with the whole response message ({result} or {error}). */
  async request(method, params, { id, timeout = 10000 } = {}) {
    const rid = await this.sendRequest(method, params, id ?? this.nextId++);
    return this.response(rid, { timeout });
  }

  /** Resolves with the response (result or error) whose id is id. */
  response(id, { timeout = 10000 } = {}) {
    return this.waitFor((m) => isResponse(m) && m.id === id, { timeout, what: `response to id ${JSON.stringify(id)}` });
  }

  /** Index of the next message to arrive; pass as `from` to waitFor to ignore older ones. */
  mark() {
    return this.messages.length;
  }

  /** Resolves with the first message at index >= from that satisfies pred. */
  waitFor(pred, { from = 0, timeout = 10000, what = 'a matching message' } = {}) {
    let i = from;
    return this._wait(() => {
      for (; i < this.messages.length; i++) if (pred(this.messages[i])) return { value: this.messages[i] };
      return null;
    }, timeout, what);
  }

  /** Resolves with the messages at index >= from that satisfy pred, once there are count of them. */
  waitForCount(pred, count, { from = 0, timeout = 10000, what = `${count} matching messages` } = {}) {
    let i = from;
    const hits = [];
    return this._wait(() => {
      for (; i < this.messages.length; i++) if (pred(this.messages[i])) hits.push(this.messages[i]);
      return hits.length >= count ? { value: hits } : null;
    }, timeout, what);
  }

  /** Runs test() now and on every new message until it returns {value}; rejects on exit or timeout. */
  _wait(test, timeout, what) {
    return new Promise((res, rej) => {
      const waiter = {
        check: () => {
          const hit = test();
          if (hit) {
            done();
            res(hit.value);
          } else if (this.exitInfo) {
            done();
            rej(new Error(`server exited (${JSON.stringify(this.exitInfo)}) before ${what}; stderr:\n${tail(this.stderrText)}`));
          }
        },
      };
      const timer = setTimeout(() => {
        done();
        rej(new Error(`timed out after ${timeout} ms waiting for ${what}; stdout so far:\n${this.lines.slice(-10).map((l) => l.slice(0, 300)).join('\n')}\n--- stderr ---\n${tail(this.stderrText)}`));
      }, timeout);
      const done = () => {
        clearTimeout(timer);
        this.waiters.delete(waiter);
      };
      this.waiters.add(waiter);
      waiter.check();
    });
  }

  /** Legacy handshake: initialize, then notifications/initialized. Returns the response. */
  async initialize(protocolVersion = '2025-11-25', capabilities = {}) {
    const res = await this.request('initialize', { protocolVersion, capabilities, clientInfo: CLIENT_INFO });
    if (res.result) await this.notify('notifications/initialized');
    return res;
  }

  /** Modern (2026-07-28) request: `_meta` envelope merged into params. */
  modern(method, params = {}, { meta = {}, capabilities = {}, timeout } = {}) {
    const p = { ...params, _meta: { ...modernMeta({}, capabilities), ...(params._meta || {}), ...meta } };
    return this.request(method, p, { timeout });
  }

  closeStdin() {
    this.child.stdin.end();
  }

  kill(signal = 'SIGTERM') {
    if (!this.exitInfo) this.child.kill(signal);
  }

  /** Resolves with {code, signal}, or null if the child has not exited within timeout ms. */
  async waitExit(timeout = 5000) {
    let timer;
    const r = await Promise.race([this.exited, new Promise((res) => { timer = setTimeout(() => res(null), timeout); })]);
    clearTimeout(timer);
    return r;
  }

  /** Ends stdin, then escalates to SIGTERM and SIGKILL: the child never outlives the test. */
  async close() {
    if (this.exitInfo) return;
    try {
      this.child.stdin.end();
    } catch {
      /* already closed */
    }
    if (await this.waitExit(3000)) return;
    this.child.kill('SIGTERM');
    if (await this.waitExit(3000)) return;
    this.child.kill('SIGKILL');
    await this.exited;
  }
}

export function isResponse(m) {
  return m && typeof m === 'object' && !Array.isArray(m) && 'id' in m && ('result' in m || 'error' in m) && !('method' in m);
}

// ---------------------------------------------------------------------------------------
// SDK clients.

/**
 * Records traffic without changing it: replaces transport.onmessage (set by the SDK on
 * connect) with a recorder that forwards, and wraps send() the same way.
 */
function tapTransport(transport, wire, sent) {
  const orig = transport.onmessage;
  transport.onmessage = (m, extra) => {
    wire.push(m);
    orig?.(m, extra);
  };
  const origSend = transport.send.bind(transport);
  transport.send = (m, opts) => {
    sent.push(m);
    return origSend(m, opts);
  };
}

/**
 * Connects an `@modelcontextprotocol/sdk` 1.32.2 Client over stdio. Returns
 * { client, transport, wire, sent, errors, stderr(), close() }; after the handshake `wire`
 * records every message the server sends and `sent` every message the client sends;
 * `errors` collects client.onerror.
 */
export async function legacyClient({ args = serverArgs(), capabilities = {}, env = serverEnv(), setup } = {}) {
  return connectClient(LegacyStdioTransport, new LegacyClient(CLIENT_INFO, { capabilities }), { args, env, setup });
}

/**
 * Connects an `@modelcontextprotocol/client` 2.4.0 Client over stdio. versionNegotiation
 * defaults to pinning 2026-07-28 (the stateless era).
 */
export async function modernClient({ args = serverArgs(), capabilities = {}, env = serverEnv(), versionNegotiation = { mode: { pin: MODERN_VERSION } }, setup } = {}) {
  return connectClient(ModernStdioTransport, new ModernClient(CLIENT_INFO, { capabilities, versionNegotiation }), { args, env, setup });
}

/** Spawns the server behind an SDK stdio transport, connects client, and taps the wire. */
async function connectClient(Transport, client, { args, env, setup }) {
  assertBinary();
  const transport = new Transport({ command: BIN, args, env, cwd: ROOT, stderr: 'pipe' });
  let stderr = '';
  transport.stderr.on('data', (d) => {
    stderr += d;
  });
  const errors = [];
  client.onerror = (e) => errors.push(e);
  if (setup) setup(client);
  const wire = [];
  const sent = [];
  const res = {
    client,
    transport,
    wire,
    sent,
    errors,
    stderr: () => stderr,
    close: async () => {
      await client.close().catch(() => {});
    },
  };
  try {
    await client.connect(transport);
  } catch (e) {
    await res.close();
    e.message += `\n--- server stderr (tail) ---\n${tail(stderr)}`;
    throw e;
  }
  tapTransport(transport, wire, sent);
  return res;
}

/**
 * Runs fn(s) with a connected client (the promise legacyClient/modernClient return); a
 * failure carries the tail of the server's stderr, and the server is always closed.
 */
export async function withServer(connecting, fn) {
  const s = await connecting;
  try {
    return await fn(s);
  } catch (e) {
    e.message += `\n--- server stderr (tail) ---\n${tail(s.stderr())}`;
    throw e;
  } finally {
    await s.close();
  }
}

/** Walks tools/list pages with a v1 client until nextCursor is absent. */
export async function listAllTools(client) {
  const tools = [];
  let cursor;
  for (let page = 0; page < 1000; page++) {
    const res = await client.listTools(cursor === undefined ? undefined : { cursor });
    tools.push(...res.tools);
    if (!res.nextCursor) return tools;
    cursor = res.nextCursor;
  }
  throw new Error('tools/list did not end after 1000 pages');
}

/** The text of a CallToolResult's text blocks, joined. */
export function resultText(result) {
  return (result.content || []).filter((c) => c.type === 'text').map((c) => c.text).join('\n');
}

/** A fresh temporary directory, removed by the returned cleanup. */
export function tempDir(prefix = 'ack-e2e-') {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}
