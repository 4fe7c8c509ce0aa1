/**
 * The bench still works: `node bench/run.mjs --smoke` (every section and every ceiling, a few
 * seconds each, against the real Postgres and Redis with the built services) exits 0 and
 * writes a report in which every ratio and limit is a finite number. The targets are not
 * judged here — a smoke run is too short, and the machine running the tests is busy.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

jest.setTimeout(180_000);

const ROOT = path.resolve(__dirname, '../..');
const RATIO_KEYS = ['ingestSingle', 'ingestSingleVsAdd', 'ingestBatch', 'deliverySmtp', 'deliveryNoop'];
const LIMIT_KEYS = ['latencyP99Ms', 'rssIngestMb', 'rssWorkerMb'];

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'mc-bench-smoke-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function runBench(out: string): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(ROOT, 'bench/run.mjs'), '--smoke'], {
      cwd: ROOT,
      env: { ...process.env, BENCH_OUT: out, BENCH_STRICT: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code, output }));
  });
}

test('npm run bench -- --smoke measures every ratio and limit and writes them', async () => {
  const out = path.join(dir, 'latest.json');
  const { code, output } = await runBench(out);
  if (code !== 0) throw new Error(`bench --smoke exited ${code}:\n${output.slice(-4000)}`);
  expect(output).toMatch(/ratios\s+ingest single POST vs no-op Fastify route/);

  const report = JSON.parse(readFileSync(out, 'utf8'));
  expect(Object.keys(report.ratios).sort()).toEqual([...RATIO_KEYS].sort());
  expect(Object.keys(report.limits).sort()).toEqual([...LIMIT_KEYS].sort());
  for (const key of RATIO_KEYS) {
    const r = report.ratios[key];
    for (const field of ['value', 'ceiling', 'ratio', 'target']) expect(Number.isFinite(r[field])).toBe(true);
    expect(r.value).toBeGreaterThan(0);
    expect(r.ceiling).toBeGreaterThan(0);
    expect(r.ratio).toBeCloseTo(r.value / r.ceiling, 2);
    expect(r.pass).toBe(r.ratio >= r.target);
  }
  for (const key of LIMIT_KEYS) {
    const l = report.limits[key];
    expect(Number.isFinite(l.value)).toBe(true);
    expect(l.value).toBeGreaterThan(0);
    expect(l.pass).toBe(l.value <= l.target);
  }
  // The contract floor ran, as a process of its own, with and without an SMTP send.
  for (const floor of [report.details.contractFloor.noop, report.details.contractFloor.smtp]) {
    expect(floor.jobs).toBeGreaterThan(0);
    expect(floor.jobsPerSecond).toBeGreaterThan(0);
  }
  expect(report.errors).toEqual([]);
});
