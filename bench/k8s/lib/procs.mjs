// bench/k8s/lib/procs.mjs: the child processes of the Kubernetes bench (the API simulator and the
// MCP servers). Every pid is recorded here, and in the pid file the runner reads, so a normal
// end, an error, Ctrl-C or SIGTERM all leave nothing behind. Owner: bench-k8s.
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { createInterface } from 'node:readline';

const live = new Set();
const pidFile = process.env.BENCH_K8S_PID_FILE || null;

// The pid file always holds the live set, so the runner never kills a pid that was reused.
function sync() {
  if (pidFile) writeFileSync(pidFile, [...live].map((p) => `${p}\n`).join(''));
}

/** Records a child pid (and in the runner's pid file, if any) until forget(). */
export function track(pid) {
  if (!pid) return;
  live.add(pid);
  sync();
}

export function forget(pid) {
  if (live.delete(pid)) sync();
}

/** SIGKILLs everything still recorded: the last resort on exit. */
export function killAll() {
  for (const pid of live) {
    try { process.kill(pid, 'SIGKILL'); } catch { /* already gone */ }
  }
  live.clear();
  sync();
}

let hooked = false;
/** Kills every child on exit and on SIGINT/SIGTERM/SIGHUP (then exits 130/143/129). */
export function installCleanup() {
  if (hooked) return;
  hooked = true;
  process.on('exit', killAll);
  for (const [sig, code] of [['SIGINT', 130], ['SIGTERM', 143], ['SIGHUP', 129]]) {
    process.on(sig, () => {
      process.stderr.write(`\nbench-k8s: ${sig}, stopping every child\n`);
      killAll();
      process.exit(code);
    });
  }
}

/** VmRSS of a live process in kB, or null when it is gone. */
export function rssKb(pid) {
  try {
    const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : null;
  } catch {
    return null;
  }
}

/**
 * Starts tests/sim/k8s/server.py and resolves with its ready line (plus `stop()`), or rejects
 * with its stderr when it exits or stays silent for 60 s.
 */
export function startSimulator(script, stateDir, pods) {
  const args = [script, '--port', '0', '--state-dir', stateDir];
  if (pods > 0) args.push('--pods', String(pods));
  const child = spawn('python3', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  track(child.pid);
  let stderr = '';
  child.stderr.on('data', (d) => { stderr = (stderr + d).slice(-4000); });
  const stop = () => new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) { forget(child.pid); resolve(); return; }
    const hard = setTimeout(() => child.kill('SIGKILL'), 5000);
    child.once('exit', () => { clearTimeout(hard); forget(child.pid); resolve(); });
    child.kill('SIGTERM');
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => { stop(); reject(new Error(`simulator not ready after 60 s: ${stderr}`)); }, 60000);
    child.once('exit', (code, sig) => {
      clearTimeout(timer);
      forget(child.pid);
      reject(new Error(`simulator exited (${code ?? sig}) before it was ready: ${stderr}`));
    });
    createInterface({ input: child.stdout }).once('line', (line) => {
      clearTimeout(timer);
      child.removeAllListeners('exit');
      child.once('exit', () => forget(child.pid));
      try {
        resolve({ ...JSON.parse(line), stop });
      } catch (e) {
        stop();
        reject(new Error(`simulator ready line is not JSON (${e.message}): ${line}`));
      }
    });
  });
}
