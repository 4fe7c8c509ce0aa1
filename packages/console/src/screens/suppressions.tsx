import { useState, type FormEvent } from 'react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api, get, query, type Channel, type Suppression } from '../api';
import { Async, ErrorBox, Field, when } from '../ui';

export function SuppressionsScreen() {
  const client = useQueryClient();
  const [search, setSearch] = useState('');
  const [address, setAddress] = useState('');
  const list = useQuery({ queryKey: ['suppressions', address], queryFn: () => get<{ items: Suppression[] }>(`/v1/suppressions${query({ address, limit: 200 })}`) });
  const [form, setForm] = useState<{ address: string; channel: Channel; reason: string }>({ address: '', channel: 'email', reason: '' });
  const add = useMutation({
    mutationFn: () => api('POST', '/v1/suppressions', form),
    onSuccess: () => (setForm({ address: '', channel: form.channel, reason: '' }), client.invalidateQueries({ queryKey: ['suppressions'] })),
  });
  const remove = useMutation({
    mutationFn: (id: number) => api('DELETE', `/v1/suppressions/${id}`),
    onSuccess: () => client.invalidateQueries({ queryKey: ['suppressions'] }),
  });
  return (
    <section aria-labelledby="suppressions-title">
      <h1 id="suppressions-title">Suppressions</h1>
      <form
        className="filters"
        role="search"
        aria-label="Search suppressions"
        onSubmit={(e: FormEvent) => {
          e.preventDefault();
          setAddress(search.trim());
        }}
      >
        <Field label="Address">
          <input value={search} onChange={(e) => setSearch(e.target.value)} />
        </Field>
        <div className="actions">
          <button type="submit">Search</button>
        </div>
      </form>
      <form
        className="panel"
        aria-label="Add a suppression"
        onSubmit={(e: FormEvent) => {
          e.preventDefault();
          add.mutate();
        }}
      >
        <h2>Add a suppression</h2>
        <div className="grid3">
          <Field label="Suppressed address">
            <input value={form.address} onChange={(e) => setForm({ ...form, address: e.target.value })} required />
          </Field>
          <Field label="Suppressed channel">
            <select value={form.channel} onChange={(e) => setForm({ ...form, channel: e.target.value as Channel })}>
              <option value="email">email</option>
              <option value="sms">sms</option>
              <option value="push">push</option>
            </select>
          </Field>
          <Field label="Reason">
            <input value={form.reason} onChange={(e) => setForm({ ...form, reason: e.target.value })} required />
          </Field>
        </div>
        <ErrorBox error={add.error} what="Not added" />
        <button type="submit" disabled={add.isPending}>
          Add suppression
        </button>
      </form>
      <ErrorBox error={remove.error} what="Not removed" />
      <Async query={list} what="suppressions">
        {(data) =>
          data.items.length === 0 ? (
            <p>No suppressions{address ? ` for ${address}` : ''}.</p>
          ) : (
            <div className="table-wrap" tabIndex={0}>
              <table>
                <thead>
                  <tr>
                    <th scope="col">Address</th>
                    <th scope="col">Channel</th>
                    <th scope="col">Reason</th>
                    <th scope="col">Source</th>
                    <th scope="col">Since</th>
                    <th scope="col">
                      <span className="visually-hidden">Actions</span>
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {data.items.map((s) => (
                    <tr key={s.id}>
                      <td>{s.address}</td>
                      <td>{s.channel}</td>
                      <td>{s.reason}</td>
                      <td>{s.source ?? '—'}</td>
                      <td>{when(s.createdAt)}</td>
                      <td>
                        <button type="button" className="secondary" aria-label={`Remove ${s.address}`} onClick={() => remove.mutate(s.id)}>
                          Remove
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
