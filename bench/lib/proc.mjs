// Reading what the kernel knows about a process (Linux /proc): memory and CPU time.
import { readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';

const CLOCK_TICKS = 100; // USER_HZ on Linux

/** VmRSS (now) and VmHWM (peak resident set) in MB, or undefined once the process is gone. */
export function memoryOf(pid) {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (field) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
    return { rssMb: kb('VmRSS') / 1024, peakRssMb: kb('VmHWM') / 1024 };
  } catch {
    return undefined;
  }
}

/** User + system CPU seconds the process has used so far. */
export function cpuSecondsOf(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
  } catch {
    return NaN;
  }
}

/** Whole-machine CPU counters, to tell how busy both cores were during a phase. */
export function machineCpu() {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  const idle = line[3] + (line[4] ?? 0);
  const total = line.reduce((a, b) => a + b, 0);
  return { idle, total };
}

/** CPU seconds per pid of every process whose command name starts with `prefix`. */
function cpuByCommand(prefix) {
  const out = new Map();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (!readFileSync(`/proc/${entry}/comm`, 'utf8').startsWith(prefix)) continue;
    } catch {
      continue;
    }
    out.set(entry, cpuSecondsOf(entry));
  }
  return out;
}

/** CPU seconds used between two cpuByCommand snapshots (processes started in between count in full). */
function usedBetween(before, after) {
  let used = 0;
  for (const [pid, seconds] of after) if (Number.isFinite(seconds)) used += seconds - (before.get(pid) ?? 0);
  return used;
}

/**
 * A probe over one phase: CPU share of each watched pid (1.0 = one full core), of this
 * bench process, and how busy the machine was overall (1.0 = every core busy).
 */
export function startCpuProbe(pids) {
  const wallStart = performance.now();
  const machineStart = machineCpu();
  const selfStart = process.cpuUsage();
  const pidStart = Object.fromEntries(Object.entries(pids).map(([name, pid]) => [name, cpuSecondsOf(pid)]));
  const pgStart = cpuByCommand('postgres');
  const redisStart = cpuByCommand('redis-server');
  return () => {
    const wall = (performance.now() - wallStart) / 1000;
    const machineEnd = machineCpu();
    const self = process.cpuUsage(selfStart);
    const share = {};
    for (const [name, pid] of Object.entries(pids)) share[name] = (cpuSecondsOf(pid) - pidStart[name]) / wall;
    share.bench = (self.user + self.system) / 1e6 / wall;
    // Every postgres backend and redis-server on the machine (the shared dev instances).
    share.postgres = usedBetween(pgStart, cpuByCommand('postgres')) / wall;
    share.redis = usedBetween(redisStart, cpuByCommand('redis-server')) / wall;
    const total = machineEnd.total - machineStart.total;
    const cores = os.cpus().length;
    const busy = total > 0 ? 1 - (machineEnd.idle - machineStart.idle) / total : NaN;
    // What the machine did besides the processes above: other people's builds and tests.
    const known = Object.values(share).reduce((a, b) => a + b, 0);
    share.other = Math.max(0, busy * cores - known);
    return {
      seconds: Math.round(wall * 1000) / 1000,
      coresUsed: Object.fromEntries(Object.entries(share).map(([k, v]) => [k, Math.round(v * 100) / 100])),
      machineBusy: Math.round(busy * 100) / 100,
      cores,
    };
  };
}

/** "ingest 0.94 · redis 0.51 · bench 0.03 · other 0.40 cores; machine 93% busy" */
export function formatCpu(cpu) {
  const parts = Object.entries(cpu.coresUsed)
    .filter(([, v]) => v >= 0.01)
    .sort((a, b) => b[1] - a[1])
    .map(([k, v]) => `${k} ${v.toFixed(2)}`);
  return `cpu (cores): ${parts.join(' · ')}; machine ${Math.round(cpu.machineBusy * 100)}% busy of ${cpu.cores}`;
}
