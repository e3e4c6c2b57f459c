// The Alibaba Cloud API simulator (tests/sim/aliyun) for end-to-end tests.
//
//   const sim = await startAliyunSim({ stsLifetime, imdsV1, faults, extra });
//   new RawServer(serverArgs(sim.serverArgs(['--allow-write'])),
//                 { env: serverEnv({ ...sim.serverEnv(), ...sim.keyEnv() }) });
//
// sim.serverArgs() are the flags that point every product at the simulator
// (--endpoint cs=URL ... sts, arms, sls, cms and metadata, the ECS metadata service);
// sim.serverEnv() isolates the server from this machine: HOME is an empty directory (no
// ~/.alibabacloud/credentials or ~/.aliyun/config.json) and the metadata probe is off
// (ALIBABA_CLOUD_ECS_METADATA_DISABLED=true) unless { metadata: true } asks for it; it then
// goes to the simulator, never to 100.100.100.200. sim.keyEnv(key) sets
// ALIBABA_CLOUD_ACCESS_KEY_ID/_SECRET (default: the full-access key), sim.rrsaEnv() the
// RRSA variables. Control: fault(rule), clearFaults(), requests(filter), reset(),
// expireCredentials(), config(settings), assumeRoleWithOIDC() (STS credentials for a test),
// info (the ready line: endpoints, access_keys, sts, metadata, clusters, nodepools).
// aliyunSimFixture(opts) starts one for a describe block.
import { mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before } from 'node:test';

import { ROOT, startReadyProcess, stopReadyProcess } from './harness.js';

export const ALIYUN_SIM = join(ROOT, 'tests', 'sim', 'aliyun', 'server.py');
export const PRODUCTS = ['cs', 'sts', 'arms', 'sls', 'cms'];

class AliyunSim {
  constructor(child, ready, dir, stderr, exited) {
    this.child = child;
    this.info = ready;
    this.url = ready.url;
    this.endpoints = ready.endpoints;
    this.dir = dir;
    this.home = join(dir, 'home');
    mkdirSync(this.home, { recursive: true });
    this.stderr = stderr;
    this.exited = exited;
    const [full, readonly, disabled] = ready.access_keys;
    this.fullKey = full;
    this.readonlyKey = readonly;
    this.disabledKey = disabled;
  }

  /** Flags pointing every product and the metadata service at the simulator. */
  serverArgs(extra = []) {
    const args = [];
    for (const p of PRODUCTS) args.push('--endpoint', `${p}=${this.endpoints[p]}`);
    args.push('--endpoint', `metadata=${this.info.metadata.url}`);
    return [...args, ...extra];
  }

  /** Environment that keeps the developer's machine out: an empty HOME, no metadata probe. */
  serverEnv({ metadata = false } = {}) {
    const env = { HOME: this.home };
    if (!metadata) env.ALIBABA_CLOUD_ECS_METADATA_DISABLED = 'true';
    return env;
  }

  keyEnv(key = this.fullKey) {
    return { ALIBABA_CLOUD_ACCESS_KEY_ID: key.id, ALIBABA_CLOUD_ACCESS_KEY_SECRET: key.secret };
  }

  rrsaEnv(role = this.info.sts.role_arn) {
    return {
      ALIBABA_CLOUD_ROLE_ARN: role,
      ALIBABA_CLOUD_OIDC_PROVIDER_ARN: this.info.sts.oidc_provider_arn,
      ALIBABA_CLOUD_OIDC_TOKEN_FILE: this.info.sts.oidc_token_file,
    };
  }

  async call(method, path, body) {
    const r = await fetch(`${this.url}${path}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await r.text();
    if (!r.ok) throw new Error(`simulator ${method} ${path} answered ${r.status}: ${text}`);
    return text ? JSON.parse(text) : null;
  }

  fault(rule) { return this.call('POST', '/_sim/faults', rule); }
  clearFaults() { return this.call('DELETE', '/_sim/faults'); }
  reset() { return this.call('POST', '/_sim/reset', {}); }
  config(settings) { return this.call('POST', '/_sim/config', settings); }
  expireCredentials() { return this.call('POST', '/_sim/credentials/expire', {}); }
  clearRequests() { return this.call('DELETE', '/_sim/requests'); }

  /** The request log, optionally filtered: { product, action, scheme, method, class, since }. */
  async requests(filter = {}) {
    const q = new URLSearchParams(Object.entries(filter).map(([k, v]) => [k, String(v)]));
    const r = await this.call('GET', `/_sim/requests${q.size ? `?${q}` : ''}`);
    return Array.isArray(r) ? r : r.requests;
  }

  /** STS credentials from the simulator (AssumeRoleWithOIDC is unsigned): for STS-token tests. */
  async assumeRoleWithOIDC(role = this.info.sts.role_arn) {
    const token = readFileSync(this.info.sts.oidc_token_file, 'utf8').trim();
    const stamp = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    const q = new URLSearchParams({ Action: 'AssumeRoleWithOIDC', Format: 'JSON', Version: '2015-04-01', Timestamp: stamp });
    const form = new URLSearchParams({
      OIDCProviderArn: this.info.sts.oidc_provider_arn, OIDCToken: token, RoleArn: role,
      RoleSessionName: 'e2e-test', DurationSeconds: '3600',
    });
    const r = await fetch(`${this.endpoints.sts}/?${q}`, {
      method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: form.toString(),
    });
    const body = await r.json();
    if (!r.ok) throw new Error(`AssumeRoleWithOIDC answered ${r.status}: ${JSON.stringify(body)}`);
    return body.Credentials;
  }

  stop() {
    return stopReadyProcess(this.child, this.exited, this.dir);
  }
}

/** Starts the simulator on a free loopback port with a fresh state directory. */
export async function startAliyunSim({ stsLifetime, imdsV1 = false, faults = [], extra = [] } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'ack-aliyun-sim-'));
  const args = [ALIYUN_SIM, '--port', '0', '--state-dir', join(dir, 'state'), '--exit-on-stdin-eof', ...extra];
  if (stsLifetime) args.push('--sts-lifetime', String(stsLifetime));
  if (imdsV1) args.push('--imds-v1');
  for (const f of faults) args.push('--fault', typeof f === 'string' ? f : JSON.stringify(f));
  // stdin stays open (a pipe): the simulator exits when this process dies and closes it.
  const { child, ready, stderr, exited } = await startReadyProcess('Alibaba Cloud simulator', 'python3', args, { stdin: 'pipe' });
  return new AliyunSim(child, ready, dir, stderr, exited);
}

/** One simulator for a describe block (reset it between tests with sim.reset()). */
export function aliyunSimFixture(opts = {}) {
  const box = { sim: null };
  before(async () => {
    box.sim = await startAliyunSim(opts);
  });
  after(async () => {
    await box.sim?.stop();
  });
  return new Proxy({}, {
    get(_, key) {
      const v = box.sim[key];
      return typeof v === 'function' ? v.bind(box.sim) : v;
    },
  });
}
