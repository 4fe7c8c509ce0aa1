import { useQuery } from '@tanstack/react-query';
import { get, type QueueLane } from '../api';
import { ErrorBox, Loading, isNotFound } from '../ui';

const STATES = ['waiting', 'active', 'delayed', 'completed', 'failed', 'paused'] as const;

export function QueuesScreen() {
  const queues = useQuery({
    queryKey: ['queues'],
    queryFn: () => get<{ lanes: QueueLane[]; dashboard: string }>('/v1/queues'),
    refetchInterval: 5000,
  });
  return (
    <section aria-labelledby="queues-title">
      <h1 id="queues-title">Queues</h1>
      <p>
        Jobs per lane and state, refreshed every 5 seconds. Individual jobs: the <a href={queues.data?.dashboard ?? '/admin/queues'}>queue dashboard</a> (it asks for the admin key itself).
      </p>
      {queues.isPending ? (
        <Loading what="queue counts" />
      ) : isNotFound(queues.error) ? (
        <p className="muted">This service does not report queue counts (GET /v1/queues); use the dashboard.</p>
      ) : queues.error ? (
        <ErrorBox error={queues.error} what="Could not load queue counts" />
      ) : (
        <div className="table-wrap" tabIndex={0}>
          <table>
            <thead>
              <tr>
                <th scope="col">Lane</th>
                <th scope="col">Queue</th>
                {STATES.map((s) => (
                  <th scope="col" key={s} className="num">
                    {s}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {queues.data!.lanes.map((lane) => (
                <tr key={lane.lane}>
                  <td>{lane.lane}</td>
                  <td>
                    <code>{lane.queue}</code>
                  </td>
                  {STATES.map((s) => (
                    <td key={s} className="num">
                      {lane.counts[s]}
                    </td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
