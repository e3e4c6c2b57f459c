// The Kubernetes API simulator (tests/sim/k8s) for end-to-end tests: startK8sSim() runs it
// on a free loopback port with a fresh state directory and resolves with its ready line
// ({server, kubeconfig, ca, token, ...}) plus stop(). k8sArgs(sim) are the server flags
// that point ack-mcp-server at it; k8sServerFixture gives a describe block both.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before } from 'node:test';

import { legacyClient, ROOT, serverArgs, startReadyProcess, stopReadyProcess } from './harness.js';

export const K8S_SIM = join(ROOT, 'tests', 'sim', 'k8s', 'server.py');

export async function startK8sSim({ pods = 0, latencyMs = 0, extra = [] } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'ack-k8s-sim-'));
  const args = [K8S_SIM, '--port', '0', '--state-dir', dir, ...extra];
  if (pods) args.push('--pods', String(pods));
  if (latencyMs) args.push('--latency-ms', String(latencyMs));
  const { child, ready, stderr, exited } = await startReadyProcess('k8s simulator', 'python3', args);
  return {
    ...ready,
    dir,
    stderr,
    stop: () => stopReadyProcess(child, exited, dir),
  };
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
