/** The admin API, called with the key the operator signed in with (kept in sessionStorage). */
const KEY = 'mc.console.key';

export const session = {
  get: (): string | null => sessionStorage.getItem(KEY),
  set: (key: string) => sessionStorage.setItem(KEY, key),
  clear: () => sessionStorage.removeItem(KEY),
};

export interface FieldProblem {
  path: string;
  message: string;
  line?: number;
  column?: number;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly errors: FieldProblem[] = [],
  ) {
    super(message);
  }
}

/** Listeners told when the key is refused, so the app returns to the sign-in form. */
const unauthorizedListeners = new Set<() => void>();
export const onUnauthorized = (listener: () => void) => {
  unauthorizedListeners.add(listener);
  return () => void unauthorizedListeners.delete(listener);
};

export async function api<T = unknown>(method: string, url: string, body?: unknown): Promise<T> {
  const key = session.get();
  const response = await fetch(url, {
    method,
    headers: {
      ...(key ? { authorization: `Bearer ${key}` } : {}),
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (response.status === 204) return undefined as T;
  const text = await response.text();
  let parsed: any = undefined;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    parsed = undefined;
  }
  if (!response.ok) {
    if (response.status === 401) {
      session.clear();
      unauthorizedListeners.forEach((listener) => listener());
    }
    const detail = parsed?.detail ?? parsed?.title ?? `${response.status} ${response.statusText}`;
    throw new ApiError(response.status, detail, Array.isArray(parsed?.errors) ? parsed.errors : []);
  }
  return parsed as T;
}

export const get = <T>(url: string) => api<T>('GET', url);

export function query(params: Record<string, string | number | undefined | null>): string {
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) if (value !== undefined && value !== null && value !== '') search.set(name, String(value));
  const text = search.toString();
  return text ? `?${text}` : '';
}

// Shapes of the API's answers (see /docs and /work/shared/API.md).
export type Channel = 'email' | 'sms' | 'push';
export interface EventType {
  key: string;
  label: string;
  description?: string | null;
  enabled: boolean;
  ctxSchema?: unknown;
  maxAgeSeconds?: number | null;
}
export interface Template {
  id: string;
  eventType: string;
  channel: Channel;
  locale: string | null;
  name: string;
  content: Record<string, unknown>;
  testData: Record<string, unknown> | null;
  seedAddresses: string[];
  state: 'draft' | 'published' | 'paused';
  publishedVersion: number | null;
  latestVersion: number | null;
  createdAt: string;
  updatedAt: string;
}
export interface Warning {
  field: string;
  message: string;
  line?: number;
  column?: number;
}
export interface Preview {
  channel: Channel;
  subject?: string;
  html?: string;
  text?: string;
  from?: string;
  replyTo?: string;
  title?: string;
  body?: string;
  url?: string;
  icon?: string;
  data?: Record<string, unknown>;
  segments?: number;
  encoding?: string;
  payloadBytes?: number;
  warnings: Warning[];
}
export interface Version {
  version: number;
  createdAt: string;
  published: boolean;
  warnings: Warning[];
  content?: Record<string, unknown>;
}
export interface Proof {
  to: string[];
  provider: string;
  providerMessageId: string | null;
  error: string | null;
  createdAt: string;
}
export interface Delivery {
  channel: Channel;
  provider: string;
  status: string;
  attempts: number | Attempt[];
  providerMessageId?: string;
  error?: string;
  sentAt?: string;
  attemptLog?: Attempt[];
}
export interface Attempt {
  at?: string;
  attempt?: number;
  provider?: string;
  outcome?: string;
  reason?: string;
  error?: string;
}
export interface EventSummary {
  id: string;
  type: string;
  status: string;
  lane?: string;
  channel: Channel | null;
  externalId: string | null;
  origin: string | null;
  createdAt: string;
  updatedAt: string;
  reason?: string;
  templateVersion?: number;
  nextAttemptAt?: string;
  scheduled?: string;
}
export interface EventDetail extends EventSummary {
  deliveries: Delivery[];
  queue?: { state: string; nextAttemptAt?: string; failedReason?: string };
  payload?: unknown;
  ctx?: unknown;
}
export interface SentMessage {
  channel: Channel;
  templateVersion: number;
  subject?: string;
  html?: string;
  text?: string;
  from?: string;
  replyTo?: string;
  title?: string;
  body?: string;
  url?: string;
  icon?: string;
  data?: unknown;
}
export interface Suppression {
  id: number;
  address: string;
  channel: Channel;
  reason: string;
  source?: string;
  createdAt: string;
}
export interface ApiKey {
  id: number;
  name: string;
  scopes: string[];
  prefix?: string;
  createdAt: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
}
export interface AuditEntry {
  id: string | number;
  at: string;
  actor: { keyId: string | null; name: string };
  action: string;
  target: { type: string; id: string };
  details?: unknown;
}
export interface QueueLane {
  lane: string;
  queue: string;
  counts: { waiting: number; active: number; delayed: number; completed: number; failed: number; paused: number };
}
export interface WebhookEndpoint {
  id: number;
  url: string;
  description: string | null;
  /** Message types sent; empty: all. */
  events: string[];
  enabled: boolean;
  disabledReason: string | null;
  previousSecretExpiresAt: string | null;
  failingSince: string | null;
  createdAt: string;
  updatedAt: string;
}
export interface WebhookDelivery {
  id: string;
  webhookId: string;
  type: string;
  status: 'pending' | 'delivered' | 'failed';
  attempts: number;
  replays: number;
  responseCode: number | null;
  error: string | null;
  lastAttemptAt: string | null;
  nextAttemptAt: string | null;
  deliveredAt: string | null;
  createdAt: string;
  payload: Record<string, unknown>;
}
