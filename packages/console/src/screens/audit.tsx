import { useState, type FormEvent } from 'react';
import { useQuery } from '@tanstack/react-query';
import { get, query, type AuditEntry } from '../api';
import { ErrorBox, Field, Loading, isNotFound, when } from '../ui';

export function AuditScreen() {
  const [draft, setDraft] = useState({ action: '', targetType: '', targetId: '' });
  const [filters, setFilters] = useState(draft);
  const [cursors, setCursors] = useState<(string | undefined)[]>([undefined]);
  const cursor = cursors[cursors.length - 1];
  const page = useQuery({
    queryKey: ['audit', filters, cursor],
    queryFn: () => get<{ items: AuditEntry[]; nextCursor: string | null }>(`/v1/audit${query({ ...filters, cursor, limit: 50 })}`),
  });
  return (
    <section aria-labelledby="audit-title">
      <h1 id="audit-title">Audit</h1>
      <form
        className="filters"
        role="search"
        aria-label="Filter the audit log"
        onSubmit={(e: FormEvent) => {
          e.preventDefault();
          setFilters(draft);
          setCursors([undefined]);
        }}
      >
        <Field label="Action">
          <input value={draft.action} onChange={(e) => setDraft({ ...draft, action: e.target.value })} placeholder="e.g. template.publish" />
        </Field>
        <Field label="Target type">
          <input value={draft.targetType} onChange={(e) => setDraft({ ...draft, targetType: e.target.value })} />
        </Field>
        <Field label="Target id">
          <input value={draft.targetId} onChange={(e) => setDraft({ ...draft, targetId: e.target.value })} />
        </Field>
        <div className="actions">
          <button type="submit">Search</button>
        </div>
      </form>
      {page.isPending ? (
        <Loading what="the audit log" />
      ) : isNotFound(page.error) ? (
        <p className="muted">This service does not keep an audit log (GET /v1/audit).</p>
      ) : page.error ? (
        <ErrorBox error={page.error} what="Could not load the audit log" />
      ) : (
        <>
          {page.data!.items.length === 0 ? (
            <p>No entries.</p>
          ) : (
            <div className="table-wrap" tabIndex={0}>
              <table>
                <thead>
                  <tr>
                    <th scope="col">When</th>
                    <th scope="col">Who</th>
                    <th scope="col">Action</th>
                    <th scope="col">Target</th>
                    <th scope="col">Details</th>
                  </tr>
                </thead>
                <tbody>
                  {page.data!.items.map((entry) => (
                    <tr key={entry.id}>
                      <td>{when(entry.at)}</td>
                      <td>
                        {entry.actor.name}
                        {entry.actor.keyId ? <span className="muted"> (key {entry.actor.keyId})</span> : null}
                      </td>
                      <td>
                        <code>{entry.action}</code>
                      </td>
                      <td>
                        {entry.target.type} {entry.target.id}
                      </td>
                      <td>{entry.details ? <code className="small">{JSON.stringify(entry.details)}</code> : '—'}</td>
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
            <button type="button" className="secondary" disabled={!page.data!.nextCursor} onClick={() => setCursors((c) => [...c, page.data!.nextCursor!])}>
              Older
            </button>
          </nav>
        </>
      )}
    </section>
  );
}
