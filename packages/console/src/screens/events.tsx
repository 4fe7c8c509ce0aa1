import { useState, type FormEvent } from 'react';
import { useQuery } from '@tanstack/react-query';
import { get, query, type EventSummary, type EventType } from '../api';
import { Async, Badge, Field, Link, when } from '../ui';

const STATUSES = ['pending', 'processing', 'sent', 'ignored', 'routingFailed', 'targetingFailed', 'deliveryFailed', 'tooOld', 'bounced', 'complained'];

interface Filters {
  type: string;
  status: string;
  externalId: string;
  recipient: string;
  since: string;
  until: string;
}
const EMPTY: Filters = { type: '', status: '', externalId: '', recipient: '', since: '', until: '' };
const iso = (local: string) => (local ? new Date(local).toISOString() : undefined);

export function EventsScreen() {
  const [draft, setDraft] = useState<Filters>(EMPTY);
  const [filters, setFilters] = useState<Filters>(EMPTY);
  // The cursors of the pages before this one, to page back.
  const [cursors, setCursors] = useState<(string | undefined)[]>([undefined]);
  const cursor = cursors[cursors.length - 1];
  const types = useQuery({ queryKey: ['event-types'], queryFn: () => get<{ items: EventType[] }>('/v1/event-types') });
  const page = useQuery({
    queryKey: ['events', filters, cursor],
    queryFn: () =>
      get<{ items: EventSummary[]; nextCursor: string | null }>(
        `/v1/events${query({ ...filters, since: iso(filters.since), until: iso(filters.until), cursor, limit: 50 })}`,
      ),
  });
  const set = (name: keyof Filters) => (e: { target: { value: string } }) => setDraft((d) => ({ ...d, [name]: e.target.value }));
  const submit = (event: FormEvent) => {
    event.preventDefault();
    setFilters(draft);
    setCursors([undefined]);
  };
  return (
    <section aria-labelledby="events-title">
      <h1 id="events-title">Events</h1>
      <form className="filters" role="search" aria-label="Filter events" onSubmit={submit}>
        <Field label="Type">
          <select value={draft.type} onChange={set('type')}>
            <option value="">All</option>
            {types.data?.items.map((t) => (
              <option key={t.key}>{t.key}</option>
            ))}
          </select>
        </Field>
        <Field label="Status">
          <select value={draft.status} onChange={set('status')}>
            <option value="">All</option>
            {STATUSES.map((s) => (
              <option key={s}>{s}</option>
            ))}
          </select>
        </Field>
        <Field label="External id">
          <input value={draft.externalId} onChange={set('externalId')} />
        </Field>
        <Field label="Recipient">
          <input value={draft.recipient} onChange={set('recipient')} placeholder="email or phone" />
        </Field>
        <Field label="Since">
          <input type="datetime-local" value={draft.since} onChange={set('since')} />
        </Field>
        <Field label="Until">
          <input type="datetime-local" value={draft.until} onChange={set('until')} />
        </Field>
        <div className="actions">
          <button type="submit">Search</button>
          <button type="button" className="secondary" onClick={() => (setDraft(EMPTY), setFilters(EMPTY), setCursors([undefined]))}>
            Clear
          </button>
        </div>
      </form>
      <Async query={page} what="events">
        {(data) => (
          <>
            {data.items.length === 0 ? (
              <p>No events match.</p>
            ) : (
              <div className="table-wrap" tabIndex={0}>
                <table>
                  <thead>
                    <tr>
                      <th scope="col">Id</th>
                      <th scope="col">Type</th>
                      <th scope="col">Status</th>
                      <th scope="col">Channel</th>
                      <th scope="col">External id</th>
                      <th scope="col">Accepted</th>
                    </tr>
                  </thead>
                  <tbody>
                    {data.items.map((e) => (
                      <tr key={e.id}>
                        <td>
                          <Link to={`events/${e.id}`}>{e.id}</Link>
                        </td>
                        <td>
                          <code>{e.type}</code>
                        </td>
                        <td>
                          <Badge value={e.status} />
                        </td>
                        <td>{e.channel ?? '—'}</td>
                        <td>{e.externalId ?? '—'}</td>
                        <td>{when(e.createdAt)}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            )}
            <nav className="pager" aria-label="Pages">
              <button type="button" className="secondary" disabled={cursors.length === 1} onClick={() => setCursors((c) => c.slice(0, -1))}>
                Newer
              </button>
              <button type="button" className="secondary" disabled={!data.nextCursor} onClick={() => setCursors((c) => [...c, data.nextCursor!])}>
                Older
              </button>
            </nav>
          </>
        )}
      </Async>
    </section>
  );
}
