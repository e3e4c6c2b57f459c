// bench/k8s/lib/contenders.mjs: the three ways the bench reaches the cluster. A direct GET on a
// persistent keep-alive HTTPS connection (the floor), one `kubectl` process per call (what an
// agent without an MCP server runs), and an MCP server over stdio behind the official SDK
// client (ours and the peers). Each `call(op)` resolves with {ok, bytes, error} where bytes is
// what the model would receive: the response body, kubectl's stdout, or the text content of
// the tool result. Owner: bench-k8s.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { Agent, request } from 'node:https';
import { performance } from 'node:perf_hooks';

import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';

import { forget, rssKb, track } from './procs.mjs';

const CALL_TIMEOUT_MS = 120000;
/** The SDK's stdio client refuses messages over 10 MiB by default; the bench lifts that to
 * measure the peers' huge answers and the report flags any result over the default. */
const SAMPLE_CHARS = 200000; // of kubectl's stdout, kept for the sample file
export const SDK_DEFAULT_MAX_MESSAGE = 10 * 1024 * 1024;

/** The floor: requests on one keep-alive TLS connection with the kubeconfig's client certificate. */
export function directClient(sim) {
  const agent = new Agent({
    keepAlive: true,
    maxSockets: 1,
    ca: readFileSync(sim.ca),
    cert: readFileSync(sim.clientCert),
    key: readFileSync(sim.clientKey),
  });
  const base = new URL(sim.server);
  const get = (path, { method = 'GET', accept = 'application/json' } = {}) => new Promise((resolve) => {
    const req = request({
      host: base.hostname, port: base.port, path, method, agent,
      headers: { Accept: accept }, timeout: CALL_TIMEOUT_MS,
    }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        const body = Buffer.concat(chunks);
        if (res.statusCode === 200) resolve({ ok: true, bytes: body.length, body });
        else resolve({ ok: false, bytes: body.length, error: `HTTP ${res.statusCode}: ${body.toString().slice(0, 200)}` });
      });
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (e) => resolve({ ok: false, bytes: 0, error: e.message }));
    req.end();
  });
  return { get, close: () => agent.destroy() };
}

function runProcess(cmd, args, env) {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    track(child.pid);
    let bytes = 0;
    let head = '';
    let stderr = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), CALL_TIMEOUT_MS);
    child.stdout.on('data', (d) => {
      bytes += d.length;
      if (head.length < SAMPLE_CHARS) head += d.toString('utf8', 0, Math.min(d.length, SAMPLE_CHARS));
    });
    child.stderr.on('data', (d) => { stderr = (stderr + d).slice(-2000); });
    child.on('error', (e) => { clearTimeout(timer); forget(child.pid); resolve({ ok: false, bytes, error: e.message, stderr }); });
    child.on('close', (code, sig) => {
      clearTimeout(timer);
      forget(child.pid);
      if (code === 0) resolve({ ok: true, bytes, text: head, stderr });
      else resolve({ ok: false, bytes, error: `exit ${code ?? sig}: ${stderr.trim().slice(0, 300)}`, stderr });
    });
  });
}

/** One kubectl process per call, with its own HOME (so its discovery cache starts empty). */
export function kubectlClient(kubeconfig, home) {
  const env = { PATH: process.env.PATH, HOME: home, KUBECONFIG: kubeconfig };
  return {
    run: (args) => runProcess('kubectl', args, env),
    /** The same run under /usr/bin/time, with its peak RSS (null when that is missing). */
    async runMeasured(args) {
      if (!existsSync('/usr/bin/time')) return runProcess('kubectl', args, env);
      const r = await runProcess('/usr/bin/time', ['-f', 'maxrss=%M', 'kubectl', ...args], env);
      const all = [...(r.stderr || '').matchAll(/maxrss=(\d+)/g)];
      return { ...r, peakRssKb: all.length ? Number(all[all.length - 1][1]) : null };
    },
  };
}

/**
 * Spawns an MCP server over stdio and answers its initialize through the SDK client.
 * Resolves with {client, pid, coldMs, tools, stderrTail(), rssKb(), close()}; rejects with the
 * server's stderr when it does not start.
 */
export async function startMcp({ command, args, env, cwd }) {
  const transport = new StdioClientTransport({ command, args, env, cwd, stderr: 'pipe', maxBufferSize: 1 << 30 });
  let stderr = '';
  transport.stderr?.on('data', (d) => { stderr = (stderr + d).slice(-16000); });
  const client = new Client({ name: 'ack-bench-k8s', version: '0.0.0' });
  const t0 = performance.now();
  try {
    await client.connect(transport, { timeout: 60000 });
  } catch (e) {
    const pid = transport.pid;
    await transport.close().catch(() => {});
    if (pid) forget(pid);
    throw new Error(`${e.message}${stderr ? `; stderr: ${stderr.trim().slice(-600)}` : ''}`);
  }
  const coldMs = performance.now() - t0;
  const pid = transport.pid;
  track(pid);
  const tools = new Set((await client.listTools(undefined, { timeout: 60000 })).tools.map((t) => t.name));
  return {
    client, pid, coldMs, tools,
    stderrTail: (n = 16000) => stderr.trim().slice(-n),
    rssKb: () => rssKb(pid),
    async call(name, args) {
      try {
        const r = await client.callTool({ name, arguments: args }, undefined, { timeout: CALL_TIMEOUT_MS });
        let bytes = 0;
        let text = '';
        for (const c of r.content || []) {
          if (c.type === 'text') { bytes += Buffer.byteLength(c.text); text += c.text; }
        }
        if (r.isError) return { ok: false, bytes, error: `isError: ${text.slice(0, 300)}` };
        return { ok: true, bytes, text };
      } catch (e) {
        return { ok: false, bytes: 0, error: e.message };
      }
    },
    async close() {
      await client.close().catch(() => {});
      forget(pid);
    },
  };
}
