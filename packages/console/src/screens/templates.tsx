import { useState, type FormEvent } from 'react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api, get, query, type Channel, type EventType, type Template } from '../api';
import { navigate } from '../router';
import { Async, Badge, ErrorBox, Field, Link, when } from '../ui';

export const STARTER: Record<Channel, Record<string, unknown>> = {
  email: {
    subject: 'Hello {{ ctx.firstName }}',
    mjml: `<mjml>
  <mj-body>
    <mj-section>
      <mj-column>
        <mj-text>Hello {{ ctx.firstName }}</mj-text>
      </mj-column>
    </mj-section>
  </mj-body>
</mjml>`,
  },
  sms: { text: 'Hello {{ ctx.firstName }}' },
  push: { title: 'Hello {{ ctx.firstName }}', body: 'Something happened' },
};

export function TemplatesScreen() {
  const [eventType, setEventType] = useState('');
  const [channel, setChannel] = useState('');
  const [creating, setCreating] = useState(false);
  const types = useQuery({ queryKey: ['event-types'], queryFn: () => get<{ items: EventType[] }>('/v1/event-types') });
  const list = useQuery({
    queryKey: ['templates', eventType, channel],
    queryFn: () => get<{ items: Template[] }>(`/v1/templates${query({ eventType, channel })}`),
  });
  return (
    <section aria-labelledby="templates-title">
      <div className="title-row">
        <h1 id="templates-title">Templates</h1>
        <button type="button" onClick={() => setCreating(true)}>
          New template
        </button>
      </div>
      {creating && <NewTemplate types={types.data?.items ?? []} onCancel={() => setCreating(false)} />}
      <div className="filters" role="search" aria-label="Filter templates">
        <Field label="Event type">
          <select value={eventType} onChange={(e) => setEventType(e.target.value)}>
            <option value="">All</option>
            {types.data?.items.map((t) => (
              <option key={t.key} value={t.key}>
                {t.key}
              </option>
            ))}
          </select>
        </Field>
        <Field label="Channel">
          <select value={channel} onChange={(e) => setChannel(e.target.value)}>
            <option value="">All</option>
            <option value="email">email</option>
            <option value="sms">sms</option>
            <option value="push">push</option>
          </select>
        </Field>
      </div>
      <Async query={list} what="templates">
        {(data) =>
          data.items.length === 0 ? (
            <p>No templates.</p>
          ) : (
            <div className="table-wrap" tabIndex={0}>
              <table>
                <thead>
                  <tr>
                    <th scope="col">Name</th>
                    <th scope="col">Event type</th>
                    <th scope="col">Channel</th>
                    <th scope="col">Locale</th>
                    <th scope="col">State</th>
                    <th scope="col">Published version</th>
                    <th scope="col">Updated</th>
                  </tr>
                </thead>
                <tbody>
                  {data.items.map((t) => (
                    <tr key={t.id}>
                      <td>
                        <Link to={`templates/${t.id}`}>{t.name}</Link>
                      </td>
                      <td>
                        <code>{t.eventType}</code>
                      </td>
                      <td>{t.channel}</td>
                      <td>{t.locale ?? 'default'}</td>
                      <td>
                        <Badge value={t.state} />
                      </td>
                      <td>{t.publishedVersion ? `v${t.publishedVersion}` : '—'}{t.latestVersion ? ` (latest v${t.latestVersion})` : ''}</td>
                      <td>{when(t.updatedAt)}</td>
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

function NewTemplate({ types, onCancel }: { types: EventType[]; onCancel(): void }) {
  const client = useQueryClient();
  const [eventType, setEventType] = useState(types[0]?.key ?? '');
  const [channel, setChannel] = useState<Channel>('email');
  const [name, setName] = useState('');
  const [locale, setLocale] = useState('');
  const create = useMutation({
    mutationFn: () =>
      api<Template>('POST', '/v1/templates', {
        eventType: eventType || types[0]?.key,
        channel,
        name,
        ...(locale ? { locale } : {}),
        content: STARTER[channel],
        testData: { email: 'ann@example.com', mobilePhone: '+46701234567', ctx: { firstName: 'Ann' } },
      }),
    onSuccess: async (created) => {
      await client.invalidateQueries({ queryKey: ['templates'] });
      navigate(`templates/${created.id}`);
    },
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    create.mutate();
  };
  return (
    <form className="panel" onSubmit={submit} aria-label="New template">
      <h2>New template</h2>
      {types.length === 0 && <p>Create an event type first.</p>}
      <div className="grid2">
        <Field label="Template event type">
          <select value={eventType} onChange={(e) => setEventType(e.target.value)} required>
            {types.map((t) => (
              <option key={t.key} value={t.key}>
                {t.key}
              </option>
            ))}
          </select>
        </Field>
        <Field label="Template channel">
          <select value={channel} onChange={(e) => setChannel(e.target.value as Channel)}>
            <option value="email">email</option>
            <option value="sms">sms</option>
            <option value="push">push</option>
          </select>
        </Field>
        <Field label="Name">
          <input value={name} onChange={(e) => setName(e.target.value)} required />
        </Field>
        <Field label="Locale" hint="Empty: the default for every locale">
          <input value={locale} onChange={(e) => setLocale(e.target.value)} placeholder="e.g. sv" />
        </Field>
      </div>
      <ErrorBox error={create.error} what="Not created" />
      <div className="actions">
        <button type="submit" disabled={create.isPending || types.length === 0}>
          Create template
        </button>
        <button type="button" className="secondary" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}
