// tests/e2e/lib/harness.js: starts the real ack-mcp-server binary for the e2e suite, either
// behind an official SDK client (v1 legacy or v2 modern) or as a raw child whose stdin and
// stdout the test reads and writes line by line. Every helper here owns the child it starts
// and kills it on close, so a failing test never leaves a server behind.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { createServer as createNetServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';

import WebSocket from 'ws';

import { Client as LegacyClient } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport as LegacyStdioTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { SSEClientTransport as LegacySSETransport } from '@modelcontextprotocol/sdk/client/sse.js';
import { StreamableHTTPClientTransport as LegacyStreamableTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { WebSocketClientTransport as LegacyWebSocketTransport } from '@modelcontextprotocol/sdk/client/websocket.js';
import { Client as ModernClient, StreamableHTTPClientTransport as ModernStreamableTransport } from '@modelcontextprotocol/client';
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

/** What both server wrappers share: a spawned child (this.child, this.exited, this.exitInfo). */
class ServerProcess {
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
}

export class RawServer extends ServerProcess {
  /** Starts the binary with args; stdout is split into lines and parsed as JSON. */
  constructor(args = serverArgs(), { env = serverEnv(), cwd = ROOT } = {}) {
    super();
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

// ---------------------------------------------------------------------------------------
// The HTTP listener (--transport http): a server on a free port, raw HTTP and SSE helpers,
// Prometheus text parsing, and SDK clients over Streamable HTTP, legacy SSE and WebSocket.

/** A TCP port that was free a moment ago (bind port 0, read it, close). */
export function freePort(host = '127.0.0.1') {
  return new Promise((res, rej) => {
    const srv = createNetServer();
    srv.unref();
    srv.on('error', rej);
    srv.listen(0, host, () => {
      const { port } = srv.address();
      srv.close(() => res(port));
    });
  });
}

/** The soft limit on open files of this process (children inherit it), or Infinity. */
export function fdLimit() {
  try {
    const out = execFileSync('sh', ['-c', 'ulimit -n'], { encoding: 'utf8' }).trim();
    return out === 'unlimited' ? Infinity : Number(out);
  } catch {
    return Infinity;
  }
}

/**
 * One HTTP request with node:http(s), nothing added: resolves with { status, headers, body }
 * (body as text). `agent: false` so every request has its own connection unless one is given.
 */
export function rawRequest(url, { method = 'GET', headers = {}, body, timeout = 10000, tls = {} } = {}) {
  const u = new URL(url);
  headers = withLength(headers, body);
  const mod = u.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((res, rej) => {
    const req = mod(u, { method, headers, agent: false, ...tls }, (r) => {
      const chunks = [];
      r.on('data', (d) => chunks.push(d));
      r.on('end', () => res({ status: r.statusCode, headers: r.headers, body: Buffer.concat(chunks).toString('utf8') }));
      r.on('error', rej);
    });
    req.setTimeout(timeout, () => req.destroy(new Error(`${method} ${url}: no answer within ${timeout} ms`)));
    req.on('error', rej);
    if (body !== undefined) req.write(body);
    req.end();
  });
}

/** Adds Content-Length for a body (as fetch does) unless the caller chose Transfer-Encoding. */
function withLength(headers, body) {
  if (body === undefined) return headers;
  const names = Object.keys(headers).map((k) => k.toLowerCase());
  if (names.includes('content-length') || names.includes('transfer-encoding')) return headers;
  return { ...headers, 'content-length': String(Buffer.byteLength(body)) };
}

/** The headers a legacy Streamable HTTP POST carries. */
export function postHeaders({ session, version, extra = {} } = {}) {
  const h = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };
  if (session) h['mcp-session-id'] = session;
  if (version) h['mcp-protocol-version'] = version;
  return { ...h, ...extra };
}

/** Parses `text/event-stream` text into events { id, event, data, retry, comment }. */
export function parseSSE(text) {
  const events = [];
  for (const block of text.replace(/\r\n/g, '\n').split('\n\n')) {
    if (!block.trim()) continue;
    const ev = { data: '' };
    const data = [];
    for (const line of block.split('\n')) {
      if (line.startsWith(':')) {
        ev.comment = (ev.comment ? `${ev.comment}\n` : '') + line.slice(1).trim();
        continue;
      }
      const i = line.indexOf(':');
      const field = i < 0 ? line : line.slice(0, i);
      const value = i < 0 ? '' : line.slice(i + 1).replace(/^ /, '');
      if (field === 'data') data.push(value);
      else if (field === 'id' || field === 'event' || field === 'retry') ev[field] = value;
    }
    ev.data = data.join('\n');
    if (data.length || ev.id !== undefined || ev.event !== undefined) events.push(ev);
    else if (ev.comment !== undefined) events.push(ev);
  }
  return events;
}

/**
 * An HTTP request whose response is read as it arrives (an SSE stream or a plain body).
 * Resolves once the response head is in: { status, headers, text(), events(), waitFor(pred),
 * ended (promise), destroy() }. events() parses complete SSE events received so far; each
 * with `json` set when data parses. onRequest(req) gets the ClientRequest at once.
 */
export function openStream(url, { method = 'GET', headers = {}, body, tls = {}, timeout = 10000, onRequest } = {}) {
  const u = new URL(url);
  headers = withLength(headers, body);
  const mod = u.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((res, rej) => {
    const req = mod(u, { method, headers, agent: false, ...tls }, (r) => {
      let text = '';
      const waiters = new Set();
      let endedFlag = false;
      const s = {
        status: r.statusCode,
        headers: r.headers,
        req,
        res: r,
        text: () => text,
        events: () => {
          const complete = text.slice(0, text.replace(/\r\n/g, '\n').lastIndexOf('\n\n') + 2);
          return parseSSE(complete).map((e) => {
            try {
              return { ...e, json: e.data ? JSON.parse(e.data) : undefined };
            } catch {
              return e;
            }
          });
        },
        get isEnded() {
          return endedFlag;
        },
        ended: null,
        /** Resolves with the first event satisfying pred (rejects on timeout, or if the stream ends first). */
        waitFor(pred, { timeout: t = 10000, what = 'an SSE event' } = {}) {
          return new Promise((ok, fail) => {
            const w = {
              check: () => {
                const hit = s.events().find(pred);
                if (hit) {
                  done();
                  ok(hit);
                } else if (endedFlag) {
                  done();
                  fail(new Error(`stream ended before ${what}; got:\n${text.slice(-2000)}`));
                }
              },
            };
            const timer = setTimeout(() => {
              done();
              fail(new Error(`timed out after ${t} ms waiting for ${what}; got:\n${text.slice(-2000)}`));
            }, t);
            const done = () => {
              clearTimeout(timer);
              waiters.delete(w);
            };
            waiters.add(w);
            w.check();
          });
        },
        destroy: () => {
          req.destroy();
          r.destroy();
        },
      };
      s.ended = new Promise((ok) => {
        const fin = () => {
          if (endedFlag) return;
          endedFlag = true;
          for (const w of [...waiters]) w.check();
          ok();
        };
        r.on('end', fin);
        r.on('close', fin);
        r.on('error', fin);
      });
      r.setEncoding('utf8');
      r.on('data', (d) => {
        text += d;
        for (const w of [...waiters]) w.check();
      });
      res(s);
    });
    onRequest?.(req); // lets a caller drop the connection before the response head comes
    req.setTimeout(timeout, () => req.destroy(new Error(`${method} ${url}: no response head within ${timeout} ms`)));
    req.on('response', () => req.setTimeout(0));
    req.on('error', rej);
    if (body !== undefined) req.write(body);
    req.end();
  });
}

/** Prometheus text → [{ name, labels, value }]. */
export function parseMetrics(text) {
  const out = [];
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/.exec(line);
    if (!m) continue;
    const labels = {};
    if (m[2]) for (const l of m[2].matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]] = l[2];
    out.push({ name: m[1], labels, value: Number(m[3]) });
  }
  return out;
}

/** The value of the sample named name whose labels include `labels`, or undefined. */
export function metricValue(samples, name, labels = {}) {
  const hit = samples.find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
  return hit ? hit.value : undefined;
}

/** Servers still running; killed when this process exits, even if a test never reached close(). */
const liveHttpServers = new Set();
process.on('exit', () => {
  for (const child of liveHttpServers) child.kill('SIGKILL');
});

/**
 * The server with its HTTP listener on a free port of 127.0.0.1: `--transport http --port P`
 * after args. Resolves once GET /healthz answers 200. Spawn failures while the binary is being
 * rebuilt (EACCES, ENOENT, ETXTBSY) and a port taken in between are retried.
 */
export class HttpServer extends ServerProcess {
  static async start(args = serverArgs(), { env = serverEnv(), transport = 'http', tls = null, host = '127.0.0.1', extra = [] } = {}) {
    assertBinary();
    let lastErr;
    for (let attempt = 0; attempt < 20; attempt++) {
      const port = await freePort(host);
      const srv = new HttpServer([...args, '--transport', transport, '--host', host, '--port', String(port), ...extra], { env, port, host, tls });
      try {
        await srv.waitReady();
        return srv;
      } catch (e) {
        lastErr = e;
        await srv.close();
        const retry = srv.spawnError || /cannot listen|address already in use/i.test(srv.stderr());
        if (!retry) throw e;
        await sleep(300);
      }
    }
    throw lastErr;
  }

  constructor(argv, { env, port, host, tls }) {
    super();
    this.argv = argv;
    this.port = port;
    this.host = host;
    this.tls = tls; // { ca } for https, or null
    this.scheme = tls ? 'https' : 'http';
    this.base = `${this.scheme}://${host}:${port}`;
    this.stderrText = '';
    this.exitInfo = null;
    this.spawnError = null;
    this.child = spawn(BIN, argv, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    liveHttpServers.add(this.child);
    this.exited = new Promise((res) => {
      this.child.on('close', (code, signal) => {
        liveHttpServers.delete(this.child);
        this.exitInfo = { code, signal };
        res(this.exitInfo);
      });
    });
    this.child.on('error', (e) => {
      this.spawnError = e;
      this.stderrText += `\n[spawn error] ${e.message}`;
      if (!this.exitInfo) {
        this.exitInfo = { code: null, signal: null, error: e.code };
      }
    });
    this.child.stdout.on('data', (d) => {
      this.stdoutText = (this.stdoutText || '') + d;
    });
    this.child.stderr.on('data', (d) => {
      this.stderrText += d;
    });
  }

  stderr() {
    return this.stderrText;
  }

  url(path = '/mcp') {
    return `${this.base}${path}`;
  }

  wsUrl(path = '/mcp') {
    return `${this.tls ? 'wss' : 'ws'}://${this.host}:${this.port}${path}`;
  }

  /** TLS options for node:http(s)/ws requests to this server. */
  tlsOptions() {
    return this.tls ? { ca: this.tls.ca } : {};
  }

  async waitReady(timeout = 10000) {
    const deadline = Date.now() + timeout;
    for (;;) {
      if (this.spawnError) throw this.spawnError;
      if (this.exitInfo) throw new Error(`server exited ${JSON.stringify(this.exitInfo)} before it listened; stderr:\n${tail(this.stderrText)}`);
      try {
        const r = await rawRequest(this.url('/healthz'), { timeout: 1000, tls: this.tlsOptions() });
        if (r.status === 200) return;
      } catch {
        /* not listening yet */
      }
      if (Date.now() > deadline) throw new Error(`server did not answer /healthz within ${timeout} ms; stderr:\n${tail(this.stderrText)}`);
      await sleep(50);
    }
  }

  /** A raw request to path on this server. */
  request(path, opts = {}) {
    return rawRequest(this.url(path), { ...opts, tls: { ...this.tlsOptions(), ...(opts.tls || {}) } });
  }

  /** GET /metrics, parsed. */
  async metrics() {
    const r = await this.request('/metrics');
    if (r.status !== 200) throw new Error(`/metrics answered ${r.status}: ${r.body}`);
    return parseMetrics(r.body);
  }

  /** A legacy Streamable HTTP session by hand: initialize + initialized. Returns { id, version, result }. */
  async initSession(protocolVersion = '2025-11-25', capabilities = {}) {
    const init = await this.request('/mcp', {
      method: 'POST',
      headers: postHeaders(),
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion, capabilities, clientInfo: CLIENT_INFO } }),
    });
    if (init.status !== 200) throw new Error(`initialize answered ${init.status}: ${init.body}`);
    const id = init.headers['mcp-session-id'];
    if (!id) throw new Error(`initialize carried no Mcp-Session-Id: ${JSON.stringify(init.headers)}`);
    const result = JSON.parse(init.body).result;
    const note = await this.request('/mcp', {
      method: 'POST',
      headers: postHeaders({ session: id, version: result.protocolVersion }),
      body: JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }),
    });
    if (note.status !== 202) throw new Error(`notifications/initialized answered ${note.status}: ${note.body}`);
    return { id, version: result.protocolVersion, result };
  }

  /** SIGTERM, then SIGKILL: the child never outlives the test. */
  async close() {
    if (this.exitInfo) return;
    this.child.kill('SIGTERM');
    if (await this.waitExit(8000)) return;
    this.child.kill('SIGKILL');
    await this.exited;
  }
}

/** A fetch that records each request's method, headers and the answer's status and type. */
export function recordingFetch(log) {
  return async (url, init = {}) => {
    const headers = Object.fromEntries(new Headers(init.headers || {}).entries());
    const entry = { url: String(url), method: init.method || 'GET', headers, body: typeof init.body === 'string' ? init.body : undefined };
    log.push(entry);
    const r = await fetch(url, init);
    entry.status = r.status;
    entry.contentType = r.headers.get('content-type');
    entry.sessionId = r.headers.get('mcp-session-id');
    return r;
  };
}

/**
 * An `@modelcontextprotocol/sdk` 1.32.2 Client connected to srv over `kind`: 'streamable'
 * (StreamableHTTPClientTransport at /mcp), 'sse' (SSEClientTransport at /sse) or 'ws'
 * (WebSocketClientTransport at /mcp). Returns { client, transport, wire, sent, errors,
 * fetches, stderr(), close() } like legacyClient; closing it leaves the server running.
 */
export async function legacyHttpClient(srv, kind, { capabilities = {}, setup, headers } = {}) {
  const fetches = [];
  let transport;
  if (kind === 'streamable') {
    transport = new LegacyStreamableTransport(new URL(srv.url('/mcp')), { fetch: recordingFetch(fetches), requestInit: headers ? { headers } : undefined });
  } else if (kind === 'sse') {
    transport = new LegacySSETransport(new URL(srv.url('/sse')), { fetch: recordingFetch(fetches), requestInit: headers ? { headers } : undefined });
  } else if (kind === 'ws') {
    transport = new LegacyWebSocketTransport(new URL(srv.wsUrl('/mcp')));
  } else {
    throw new Error(`unknown transport kind ${kind}`);
  }
  const client = new LegacyClient(CLIENT_INFO, { capabilities });
  return connectHttpClient(srv, client, transport, { setup, fetches });
}

/**
 * An `@modelcontextprotocol/client` 2.4.0 Client over its StreamableHTTPClientTransport,
 * pinned to 2026-07-28 unless versionNegotiation says otherwise.
 */
export async function modernHttpClient(srv, { capabilities = {}, setup, versionNegotiation = { mode: { pin: MODERN_VERSION } }, headers } = {}) {
  const fetches = [];
  const transport = new ModernStreamableTransport(new URL(srv.url('/mcp')), { fetch: recordingFetch(fetches), requestInit: headers ? { headers } : undefined });
  const client = new ModernClient(CLIENT_INFO, { capabilities, versionNegotiation });
  return connectHttpClient(srv, client, transport, { setup, fetches });
}

async function connectHttpClient(srv, client, transport, { setup, fetches }) {
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
    fetches,
    stderr: () => srv.stderr(),
    close: async () => {
      await client.close().catch(() => {});
    },
  };
  try {
    await client.connect(transport);
  } catch (e) {
    await res.close();
    e.message += `\n--- server stderr (tail) ---\n${tail(srv.stderr())}`;
    throw e;
  }
  tapTransport(transport, wire, sent);
  return res;
}

/** A self-signed certificate for localhost and 127.0.0.1, made with the openssl CLI. */
export function selfSignedCert(dir) {
  const cert = join(dir, 'cert.pem');
  const key = join(dir, 'key.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '2',
    '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1'], { stdio: 'pipe' });
  return { cert, key, ca: readFileSync(cert) };
}

/**
 * A `ws`-package WebSocket to srv's /mcp (subprotocol mcp unless told) that records every
 * frame in ws.frames ({ text, isBinary, json }); resolves once open, rejects with
 * e.statusCode when the upgrade is refused. ws.closed resolves with { code, reason }.
 */
export function openWs(srv, { protocols = 'mcp', headers = {}, ...opts } = {}) {
  const ws = new WebSocket(srv.wsUrl('/mcp'), protocols, { headers, ...srv.tlsOptions(), ...opts });
  const frames = [];
  ws.on('message', (data, isBinary) => {
    const text = data.toString('utf8');
    let json;
    try {
      json = JSON.parse(text);
    } catch {
      /* kept raw */
    }
    frames.push({ text, isBinary, json });
  });
  ws.frames = frames;
  ws.closed = new Promise((res) => ws.on('close', (code, reason) => res({ code, reason: reason.toString() })));
  ws.waitFrame = (pred, what = 'a frame') => eventually(() => frames.find(pred), { what });
  ws.sendJson = (m) => ws.send(JSON.stringify(m));
  return new Promise((res, rej) => {
    ws.once('open', () => res(ws));
    ws.once('unexpected-response', (req, r) => {
      const e = new Error(`upgrade refused with HTTP ${r.statusCode}`);
      e.statusCode = r.statusCode;
      e.headers = r.headers;
      rej(e);
      req.destroy();
    });
    ws.once('error', rej);
  });
}

/** initialize + notifications/initialized over a `ws` client. */
export async function wsInit(ws, protocolVersion = '2025-11-25') {
  ws.sendJson({ jsonrpc: '2.0', id: 'init', method: 'initialize', params: { protocolVersion, capabilities: {}, clientInfo: CLIENT_INFO } });
  const r = await ws.waitFrame((f) => f.json?.id === 'init', 'the initialize answer');
  ws.sendJson({ jsonrpc: '2.0', method: 'notifications/initialized' });
  return r.json;
}

/** promise's value, or `fallback` after ms; the timer is cleared either way (no lingering timers). */
export async function within(promise, ms, fallback = null) {
  let timer;
  try {
    return await Promise.race([promise, new Promise((res) => { timer = setTimeout(() => res(fallback), ms); })]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * One HttpServer for a describe block: started before its tests, closed (and checked for
 * sanitizer reports) after. Returns { srv, t }: srv forwards to the running server, and
 * t(name, fn) is a test whose failure carries the tail of the server's stderr.
 */
export function serverFixture(start, opts = { timeout: 30000 }) {
  const box = { server: null };
  before(async () => {
    box.server = await start();
  });
  after(async () => {
    await box.server?.close();
    if (box.server) assertNoSanitizerReport(box.server);
  });
  const srv = new Proxy({}, {
    get(_, key) {
      const v = box.server[key];
      return typeof v === 'function' ? v.bind(box.server) : v;
    },
  });
  const t = (name, fn) => test(name, opts, async () => {
    try {
      await fn();
    } catch (e) {
      e.message += `\n--- server stderr (tail) ---\n${tail(box.server.stderr())}`;
      throw e;
    }
  });
  return { srv, t };
}

/** tools/call through an SDK client (from legacyClient/modernClient). */
export function callTool(s, name, args = {}, opts) {
  return s.client.callTool({ name, arguments: args }, undefined, opts);
}

/** Asserts a CallToolResult succeeded; returns it. */
export function toolOk(res) {
  if (res.isError) throw new Error(`tool failed: ${resultText(res)}`);
  return res;
}

/** Asserts a CallToolResult is an error whose text matches re (when given); returns it. */
export function toolFailed(res, re) {
  if (res.isError !== true) throw new Error(`expected an error, got: ${resultText(res).slice(0, 400)}`);
  if (re && !re.test(resultText(res))) throw new Error(`error ${JSON.stringify(resultText(res).slice(0, 400))} does not match ${re}`);
  return res;
}

/**
 * Spawns a helper process that prints one JSON line when it is ready (the simulators) and
 * resolves with { child, ready, stderr(), exited } once that line arrives; rejects, with its
 * stderr, if it exits first or says nothing within 30 s. Later stdout is drained unread.
 */
export function startReadyProcess(label, command, args, { stdin = 'ignore' } = {}) {
  const child = spawn(command, args, { stdio: [stdin, 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stderr.on('data', (d) => {
    err += d;
  });
  const exited = new Promise((r) => child.once('exit', r));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${label} did not start in 30 s:\n${err}`));
    }, 30000);
    const early = (code) => {
      clearTimeout(timer);
      reject(new Error(`${label} exited (${code}) before it was ready:\n${err}`));
    };
    child.once('exit', early);
    const onData = (d) => {
      out += d;
      const nl = out.indexOf('\n');
      if (nl < 0) return;
      clearTimeout(timer);
      child.removeListener('exit', early);
      child.stdout.removeListener('data', onData);
      child.stdout.resume();
      resolve({ child, ready: JSON.parse(out.slice(0, nl)), stderr: () => err, exited });
    };
    child.stdout.on('data', onData);
  });
}

/** Stops what startReadyProcess started (SIGTERM, SIGKILL after 3 s) and removes dir. */
export async function stopReadyProcess(child, exited, dir) {
  if (child.exitCode === null) child.kill('SIGTERM');
  await Promise.race([exited, new Promise((r) => setTimeout(r, 3000))]);
  if (child.exitCode === null) child.kill('SIGKILL');
  if (dir) rmSync(dir, { recursive: true, force: true });
}
