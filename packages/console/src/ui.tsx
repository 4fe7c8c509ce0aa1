import type { ReactNode } from 'react';
import { ApiError } from './api';
import { linkProps } from './router';

export function Loading({ what }: { what: string }) {
  return (
    <p className="loading" role="status">
      Loading {what}…
    </p>
  );
}

export function ErrorBox({ error, what }: { error: unknown; what?: string }) {
  if (!error) return null;
  const message = error instanceof Error ? error.message : String(error);
  const fields = error instanceof ApiError ? error.errors : [];
  return (
    <div className="error" role="alert">
      <strong>{what ? `${what}: ` : ''}</strong>
      {message}
      {fields.length > 0 && (
        <ul>
          {fields.map((f, i) => (
            <li key={i}>
              <code>{f.path}</code>
              {f.line !== undefined ? ` line ${f.line}${f.column !== undefined ? `, column ${f.column}` : ''}` : ''}: {f.message}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

/** Loading / error / content for one query. */
export function Async<T>({ query, what, children }: { query: { isPending: boolean; error: unknown; data: T | undefined }; what: string; children: (data: T) => ReactNode }) {
  if (query.isPending) return <Loading what={what} />;
  if (query.error) return <ErrorBox error={query.error} what={`Could not load ${what}`} />;
  return <>{children(query.data as T)}</>;
}

export function Link({ to, children, className }: { to: string; children: ReactNode; className?: string }) {
  return (
    <a {...linkProps(to)} className={className}>
      {children}
    </a>
  );
}

export const when = (iso: string | null | undefined) => (iso ? new Date(iso).toLocaleString() : '—');

export function Badge({ value }: { value: string }) {
  return <span className={`badge badge-${value}`}>{value}</span>;
}

export function Field({ label, children, hint }: { label: string; children: ReactNode; hint?: string }) {
  return (
    <div className="field">
      <label>
        <span>{label}</span>
        {children}
      </label>
      {hint && <small>{hint}</small>}
    </div>
  );
}

export const isNotFound = (error: unknown) => error instanceof ApiError && error.status === 404;
