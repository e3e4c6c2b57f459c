// The Kubernetes API simulator (tests/sim/k8s) for end-to-end tests: startK8sSim() runs it
// on a free loopback port with a fresh state directory and resolves with its ready line
// ({server, kubeconfig, ca, token, ...}) plus stop(). k8sArgs(sim) are the server flags
// that point ack-mcp-server at it; k8sServerFixture gives a describe block both.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before } from 'node:test';

import { legacyClient, ROOT, serverArgs } from './harness.js';

export const K8S_SIM = join(ROOT, 'tests', 'sim', 'k8s', 'server.py');

export function startK8sSim({ pods = 0, latencyMs = 0, extra = [] } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'ack-k8s-sim-'));
  const args = [K8S_SIM, '--port', '0', '--state-dir', dir, ...extra];
  if (pods) args.push('--pods', String(pods));
  if (latencyMs) args.push('--latency-ms', String(latencyMs));
  const child = spawn('python3', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stderr.on('data', (d) => {
    err += d;
  });
  const exited = new Promise((r) => child.once('exit', r));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`k8s simulator did not start in 30 s:\n${err}`));
    }, 30000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`k8s simulator exited (${code}) before it was ready:\n${err}`));
    });
    child.stdout.on('data', (d) => {
      out += d;
      const nl = out.indexOf('\n');
      if (nl < 0) return;
      clearTimeout(timer);
      child.removeAllListeners('exit');
      const ready = JSON.parse(out.slice(0, nl));
      resolve({
        ...ready,
        dir,
        stderr: () => err,
        async stop() {
          if (child.exitCode === null) child.kill('SIGTERM');
          await Promise.race([exited, new Promise((r) => setTimeout(r, 3000))]);
          if (child.exitCode === null) child.kill('SIGKILL');
          rmSync(dir, { recursive: true, force: true });
        },
      });
    });
  });
}

/** Flags that make the server use the simulator's kubeconfig. */
export function k8sArgs(sim, extra = []) {
  return ['--kubeconfig-mode', 'LOCAL', '--kubeconfig-path', sim.kubeconfig, ...extra];
}

/**
 * For a describe block: a simulator (startK8sSim options in `sim`) and a server on it over
 * stdio (extra flags in `args`), started before its tests and stopped after; set(sim, s)
 * hands both to the block.
 */
export function k8sServerFixture({ sim: simOpts = {}, args = [] } = {}, set) {
  let sim;
  let s;
  before(async () => {
    sim = await startK8sSim(simOpts);
    s = await legacyClient({ args: serverArgs(k8sArgs(sim, args)) });
    set(sim, s);
  });
  after(async () => {
    await s?.close();
    await sim?.stop();
  });
}
