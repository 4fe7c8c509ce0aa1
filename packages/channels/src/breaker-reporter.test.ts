import { createWorkerMetrics } from '@mc/observability';
import { createBreakerReporter } from './breaker-reporter';

describe('createBreakerReporter', () => {
  it('logs each change once and keeps the state gauge and change counter', async () => {
    const metrics = createWorkerMetrics();
    const lines: [string, string, object][] = [];
    const logger = {
      warn: (obj: object, msg: string) => lines.push(['warn', msg, obj]),
      info: (obj: object, msg: string) => lines.push(['info', msg, obj]),
    };
    const report = createBreakerReporter({ logger, metrics });
    const breaker = 'smtp:relay:587';
    report({ breaker, provider: breaker, state: 'open', change: 'opened', error: 'connect ECONNREFUSED' });
    report({ breaker, provider: breaker, state: 'open' }); // seen from another replica's change: gauge only
    report({ breaker, provider: breaker, state: 'half-open', change: 'probing' });
    report({ breaker, provider: breaker, state: 'closed', change: 'closed' });

    expect(lines.map(([level, msg]) => [level, msg])).toEqual([
      ['warn', 'circuit breaker opened: sends are held until a probe succeeds'],
      ['info', 'circuit breaker half-open: probing with one send'],
      ['info', 'circuit breaker closed: sending again'],
    ]);
    expect(lines[0]![2]).toEqual({ breaker, provider: breaker, state: 'open', error: 'connect ECONNREFUSED' });
    const text = await metrics.registry.metrics();
    expect(text).toContain(`mc_breaker_state{breaker="${breaker}"} 0`);
    expect(text).toContain(`mc_breaker_changes_total{breaker="${breaker}",change="opened"} 1`);
    expect(text).toContain(`mc_breaker_changes_total{breaker="${breaker}",change="closed"} 1`);
  });
});
