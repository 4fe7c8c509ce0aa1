/**
 * BullMQ's Prometheus text for every queue the system runs, appended to prom-client's output
 * on the ingest's /metrics. Each Queue.exportPrometheusMetrics() call writes its own
 * `# HELP`/`# TYPE` lines, and a scrape with two HELP lines for one metric name is rejected
 * whole, so the per-queue texts are merged into one family each.
 */
import type { Queue } from 'bullmq';

/** Merges Prometheus text blocks: one HELP/TYPE per metric family, its samples together. */
export function mergePrometheusText(blocks: readonly string[]): string {
  const families = new Map<string, { help?: string; type?: string; samples: string[] }>();
  const family = (name: string) => {
    let entry = families.get(name);
    if (!entry) families.set(name, (entry = { samples: [] }));
    return entry;
  };
  for (const block of blocks) {
    for (const line of block.split('\n')) {
      if (line.trim() === '') continue;
      const meta = /^# (HELP|TYPE) (\S+)/.exec(line);
      if (meta) {
        const entry = family(meta[2]!);
        if (meta[1] === 'HELP') entry.help ??= line;
        else entry.type ??= line;
      } else if (!line.startsWith('#')) {
        family(/^[^{\s]+/.exec(line)![0]).samples.push(line);
      }
    }
  }
  const lines: string[] = [];
  for (const { help, type, samples } of families.values()) {
    if (help) lines.push(help);
    if (type) lines.push(type);
    lines.push(...samples);
  }
  return lines.length ? `${lines.join('\n')}\n` : '';
}

/** `bullmq_job_count{queue,state}`, `bullmq_job_completed_total`, `bullmq_job_failed_total` of each queue. */
export async function exportQueueMetrics(queues: readonly Queue[]): Promise<string> {
  return mergePrometheusText(await Promise.all(queues.map((queue) => queue.exportPrometheusMetrics())));
}
