import { Suspense, lazy, useEffect, useState, type FormEvent } from 'react';
import { useQueryClient } from '@tanstack/react-query';
import { api, onUnauthorized, session, ApiError } from './api';
import { linkProps, useRoute } from './router';
import { EventTypesScreen } from './screens/event-types';
import { TemplatesScreen } from './screens/templates';
import { EventsScreen } from './screens/events';
import { EventScreen } from './screens/event';
import { SuppressionsScreen } from './screens/suppressions';
import { ApiKeysScreen } from './screens/api-keys';
import { QueuesScreen } from './screens/queues';
import { AuditScreen } from './screens/audit';
import { WebhookScreen, WebhooksScreen } from './screens/webhooks';
import { Loading } from './ui';

// CodeMirror is most of the bundle and only the editor needs it: loaded when first opened.
const TemplateEditor = lazy(() => import('./screens/template-editor').then((m) => ({ default: m.TemplateEditor })));

const SECTIONS = [
  ['event-types', 'Event types'],
  ['templates', 'Templates'],
  ['events', 'Events'],
  ['suppressions', 'Suppressions'],
  ['api-keys', 'API keys'],
  ['webhooks', 'Webhooks'],
  ['queues', 'Queues'],
  ['audit', 'Audit'],
] as const;

export function App() {
  const [signedIn, setSignedIn] = useState(() => session.get() !== null);
  const client = useQueryClient();
  useEffect(
    () =>
      onUnauthorized(() => {
        client.clear();
        setSignedIn(false);
      }),
    [client],
  );
  if (!signedIn) return <SignIn onSignedIn={() => setSignedIn(true)} />;
  return (
    <Shell
      onSignOut={() => {
        session.clear();
        client.clear();
        setSignedIn(false);
      }}
    />
  );
}

function SignIn({ onSignedIn }: { onSignedIn(): void }) {
  const [key, setKey] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    session.set(key.trim());
    try {
      // An admin-only read: an events:write key is refused here (403) rather than on every screen.
      await api('GET', '/v1/event-types');
      onSignedIn();
    } catch (caught) {
      session.clear();
      setError(
        caught instanceof ApiError && caught.status === 401
          ? 'That key is not known.'
          : caught instanceof ApiError && caught.status === 403
            ? 'That key is not an admin key.'
            : `Could not sign in: ${(caught as Error).message}`,
      );
    } finally {
      setBusy(false);
    }
  };
  return (
    <main className="signin">
      <h1>Message Center</h1>
      <form onSubmit={submit} aria-labelledby="signin-title">
        <h2 id="signin-title">Sign in to the console</h2>
        <label htmlFor="admin-key">Admin key</label>
        <input id="admin-key" type="password" autoComplete="off" value={key} onChange={(e) => setKey(e.target.value)} required autoFocus />
        <button type="submit" disabled={busy || !key.trim()}>
          Sign in
        </button>
        {error && (
          <p className="error" role="alert">
            {error}
          </p>
        )}
        <p className="hint">The key is kept in this tab only (sessionStorage) and sent as a Bearer header.</p>
      </form>
    </main>
  );
}

function Shell({ onSignOut }: { onSignOut(): void }) {
  const { parts } = useRoute();
  const section = parts[0] ?? 'templates';
  useEffect(() => {
    const title = SECTIONS.find(([path]) => path === section)?.[1] ?? 'Console';
    document.title = `${title} · Message Center`;
  }, [section]);
  return (
    <div className="shell">
      <a className="skip" href="#main">
        Skip to content
      </a>
      <header>
        <span className="brand">Message Center</span>
        <nav aria-label="Sections">
          <ul>
            {SECTIONS.map(([path, name]) => (
              <li key={path}>
                <a {...linkProps(path)} aria-current={section === path ? 'page' : undefined}>
                  {name}
                </a>
              </li>
            ))}
          </ul>
        </nav>
        <button type="button" className="secondary" onClick={onSignOut}>
          Sign out
        </button>
      </header>
      <main id="main" tabIndex={-1}>
        <Screen parts={parts} />
      </main>
    </div>
  );
}

function Screen({ parts }: { parts: string[] }) {
  const [section = 'templates', id] = parts;
  switch (section) {
    case 'event-types':
      return <EventTypesScreen />;
    case 'templates':
      return id ? (
        <Suspense fallback={<Loading what="the editor" />}>
          <TemplateEditor id={id} />
        </Suspense>
      ) : (
        <TemplatesScreen />
      );
    case 'events':
      return id ? <EventScreen id={id} /> : <EventsScreen />;
    case 'suppressions':
      return <SuppressionsScreen />;
    case 'api-keys':
      return <ApiKeysScreen />;
    case 'webhooks':
      return id ? <WebhookScreen id={id} /> : <WebhooksScreen />;
    case 'queues':
      return <QueuesScreen />;
    case 'audit':
      return <AuditScreen />;
    default:
      return <p>No such page.</p>;
  }
}
