import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api, get, type Attempt, type EventDetail, type SentMessage } from '../api';
import { Async, Badge, ErrorBox, Link, Loading, isNotFound, when } from '../ui';

const RETRYABLE = new Set(['routingFailed', 'deliveryFailed', 'targetingFailed']);

export function EventScreen({ id }: { id: string }) {
  const client = useQueryClient();
  const event = useQuery({ queryKey: ['event', id], queryFn: () => get<EventDetail>(`/v1/events/${encodeURIComponent(id)}`) });
  const retry = useMutation({
    mutationFn: () => api('POST', `/v1/events/${encodeURIComponent(id)}/retry`),
    onSuccess: () => client.invalidateQueries({ queryKey: ['event', id] }),
  });
  return (
    <section aria-labelledby="event-title">
      <p className="crumbs">
        <Link to="events">← Events</Link>
      </p>
      <h1 id="event-title">Event {id}</h1>
      <Async query={event} what="the event">
        {(e) => (
          <>
            <dl className="meta">
              <dt>Type</dt>
              <dd>
                <code>{e.type}</code>
              </dd>
              <dt>Status</dt>
              <dd>
                <Badge value={e.status} />
                {e.reason ? ` — ${e.reason}` : ''}
              </dd>
              <dt>Channel</dt>
              <dd>{e.channel ?? '—'}</dd>
              <dt>External id</dt>
              <dd>{e.externalId ?? '—'}</dd>
              <dt>Origin</dt>
              <dd>{e.origin ?? '—'}</dd>
              <dt>Template version</dt>
              <dd>{e.templateVersion ? `v${e.templateVersion}` : '—'}</dd>
              {e.queue && (
                <>
                  <dt>Queue</dt>
                  <dd>
                    {e.queue.state}
                    {e.queue.nextAttemptAt ? `, next attempt ${when(e.queue.nextAttemptAt)}` : ''}
                    {e.queue.failedReason ? ` (${e.queue.failedReason})` : ''}
                  </dd>
                </>
              )}
            </dl>
            {RETRYABLE.has(e.status) && (
              <p>
                <button type="button" onClick={() => retry.mutate()} disabled={retry.isPending}>
                  Retry
                </button>
                {retry.isSuccess && <span role="status"> Re-driven.</span>}
              </p>
            )}
            <ErrorBox error={retry.error} what="Not retried" />
            <h2>Timeline</h2>
            <ol className="timeline">
              <li>
                <strong>Accepted</strong> {when(e.createdAt)}
                {e.scheduled ? `, scheduled for ${when(e.scheduled)}` : ''}
              </li>
              {e.deliveries.flatMap((d, di) => {
                const log: Attempt[] = Array.isArray(d.attempts) ? d.attempts : (d.attemptLog ?? []);
                const rows = log.map((a, ai) => (
                  <li key={`${di}-${ai}`}>
                    <strong>Attempt {a.attempt ?? ai + 1}</strong> {when(a.at)} · {a.provider ?? d.provider} · {a.outcome ?? '—'}
                    {a.reason || a.error ? ` — ${a.reason ?? a.error}` : ''}
                  </li>
                ));
                return [
                  ...rows,
                  <li key={`${di}-delivery`}>
                    <strong>
                      {d.channel} via {d.provider}
                    </strong>{' '}
                    · {d.status} after {Array.isArray(d.attempts) ? d.attempts.length : d.attempts} attempt(s)
                    {d.sentAt ? ` · sent ${when(d.sentAt)}` : ''}
                    {d.providerMessageId ? ` · ${d.providerMessageId}` : ''}
                    {d.error ? ` — ${d.error}` : ''}
                  </li>,
                ];
              })}
              <li>
                <strong>Now</strong> <Badge value={e.status} /> (updated {when(e.updatedAt)})
              </li>
            </ol>
            {(e.payload ?? e.ctx) !== undefined && (
              <>
                <h2>Payload</h2>
                <pre className="json">{JSON.stringify(e.payload ?? { ctx: e.ctx }, null, 2)}</pre>
              </>
            )}
            <SentMessageView id={id} />
          </>
        )}
      </Async>
    </section>
  );
}

function SentMessageView({ id }: { id: string }) {
  const message = useQuery({ queryKey: ['event-message', id], queryFn: () => get<SentMessage>(`/v1/events/${encodeURIComponent(id)}/message`) });
  return (
    <section aria-labelledby="message-title">
      <h2 id="message-title">The message as it was sent</h2>
      {message.isPending ? (
        <Loading what="the message" />
      ) : isNotFound(message.error) ? (
        <p className="muted">No message: this event was not rendered (or this service cannot show sent messages).</p>
      ) : message.error ? (
        <ErrorBox error={message.error} what="Could not load the message" />
      ) : (
        <Message m={message.data!} />
      )}
    </section>
  );
}

function Message({ m }: { m: SentMessage }) {
  return (
    <div data-testid="sent-message">
      <dl className="meta">
        <dt>Template version</dt>
        <dd>v{m.templateVersion}</dd>
        {m.subject !== undefined && (
          <>
            <dt>Subject</dt>
            <dd>{m.subject}</dd>
          </>
        )}
        {m.from && (
          <>
            <dt>From</dt>
            <dd>{m.from}</dd>
          </>
        )}
        {m.title !== undefined && (
          <>
            <dt>Title</dt>
            <dd>{m.title}</dd>
          </>
        )}
        {m.body !== undefined && (
          <>
            <dt>Body</dt>
            <dd>{m.body}</dd>
          </>
        )}
      </dl>
      {m.html && <iframe title="The sent email" sandbox="" srcDoc={m.html} className="frame frame-desktop" />}
      {m.text && <pre className="text-part">{m.text}</pre>}
    </div>
  );
}
