import { useState, type FormEvent } from 'react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api, get, type EventType } from '../api';
import { Async, ErrorBox, Field } from '../ui';

export function EventTypesScreen() {
  const list = useQuery({ queryKey: ['event-types'], queryFn: () => get<{ items: EventType[] }>('/v1/event-types') });
  const [editing, setEditing] = useState<EventType | 'new' | null>(null);
  return (
    <section aria-labelledby="event-types-title">
      <div className="title-row">
        <h1 id="event-types-title">Event types</h1>
        <button type="button" onClick={() => setEditing('new')}>
          New event type
        </button>
      </div>
      {editing && <EventTypeForm key={editing === 'new' ? 'new' : editing.key} initial={editing === 'new' ? null : editing} onDone={() => setEditing(null)} />}
      <Async query={list} what="event types">
        {(data) =>
          data.items.length === 0 ? (
            <p>No event types yet.</p>
          ) : (
            <div className="table-wrap" tabIndex={0}>
              <table>
                <thead>
                  <tr>
                    <th scope="col">Key</th>
                    <th scope="col">Label</th>
                    <th scope="col">Enabled</th>
                    <th scope="col">Max age (s)</th>
                    <th scope="col">ctx schema</th>
                    <th scope="col">
                      <span className="visually-hidden">Actions</span>
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {data.items.map((type) => (
                    <tr key={type.key}>
                      <td>
                        <code>{type.key}</code>
                      </td>
                      <td>
                        {type.label}
                        {type.description && <div className="muted">{type.description}</div>}
                      </td>
                      <td>{type.enabled ? 'yes' : 'no'}</td>
                      <td>{type.maxAgeSeconds ?? '—'}</td>
                      <td>{type.ctxSchema ? 'yes' : '—'}</td>
                      <td>
                        <button type="button" className="secondary" onClick={() => setEditing(type)} aria-label={`Edit ${type.key}`}>
                          Edit
                        </button>
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )
        }
      </Async>
    </section>
  );
}

function EventTypeForm({ initial, onDone }: { initial: EventType | null; onDone(): void }) {
  const client = useQueryClient();
  const [key, setKey] = useState(initial?.key ?? '');
  const [label, setLabel] = useState(initial?.label ?? '');
  const [description, setDescription] = useState(initial?.description ?? '');
  const [enabled, setEnabled] = useState(initial?.enabled ?? true);
  const [maxAge, setMaxAge] = useState(initial?.maxAgeSeconds ? String(initial.maxAgeSeconds) : '');
  const [schema, setSchema] = useState(initial?.ctxSchema ? JSON.stringify(initial.ctxSchema, null, 2) : '');
  const [localError, setLocalError] = useState<string | null>(null);
  const save = useMutation({
    mutationFn: (body: Record<string, unknown>) =>
      initial ? api('PATCH', `/v1/event-types/${encodeURIComponent(initial.key)}`, body) : api('POST', '/v1/event-types', body),
    onSuccess: async () => {
      await client.invalidateQueries({ queryKey: ['event-types'] });
      onDone();
    },
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    setLocalError(null);
    let ctxSchema: unknown;
    if (schema.trim()) {
      try {
        ctxSchema = JSON.parse(schema);
      } catch (error) {
        setLocalError(`The ctx JSON Schema is not JSON: ${(error as Error).message}`);
        return;
      }
    }
    const body: Record<string, unknown> = { label, description, enabled };
    if (!initial) body.key = key;
    if (maxAge) body.maxAgeSeconds = Number(maxAge);
    if (ctxSchema !== undefined) body.ctxSchema = ctxSchema;
    save.mutate(body);
  };
  return (
    <form className="panel" onSubmit={submit} aria-label={initial ? `Edit event type ${initial.key}` : 'New event type'}>
      <h2>{initial ? `Edit ${initial.key}` : 'New event type'}</h2>
      <div className="grid2">
        {!initial && (
          <Field label="Key" hint="Letters, digits, _ . - ; e.g. ORDER_CONFIRMATION">
            <input value={key} onChange={(e) => setKey(e.target.value)} required pattern="[A-Za-z][A-Za-z0-9_.\-]{0,63}" />
          </Field>
        )}
        <Field label="Label">
          <input value={label} onChange={(e) => setLabel(e.target.value)} required />
        </Field>
        <Field label="Description">
          <input value={description} onChange={(e) => setDescription(e.target.value)} />
        </Field>
        <Field label="Max age in seconds" hint="Older events end tooOld instead of being sent">
          <input type="number" min={1} value={maxAge} onChange={(e) => setMaxAge(e.target.value)} />
        </Field>
      </div>
      <label className="check">
        <input type="checkbox" checked={enabled} onChange={(e) => setEnabled(e.target.checked)} /> Enabled
      </label>
      <Field label="ctx JSON Schema" hint="Optional: events whose ctx violates it are refused with 422">
        <textarea rows={6} value={schema} onChange={(e) => setSchema(e.target.value)} spellCheck={false} className="mono" />
      </Field>
      {localError && (
        <p className="error" role="alert">
          {localError}
        </p>
      )}
      <ErrorBox error={save.error} what="Not saved" />
      <div className="actions">
        <button type="submit" disabled={save.isPending}>
          {initial ? 'Save event type' : 'Create event type'}
        </button>
        <button type="button" className="secondary" onClick={onDone}>
          Cancel
        </button>
      </div>
    </form>
  );
}
