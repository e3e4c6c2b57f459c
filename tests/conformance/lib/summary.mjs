// tests/conformance/lib/summary.mjs: one table of every scenario of every pass, judged against
// baseline.yml the way the suite judges it (a WARNING counts as a failure once a baseline is
// used). Usage: node lib/summary.mjs BASELINE RESULTS_DIR PASS... (PASS = a folder under
// RESULTS_DIR holding the suite's server-<scenario>-<timestamp>/checks.json files).
import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';

const [baselineFile, resultsDir, ...passes] = process.argv.slice(2);
const entries = (parse(fs.readFileSync(baselineFile, 'utf8'))?.server ?? []).map(String);
const whole = new Set(entries.filter((e) => !e.includes(':')));
const perCheck = new Map();
for (const e of entries.filter((e) => e.includes(':'))) {
  const [s, c] = [e.slice(0, e.indexOf(':')), e.slice(e.indexOf(':') + 1)];
  if (!perCheck.has(s)) perCheck.set(s, new Set());
  perCheck.get(s).add(c);
}
const bad = (c) => c.status === 'FAILURE' || c.status === 'WARNING';

// verdict of one scenario run: pass | expected | FAIL | STALE
function judge(scenario, checks) {
  const failing = checks.filter(bad);
  if (whole.has(scenario)) return failing.length ? ['expected', failing] : ['STALE', []];
  const excused = perCheck.get(scenario) ?? new Set();
  const unexcused = failing.filter((c) => !excused.has(c.id));
  if (unexcused.length) return ['FAIL', unexcused];
  const stale = [...excused].some((id) => checks.some((c) => c.id === id && c.status === 'SUCCESS'));
  if (stale) return ['STALE', []];
  return [failing.length ? 'expected' : 'pass', failing];
}

const rows = new Map();   // scenario -> { pass -> [verdict, checks] }
const counts = {};
for (const pass of passes) {
  const dir = path.join(resultsDir, pass);
  counts[pass] = { pass: 0, expected: 0, FAIL: 0, STALE: 0 };
  if (!fs.existsSync(dir)) continue;
  for (const d of fs.readdirSync(dir).sort()) {
    const f = path.join(dir, d, 'checks.json');
    if (!fs.existsSync(f)) continue;
    const scenario = d.replace(/^server-/, '').replace(/-\d{4}-\d\d-\d\dT[\d-]+Z$/, '');
    const [verdict, checks] = judge(scenario, JSON.parse(fs.readFileSync(f, 'utf8')));
    if (!rows.has(scenario)) rows.set(scenario, {});
    rows.get(scenario)[pass] = [verdict, checks];
    counts[pass][verdict]++;
  }
}

const w = Math.max(...[...rows.keys()].map((s) => s.length), 8);
const col = (s) => s.padEnd(16);
console.log(`\n${'scenario'.padEnd(w)}  ${passes.map(col).join('')}`);
const problems = [];
for (const [scenario, byPass] of [...rows].sort(([a], [b]) => a.localeCompare(b))) {
  console.log(`${scenario.padEnd(w)}  ${passes.map((p) => col(byPass[p]?.[0] ?? '-')).join('')}`);
  for (const p of passes) {
    const [verdict, checks] = byPass[p] ?? [];
    if (verdict === 'FAIL') for (const c of checks) problems.push(`${p} ${scenario} :: ${c.id} [${c.status}] ${(c.errorMessage ?? '').slice(0, 300)}`);
    if (verdict === 'STALE') problems.push(`${p} ${scenario}: passes but is listed in baseline.yml (remove the entry)`);
  }
}
console.log('');
for (const p of passes) {
  const c = counts[p];
  console.log(`${p}: ${c.pass} passed, ${c.expected} expected failures (baseline.yml), ${c.FAIL} unexpected failures${c.STALE ? `, ${c.STALE} stale baseline entries` : ''}`);
}
if (problems.length) {
  console.log('\nUnexpected:');
  for (const p of problems) console.log(`  ${p}`);
}
process.exit(problems.length ? 1 : 0);
