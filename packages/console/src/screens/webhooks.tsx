/**
 * Status webhooks: the endpoints (create, enable/disable, rotate the secret, test, delete) and,
 * per endpoint, its delivery log with replay. Secrets are shown once, as the API hands them out once.
 */
import { useState, type FormEvent } from 'react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api, get, query, type WebhookDelivery, type WebhookEndpoint } from '../api';
import { navigate } from '../router';
import { Async, Badge, ErrorBox, Field, Link, isNotFound, when } from '../ui';

/** The message types an endpoint may filter on (the API's WEBHOOK_MESSAGE_TYPES). */
export const MESSAGE_TYPES = [
  'event.sent',
  'event.deliveryFailed',
  'event.routingFailed',
  'event.targetingFailed',
  'event.ignored',
  'event.tooOld',
  'event.bounced',
  'event.complained',
];
const PAGE_SIZE = 20;

const filterText = (events: string[]) => (events.length === 0 ? 'all message types' : events.join(', '));

function OnceSecret({ title, secret, onDone }: { title: string; secret: string; onDone(): void }) {
  return (
    <div className="panel once" role="status">
      <p>
        {title} — copy it now, it is shown this once (receivers verify the signatures with it):
      </p>
      <Field label="Signing secret" hint="Focus it and press Ctrl+C (⌘C) after Ctrl+A; it is not shown again.">
        <input className="secret mono" readOnly value={secret} onFocus={(e) => e.currentTarget.select()} />
      </Field>
      <button type="button" className="secondary" onClick={onDone}>
        Done
      </button>
    </div>
  );
}

function EndpointState({ endpoint }: { endpoint: WebhookEndpoint }) {
  return (
    <>
      <Badge value={endpoint.enabled ? 'enabled' : 'disabled'} />
      {!endpoint.enabled && endpoint.disabledReason ? ` — ${endpoint.disabledReason}` : ''}
    </>
  );
}

export function WebhooksScreen() {
  const client = useQueryClient();
  const list = useQuery({ queryKey: ['webhook-endpoints'], queryFn: () => get<{ items: WebhookEndpoint[] }>('/v1/webhook-endpoints') });
  const [form, setForm] = useState<{ url: string; description: string; events: string[] }>({ url: '', description: '', events: [] });
  const [created, setCreated] = useState<{ url: string; secret: string } | null>(null);
  const create = useMutation({
    mutationFn: () =>
      api<WebhookEndpoint & { secret: string }>('POST', '/v1/webhook-endpoints', {
        url: form.url.trim(),
        events: form.events,
        ...(form.description.trim() ? { description: form.description.trim() } : {}),
      }),
    onSuccess: (endpoint) => {
      setCreated({ url: endpoint.url, secret: endpoint.secret });
      setForm({ url: '', description: '', events: [] });
      void client.invalidateQueries({ queryKey: ['webhook-endpoints'] });
    },
  });
  const toggle = (type: string, on: boolean) => setForm((f) => ({ ...f, events: on ? [...f.events, type] : f.events.filter((t) => t !== type) }));
  return (
    <section aria-labelledby="webhooks-title">
      <h1 id="webhooks-title">Webhooks</h1>
      <p className="muted">Status changes of events are sent, signed (Standard Webhooks), to these endpoints.</p>
      <form
        className="panel"
        aria-label="Create a webhook endpoint"
        onSubmit={(e: FormEvent) => {
          e.preventDefault();
          create.mutate();
        }}
      >
        <h2>Create an endpoint</h2>
        <div className="grid2">
          <Field label="Endpoint URL" hint="https only, unless the address is exempted by OUTBOUND_ALLOW_PRIVATE">
            <input type="url" value={form.url} onChange={(e) => setForm({ ...form, url: e.target.value })} required />
          </Field>
          <Field label="Description">
            <input value={form.description} onChange={(e) => setForm({ ...form, description: e.target.value })} maxLength={500} />
          </Field>
        </div>
        <fieldset>
          <legend>Message types (none checked: all)</legend>
          {MESSAGE_TYPES.map((type) => (
            <label key={type} className="check">
              <input type="checkbox" checked={form.events.includes(type)} onChange={(e) => toggle(type, e.target.checked)} /> {type}
            </label>
          ))}
        </fieldset>
        <ErrorBox error={create.error} what="Not created" />
        <button type="submit" disabled={create.isPending || !form.url.trim()}>
          {create.isPending ? 'Creating…' : 'Create endpoint'}
        </button>
      </form>
      {created && <OnceSecret title={`The secret of ${created.url}`} secret={created.secret} onDone={() => setCreated(null)} />}
      <Async query={list} what="webhook endpoints">
        {(data) =>
          data.items.length === 0 ? (
            <p>No webhook endpoints.</p>
          ) : (
            <div className="table-wrap" tabIndex={0} role="region" aria-label="Webhook endpoints">
              <table>
                <thead>
                  <tr>
                    <th scope="col">URL</th>
                    <th scope="col">Description</th>
                    <th scope="col">Message types</th>
                    <th scope="col">State</th>
                    <th scope="col">Failing since</th>
                  </tr>
                </thead>
                <tbody>
                  {data.items.map((endpoint) => (
                    <tr key={endpoint.id}>
                      <td>
                        <Link to={`webhooks/${endpoint.id}`} className="mono">
                          {endpoint.url}
                        </Link>
                      </td>
                      <td>{endpoint.description ?? '—'}</td>
                      <td>{filterText(endpoint.events)}</td>
                      <td>
                        <EndpointState endpoint={endpoint} />
                      </td>
                      <td>{when(endpoint.failingSince)}</td>
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

export function WebhookScreen({ id }: { id: string }) {
  const client = useQueryClient();
  const base = `/v1/webhook-endpoints/${encodeURIComponent(id)}`;
  const endpoint = useQuery({ queryKey: ['webhook-endpoint', id], queryFn: () => get<WebhookEndpoint>(base) });
  const [secret, setSecret] = useState<string | null>(null);
  const [notice, setNotice] = useState('');
  const refresh = () => {
    void client.invalidateQueries({ queryKey: ['webhook-endpoint', id] });
    void client.invalidateQueries({ queryKey: ['webhook-endpoints'] });
  };
  const setEnabled = useMutation({
    mutationFn: (enabled: boolean) => api<WebhookEndpoint>('POST', `${base}/${enabled ? 'enable' : 'disable'}`),
    onSuccess: (e) => (setNotice(e.enabled ? 'Endpoint enabled.' : 'Endpoint disabled.'), refresh()),
  });
  const rotate = useMutation({
    mutationFn: () => api<WebhookEndpoint & { secret: string }>('POST', `${base}/rotate-secret`),
    onSuccess: (e) => (setSecret(e.secret), setNotice(''), refresh()),
  });
  const test = useMutation({
    mutationFn: () => api<WebhookDelivery>('POST', `${base}/test`),
    onSuccess: () => (setNotice('Test message queued.'), client.invalidateQueries({ queryKey: ['webhook-deliveries', id] })),
  });
  const remove = useMutation({
    mutationFn: () => api('DELETE', base),
    onSuccess: () => {
      void client.invalidateQueries({ queryKey: ['webhook-endpoints'] });
      navigate('webhooks');
    },
  });
  const busy = setEnabled.isPending || rotate.isPending || test.isPending || remove.isPending;
  return (
    <section aria-labelledby="webhook-title">
      <p className="crumbs">
        <Link to="webhooks">← Webhooks</Link>
      </p>
      <h1 id="webhook-title">Webhook endpoint {id}</h1>
      {isNotFound(endpoint.error) ? (
        <p>No such endpoint (it may have been deleted).</p>
      ) : (
        <Async query={endpoint} what="the endpoint">
          {(e) => (
            <>
              <dl className="meta">
                <dt>URL</dt>
                <dd className="mono wrap">{e.url}</dd>
                <dt>Description</dt>
                <dd>{e.description ?? '—'}</dd>
                <dt>Message types</dt>
                <dd>{filterText(e.events)}</dd>
                <dt>State</dt>
                <dd>
                  <EndpointState endpoint={e} />
                </dd>
                <dt>Failing since</dt>
                <dd>{when(e.failingSince)}</dd>
                <dt>Previous secret signs until</dt>
                <dd>{when(e.previousSecretExpiresAt)}</dd>
                <dt>Created</dt>
                <dd>{when(e.createdAt)}</dd>
              </dl>
              <div className="toolbar">
                <button type="button" disabled={busy || !e.enabled} onClick={() => test.mutate()}>
                  Send test message
                </button>
                <button type="button" className="secondary" disabled={busy} onClick={() => setEnabled.mutate(!e.enabled)}>
                  {e.enabled ? 'Disable' : 'Enable'}
                </button>
                <button
                  type="button"
                  className="secondary"
                  disabled={busy}
                  onClick={() => confirm('Rotate the secret? The current one keeps signing for 24 hours too.') && rotate.mutate()}
                >
                  Rotate secret
                </button>
                <button
                  type="button"
                  className="secondary danger"
                  disabled={busy}
                  onClick={() => confirm(`Delete the endpoint ${e.url} and its delivery log?`) && remove.mutate()}
                >
                  Delete
                </button>
              </div>
              <p className="notice" role="status">
                {notice}
              </p>
              <ErrorBox error={test.error} what="Test not sent" />
              <ErrorBox error={setEnabled.error} what="Not changed" />
              <ErrorBox error={rotate.error} what="Not rotated" />
              <ErrorBox error={remove.error} what="Not deleted" />
              {secret && <OnceSecret title="The new secret" secret={secret} onDone={() => setSecret(null)} />}
              <DeliveryLog id={id} base={base} enabled={e.enabled} />
            </>
          )}
        </Async>
      )}
    </section>
  );
}

function DeliveryLog({ id, base, enabled }: { id: string; base: string; enabled: boolean }) {
  const client = useQueryClient();
  /** `before` of each page seen: [undefined] is the newest page. */
  const [cursors, setCursors] = useState<(string | undefined)[]>([undefined]);
  const before = cursors[cursors.length - 1];
  const log = useQuery({
    queryKey: ['webhook-deliveries', id, before],
    queryFn: () => get<{ items: WebhookDelivery[] }>(`${base}/deliveries${query({ limit: PAGE_SIZE, before })}`),
    // Pending deliveries change as the worker sends them: follow them until they end.
    refetchInterval: (q) => (q.state.data?.items.some((d) => d.status === 'pending') ? 1000 : false),
  });
  const replay = useMutation({
    mutationFn: (deliveryId: string) => api<WebhookDelivery>('POST', `${base}/deliveries/${deliveryId}/replay`),
    onSuccess: () => client.invalidateQueries({ queryKey: ['webhook-deliveries', id] }),
  });
  return (
    <>
      <div className="title-row">
        <h2 id="deliveries-title">Delivery log</h2>
        <button type="button" className="secondary" disabled={log.isFetching} onClick={() => void log.refetch()}>
          Refresh
        </button>
      </div>
      <ErrorBox error={replay.error} what="Not replayed" />
      <Async query={log} what="deliveries">
        {(data) => (
          <>
            {data.items.length === 0 ? (
              <p>{before ? 'No older deliveries.' : 'Nothing sent to this endpoint yet.'}</p>
            ) : (
              <div className="table-wrap" tabIndex={0} role="region" aria-labelledby="deliveries-title">
                <table>
                  <thead>
                    <tr>
                      <th scope="col">Message</th>
                      <th scope="col">Status</th>
                      <th scope="col" className="num">
                        Attempts
                      </th>
                      <th scope="col">Last response</th>
                      <th scope="col">Time</th>
                      <th scope="col">Error</th>
                      <th scope="col">
                        <span className="visually-hidden">Actions</span>
                      </th>
                    </tr>
                  </thead>
                  <tbody>
                    {data.items.map((d) => (
                      <tr key={d.id}>
                        <td>
                          <code>{d.type}</code>
                          <br />
                          <code className="small">{d.webhookId}</code>
                        </td>
                        <td>
                          <Badge value={d.status} />
                          {d.replays > 0 ? <span className="muted"> · replayed {d.replays}×</span> : null}
                        </td>
                        <td className="num">{d.attempts}</td>
                        <td>{d.responseCode ?? '—'}</td>
                        <td>{when(d.deliveredAt ?? d.lastAttemptAt ?? d.createdAt)}</td>
                        <td>{d.error ?? '—'}</td>
                        <td>
                          <button
                            type="button"
                            className="secondary"
                            aria-label={`Replay ${d.webhookId}`}
                            title={d.status === 'pending' ? 'Still being delivered' : enabled ? undefined : 'Enable the endpoint first'}
                            disabled={d.status === 'pending' || !enabled || replay.isPending}
                            onClick={() => replay.mutate(d.id)}
                          >
                            Replay
                          </button>
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            )}
            <nav className="pager" aria-label="Delivery pages">
              <button type="button" className="secondary" disabled={cursors.length === 1} onClick={() => setCursors((c) => c.slice(0, -1))}>
                Newer
              </button>
              <button
                type="button"
                className="secondary"
                disabled={data.items.length < PAGE_SIZE}
                onClick={() => setCursors((c) => [...c, data.items[data.items.length - 1]!.id])}
              >
                Older
              </button>
            </nav>
          </>
        )}
      </Async>
    </>
  );
}
