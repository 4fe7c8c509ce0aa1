import { mergePrometheusText } from './queue-metrics';

// What BullMQ 6's Queue.exportPrometheusMetrics() writes for one queue (no trailing newline).
const bullmq = (queue: string, waiting: number) =>
  [
    '# HELP bullmq_job_count Number of jobs in the queue by state',
    '# TYPE bullmq_job_count gauge',
    `bullmq_job_count{queue="${queue}", state="waiting"} ${waiting}`,
    `bullmq_job_count{queue="${queue}", state="delayed"} 0`,
    '# HELP bullmq_job_completed_total Total number of completed jobs',
    '# TYPE bullmq_job_completed_total counter',
    `bullmq_job_completed_total{queue="${queue}"} 7`,
  ].join('\n');

test('two queues make one family per metric name, with every sample, ending in a newline', () => {
  const text = mergePrometheusText([bullmq('events-realtime', 3), bullmq('events-batch', 5)]);
  expect(text.split('\n')).toEqual([
    '# HELP bullmq_job_count Number of jobs in the queue by state',
    '# TYPE bullmq_job_count gauge',
    'bullmq_job_count{queue="events-realtime", state="waiting"} 3',
    'bullmq_job_count{queue="events-realtime", state="delayed"} 0',
    'bullmq_job_count{queue="events-batch", state="waiting"} 5',
    'bullmq_job_count{queue="events-batch", state="delayed"} 0',
    '# HELP bullmq_job_completed_total Total number of completed jobs',
    '# TYPE bullmq_job_completed_total counter',
    'bullmq_job_completed_total{queue="events-realtime"} 7',
    'bullmq_job_completed_total{queue="events-batch"} 7',
    '',
  ]);
  expect(text.match(/^# HELP bullmq_job_count /gm)).toHaveLength(1);
});

test('nothing in, nothing out', () => {
  expect(mergePrometheusText([])).toBe('');
  expect(mergePrometheusText(['', '\n'])).toBe('');
});
