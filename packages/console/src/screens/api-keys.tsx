import { useState, type FormEvent } from 'react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api, get, type ApiKey } from '../api';
import { Async, ErrorBox, Field, when } from '../ui';

const SCOPES = ['events:write', 'admin'];

export function ApiKeysScreen() {
  const client = useQueryClient();
  const list = useQuery({ queryKey: ['api-keys'], queryFn: () => get<{ items: ApiKey[] }>('/v1/api-keys') });
  const [name, setName] = useState('');
  const [scopes, setScopes] = useState<string[]>(['events:write']);
  const [created, setCreated] = useState<{ name: string; key: string } | null>(null);
  const create = useMutation({
    mutationFn: () => api<ApiKey & { key: string }>('POST', '/v1/api-keys', { name, scopes }),
    onSuccess: (key) => {
      setCreated({ name: key.name, key: key.key });
      setName('');
      void client.invalidateQueries({ queryKey: ['api-keys'] });
    },
  });
  const revoke = useMutation({
    mutationFn: (id: number) => api('DELETE', `/v1/api-keys/${id}`),
    onSuccess: () => client.invalidateQueries({ queryKey: ['api-keys'] }),
  });
  return (
    <section aria-labelledby="keys-title">
      <h1 id="keys-title">API keys</h1>
      <form
        className="panel"
        aria-label="Create an API key"
        onSubmit={(e: FormEvent) => {
          e.preventDefault();
          create.mutate();
        }}
      >
        <h2>Create a key</h2>
        <Field label="Key name">
          <input value={name} onChange={(e) => setName(e.target.value)} required />
        </Field>
        <fieldset>
          <legend>Scopes</legend>
          {SCOPES.map((scope) => (
            <label key={scope} className="check">
              <input type="checkbox" checked={scopes.includes(scope)} onChange={(e) => setScopes((s) => (e.target.checked ? [...s, scope] : s.filter((x) => x !== scope)))} /> {scope}
            </label>
          ))}
        </fieldset>
        <ErrorBox error={create.error} what="Not created" />
        <button type="submit" disabled={create.isPending || scopes.length === 0}>
          Create key
        </button>
      </form>
      {created && (
        <div className="panel once" role="status">
          <p>
            The key <strong>{created.name}</strong> — copy it now, it is shown this once:
          </p>
          <code className="secret">{created.key}</code>
          <button type="button" className="secondary" onClick={() => setCreated(null)}>
            Done
          </button>
        </div>
      )}
      <ErrorBox error={revoke.error} what="Not revoked" />
      <Async query={list} what="API keys">
        {(data) => (
          <div className="table-wrap" tabIndex={0}>
            <table>
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Prefix</th>
                  <th scope="col">Scopes</th>
                  <th scope="col">Created</th>
                  <th scope="col">Last used</th>
                  <th scope="col">Revoked</th>
                  <th scope="col">
                    <span className="visually-hidden">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {data.items.map((k) => (
                  <tr key={k.id}>
                    <td>{k.name}</td>
                    <td>
                      <code>{k.prefix ?? ''}</code>
                    </td>
                    <td>{k.scopes.join(', ')}</td>
                    <td>{when(k.createdAt)}</td>
                    <td>{when(k.lastUsedAt)}</td>
                    <td>{k.revokedAt ? when(k.revokedAt) : '—'}</td>
                    <td>
                      {!k.revokedAt && (
                        <button type="button" className="secondary" aria-label={`Revoke ${k.name}`} onClick={() => confirm(`Revoke ${k.name}? Clients using it get 401.`) && revoke.mutate(k.id)}>
                          Revoke
                        </button>
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
            {data.items.length === 0 && <p>No keys stored (the bootstrap keys from the environment are not listed).</p>}
          </div>
        )}
      </Async>
    </section>
  );
}
