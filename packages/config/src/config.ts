/**
 * The one place environment variables are read. `loadConfig(env)` validates everything at
 * start-up and returns a frozen object; a bad value stops the process with a message naming
 * the variable, rather than failing later on the hot path.
 */
import { createPrivateKey } from 'node:crypto';
import { isIP } from 'node:net';
import path from 'node:path';
import { createHash } from 'node:crypto';
import { allowPrivateEntryProblem, mailboxProblem, parseSecretsKey, pushHostEntryProblem, type OutboundPolicy } from '@mc/core';
import { DEFAULT_WEBHOOK_RETRY_SCHEDULE, parseRetrySchedule } from './retry-schedule';

export interface SmtpConfig {
  /** nodemailer connection URL; unset → the dev outbox. */
  url?: string;
}

export interface Config {
  /** Ingest HTTP port. @defaultValue 3000 */
  port: number;
  /** Ingest bind address. @defaultValue 127.0.0.1 */
  host: string;
  databaseUrl: string;
  /** One Redis server (REDIS_URL); ignored when `redisCluster` is set. */
  redisUrl: string;
  /**
   * A Redis Cluster (REDIS_CLUSTER_NODES: comma-separated `host:port` seeds; the client learns
   * the other nodes from them). When set it wins over REDIS_URL. @defaultValue undefined
   */
  redisCluster?: {
    nodes: readonly { host: string; port: number }[];
    /**
     * Connect to each node by the address the cluster announces, without resolving it again
     * (REDIS_CLUSTER_DNS_PASSTHROUGH): managed clusters behind TLS (ElastiCache, MemoryDB)
     * announce host names their certificates are issued for. @defaultValue the value of REDIS_TLS
     */
    dnsPassthrough: boolean;
    /** ACL user and password for every node (REDIS_USERNAME, REDIS_PASSWORD). */
    username?: string;
    password?: string;
  };
  /** TLS to Redis (REDIS_TLS=true, or a rediss:// REDIS_URL). @defaultValue false */
  redisTls: boolean;
  /**
   * How queues sit in Redis. `hashTagged`: every queue name carries its own hash tag (set when
   * REDIS_CLUSTER_NODES is). `shards`: queues per lane (QUEUE_SHARDS), each event in the shard
   * its id picks. @defaultValue { hashTagged: false, shards: 1 }
   */
  queues: { hashTagged: boolean; shards: number };
  /** Start-up notices about the configuration, logged by each process (e.g. REDIS_URL ignored). */
  warnings: readonly string[];
  /** BullMQ key prefix; tests use their own so they never see each other's jobs. @defaultValue mc */
  queuePrefix: string;
  logLevel: string;
  smtpUrl?: string;
  /** A second SMTP relay used while the first keeps failing transiently (SMTP_SECONDARY_URL). */
  smtpSecondaryUrl?: string;
  /** Where the dev outbox writes .eml files when no SMTP_URL is set. */
  outboxDir: string;
  mailFrom: string;
  adminKey?: string;
  ingestKey?: string;
  /** Adobe SOAP `login/password` session tokens mapped to operator accounts (SOAP_OPERATORS). */
  soapOperators: readonly { login: string; password: string }[];
  aws: {
    region: string;
    /** SMS and SNS mobile push are on when AWS_REGION or SNS_ENDPOINT is set. */
    enabled: boolean;
    snsEndpoint?: string;
    /** A second SNS region to fail over to (SNS_SECONDARY_REGION). */
    secondaryRegion?: string;
    smsSenderId?: string;
    smsType: 'Transactional' | 'Promotional';
  };
  /** Sends per second per provider, shared by all worker replicas; unset → unlimited. */
  rates: { email?: number; sms?: number; push?: number };
  /**
   * Consecutive transient failures that open a provider's circuit breaker (its secondary then
   * takes the sends; with none, or both open, sends are held). @defaultValue 3
   */
  failoverThreshold: number;
  /** Time between probes of an open breaker, shared by all replicas (BREAKER_PROBE_INTERVAL_MS). @defaultValue 10000 */
  breakerProbeIntervalMs: number;
  /**
   * Longest a web-push or SNS send may take, answer included, and the SMTP connection and
   * greeting limits (SEND_TIMEOUT_MS): what one slow remote can cost other events. @defaultValue 10000
   */
  sendTimeoutMs: number;
  vapid?: { publicKey: string; privateKey: string; subject: string };
  /**
   * Bounces and complaints. `bounce` (BOUNCE_DOMAIN + VERP_SECRET): each message's envelope
   * sender is a per-event VERP address at that domain; unset → the envelope sender stays the
   * From address and mailed bounces cannot be matched (the mail intake answers 422).
   * `snsTopicArns` (FEEDBACK_SNS_TOPIC_ARNS): the SES feedback topics whose signed notifications
   * are accepted; empty → none. `smtpPort` (FEEDBACK_SMTP_PORT): the ingest also listens for
   * bounce mail to BOUNCE_DOMAIN on this port (on HOST); unset → no listener.
   */
  feedback: {
    bounce?: { domain: string; secret: string };
    snsTopicArns: readonly string[];
    smtpPort?: number;
  };
  /** DKIM signing of outgoing mail (DKIM_DOMAIN, DKIM_SELECTOR, DKIM_PRIVATE_KEY: all or none). */
  dkim?: { domainName: string; keySelector: string; privateKey: string };
  worker: {
    /** Jobs a worker process runs at once on the real-time lane. @defaultValue 20 */
    realtimeConcurrency: number;
    /** Jobs a worker process runs at once on the batch lane. @defaultValue 5 */
    batchConcurrency: number;
    /**
     * A cap on send attempts (DELIVERY_ATTEMPTS); unset → unlimited within each channel's retry
     * window, which is the real bound. @defaultValue undefined
     */
    attempts?: number;
    /** First retry delay; doubles each attempt, with jitter. @defaultValue 2000 */
    retryBaseDelayMs: number;
    /** Longest wait between two attempts (RETRY_MAX_DELAY_MS). @defaultValue 900000 (15 min) */
    retryMaxDelayMs: number;
    /**
     * Per channel:
     * - `windowMs`: the retry horizon — retries (of failed sends, holds, outages of our own
     *   database) go on until this long after the event was accepted (or its scheduled time),
     *   then the event ends deliveryFailed. `EMAIL_|SMS_|PUSH_RETRY_WINDOW_SECONDS`,
     *   @defaultValue email 86400 s (24 h), sms and push 3600 s (1 h).
     * - `maxAttempts`: an optional cap on send attempts within the window
     *   (`EMAIL_|SMS_|PUSH_DELIVERY_ATTEMPTS`, else DELIVERY_ATTEMPTS; unset → unlimited).
     * - `attempts`: the BullMQ attempts a job is enqueued with. Retries are scheduled by the
     *   worker itself (delayed jobs, counted in the job's data); BullMQ's attempts only bound
     *   errors the worker could not defer (Redis failing mid-retry), a guard against loops.
     */
    retry: Readonly<Record<'email' | 'sms' | 'push', { attempts: number; windowMs: number; maxAttempts?: number }>>;
    /**
     * After SIGTERM: how long running jobs may take before the worker closes anyway; jobs still
     * running are left to BullMQ's stalled-job recovery (SHUTDOWN_GRACE_MS). @defaultValue 10000
     */
    shutdownGraceMs: number;
    /** Finished events (and proofs) older than this are deleted hourly; 0 keeps them forever.
     * EVENT_RETENTION_DAYS. @defaultValue 90 */
    retentionDays: number;
    /** Port of the worker's own /metrics and /healthz listener (on HOST); unset → none. */
    metricsPort?: number;
    /** How long a published-template lookup may be served from cache. @defaultValue 30000 */
    templateCacheMs: number;
    /**
     * The shards of each lane this worker consumes (WORKER_SHARDS, e.g. `0,2`, each below
     * QUEUE_SHARDS). @defaultValue every shard
     */
    shards: readonly number[];
  };
  /**
   * The outbound policy for URLs reached on someone else's word (web-push endpoints): https,
   * public addresses only, except the destinations in `allowPrivate` (OUTBOUND_ALLOW_PRIVATE:
   * hosts, IPs, CIDRs; empty by default); `pushEndpointHosts` (PUSH_ENDPOINT_HOSTS) narrows push
   * endpoints to those hosts (`*.domain` for names under a domain); unset → any public host.
   */
  outbound: OutboundPolicy;
  /**
   * The key (base64 of 32 bytes) under which secrets kept in the database — webhook signing
   * secrets — are encrypted (AES-256-GCM). SECRETS_KEY: 32 bytes as base64 or 64 hex digits.
   * Unset: on a loopback HOST the documented dev key (`devSecretsKey: true`), like the dev API
   * keys; elsewhere undefined, and webhook endpoints cannot be created (503 naming SECRETS_KEY).
   */
  secretsKey?: string;
  /** True when `secretsKey` is the dev key derived for a loopback-only install. */
  devSecretsKey: boolean;
  webhooks: {
    /**
     * Waits between delivery attempts, one per retry (WEBHOOK_RETRY_SCHEDULE, e.g. `5s,5m,30m`),
     * each with ±20 % jitter. @defaultValue 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 14 h, 20 h, 24 h
     */
    retryScheduleMs: readonly number[];
    /** One attempt's limit, answer included. @defaultValue 15000 */
    timeoutMs: number;
    /** An endpoint whose deliveries fail this long without a success is disabled. @defaultValue 5 days */
    disableAfterMs: number;
    /** After a rotation, how long the old secret still signs beside the new one. @defaultValue 24 h */
    rotationOverlapMs: number;
  };
  ingest: {
    /** Largest request body accepted. @defaultValue 5 MiB */
    bodyLimitBytes: number;
    /** How long an Idempotency-Key is remembered. @defaultValue 86400 */
    idempotencyTtlSeconds: number;
    /** Events per second one API key may push (across replicas, via Redis); unset → unlimited. */
    ratePerKey?: number;
    /**
     * Which proxies' `X-Forwarded-*` headers to believe for the client address (TRUST_PROXY),
     * in Fastify's `trustProxy` terms: `false` (the socket's peer is the client), `true` (any),
     * a hop count, or proxy addresses/CIDRs. @defaultValue false
     */
    trustProxy: boolean | number | readonly string[];
    /** Failed authentications per minute per client address before 429; 0 = no limit.
     * AUTH_FAILURE_LIMIT. @defaultValue 60 */
    authFailureLimit: number;
  };
}

/**
 * BullMQ attempts of an event job. The worker schedules its own retries (delayed jobs that do
 * not spend BullMQ attempts), so these only bound errors it could not defer itself.
 */
export const JOB_ATTEMPTS = 5;

const DAY_MS = 86_400_000;

/**
 * The secrets key of a loopback-only dev install without SECRETS_KEY: derived from a published
 * string, so it protects nothing — which is why it is only used when HOST is loopback.
 */
export const DEV_SECRETS_KEY = createHash('sha256').update('message-center dev secrets key').digest('base64');

/** The documented dev keys: accepted only on embedded defaults bound to loopback. */
export const DEV_ADMIN_KEY = 'mc_dev_admin_key';
export const DEV_INGEST_KEY = 'mc_dev_ingest_key';

/**
 * Reads the config for a process, or ends it with exit code 2 and one line naming the bad
 * variable: a misconfigured service never starts half-working.
 */
export function loadConfigOrExit(processName: string, env: Env = process.env): Readonly<Config> {
  try {
    return loadConfig(env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`${processName}: invalid configuration: ${error.message}\n`);
    process.exit(2);
  }
}

export class ConfigError extends Error {
  constructor(readonly variable: string, message: string) {
    super(`${variable}: ${message}`);
    this.name = 'ConfigError';
  }
}

type Env = Readonly<Record<string, string | undefined>>;

export function loadConfig(env: Env = process.env): Readonly<Config> {
  const read = (name: string): string | undefined => {
    const value = env[name]?.trim();
    return value === '' ? undefined : value;
  };
  const int = (name: string, fallback: number, min: number, max: number): number => {
    const raw = read(name);
    if (raw === undefined) return fallback;
    const value = Number(raw);
    if (!Number.isInteger(value) || value < min || value > max) {
      throw new ConfigError(name, `expected an integer from ${min} to ${max}, got "${raw}"`);
    }
    return value;
  };
  const optionalInt = (name: string, min: number, max: number): number | undefined =>
    read(name) === undefined ? undefined : int(name, 0, min, max);
  const url = (name: string, fallback: string | undefined, protocols: string[]): string | undefined => {
    const raw = read(name) ?? fallback;
    if (raw === undefined) return undefined;
    let parsed: URL;
    try {
      parsed = new URL(raw);
    } catch {
      throw new ConfigError(name, 'is not a valid URL');
    }
    if (!protocols.includes(parsed.protocol)) {
      throw new ConfigError(name, `expected a ${protocols.join(' or ')} URL, got ${parsed.protocol}`);
    }
    return raw;
  };

  const host = read('HOST') ?? '127.0.0.1';
  const adminKey = read('MC_ADMIN_KEY');
  const ingestKey = read('MC_INGEST_KEY');
  for (const [name, key] of [['MC_ADMIN_KEY', adminKey], ['MC_INGEST_KEY', ingestKey]] as const) {
    if (key === undefined) continue;
    if ((key === DEV_ADMIN_KEY || key === DEV_INGEST_KEY) && !isLoopback(host)) {
      throw new ConfigError(name, `the documented dev key is only accepted when HOST is a loopback address (HOST=${host})`);
    }
    if (key.length < 16) throw new ConfigError(name, 'must be at least 16 characters');
  }

  const logLevel = read('LOG_LEVEL') ?? 'info';
  if (!['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].includes(logLevel)) {
    throw new ConfigError('LOG_LEVEL', `unknown level "${logLevel}"`);
  }
  const queuePrefix = read('QUEUE_PREFIX') ?? 'mc';
  if (!/^[A-Za-z0-9_.:-]{1,64}$/.test(queuePrefix)) {
    throw new ConfigError('QUEUE_PREFIX', 'use letters, digits and _ . : - (at most 64)');
  }
  const smsType = read('SNS_SMS_TYPE') ?? 'Transactional';
  if (smsType !== 'Transactional' && smsType !== 'Promotional') {
    throw new ConfigError('SNS_SMS_TYPE', 'expected Transactional or Promotional');
  }

  const vapidPublic = read('VAPID_PUBLIC_KEY');
  const vapidPrivate = read('VAPID_PRIVATE_KEY');
  if ((vapidPublic === undefined) !== (vapidPrivate === undefined)) {
    throw new ConfigError(vapidPublic ? 'VAPID_PRIVATE_KEY' : 'VAPID_PUBLIC_KEY', 'set both VAPID keys or neither');
  }

  const soapOperators = (read('SOAP_OPERATORS') ?? '')
    .split(',')
    .map((pair) => pair.trim())
    .filter(Boolean)
    .map((pair) => {
      const colon = pair.indexOf(':');
      if (colon < 1 || colon === pair.length - 1) {
        throw new ConfigError('SOAP_OPERATORS', 'expected comma-separated login:password pairs');
      }
      return { login: pair.slice(0, colon), password: pair.slice(colon + 1) };
    });

  // Time, not a handful of attempts, bounds the retries: mail relays queue for days, so email
  // rides out a day of outage; SMS and push are worth little an hour late.
  const attempts = optionalInt('DELIVERY_ATTEMPTS', 1, 10_000);
  const channelRetry = (prefix: 'EMAIL' | 'SMS' | 'PUSH', defaultWindowSeconds: number) => {
    const maxAttempts = optionalInt(`${prefix}_DELIVERY_ATTEMPTS`, 1, 10_000) ?? attempts;
    const windowSeconds = int(`${prefix}_RETRY_WINDOW_SECONDS`, defaultWindowSeconds, 1, 30 * 86_400);
    return {
      attempts: JOB_ATTEMPTS,
      windowMs: windowSeconds * 1000,
      ...(maxAttempts !== undefined ? { maxAttempts } : {}),
    };
  };

  const mailFrom = read('MAIL_FROM') ?? 'Message Center <no-reply@localhost>';
  const mailFromProblem = mailboxProblem(mailFrom);
  if (mailFromProblem) throw new ConfigError('MAIL_FROM', `must be exactly one mailbox (Name <address@domain>): it ${mailFromProblem}`);

  const list = (name: string, problemOf: (entry: string) => string | undefined): string[] | undefined => {
    const raw = read(name);
    if (raw === undefined) return undefined;
    const entries = raw.split(',').map((entry) => entry.trim()).filter(Boolean);
    for (const entry of entries) {
      const problem = problemOf(entry);
      if (problem) throw new ConfigError(name, problem);
    }
    return entries;
  };
  const pushEndpointHosts = list('PUSH_ENDPOINT_HOSTS', pushHostEntryProblem);
  if (pushEndpointHosts?.length === 0) throw new ConfigError('PUSH_ENDPOINT_HOSTS', 'lists no host; leave it unset to allow any public host');
  const outbound: OutboundPolicy = {
    allowPrivate: list('OUTBOUND_ALLOW_PRIVATE', allowPrivateEntryProblem) ?? [],
    ...(pushEndpointHosts ? { pushEndpointHosts } : {}),
  };

  const feedback = readFeedback(read, optionalInt);
  const dkim = readDkim(read);
  const secretsKeyText = read('SECRETS_KEY');
  let secretsKey: string | undefined;
  if (secretsKeyText !== undefined) {
    const key = parseSecretsKey(secretsKeyText);
    if (!key) throw new ConfigError('SECRETS_KEY', 'expected 32 bytes as base64 (openssl rand -base64 32) or 64 hex digits');
    secretsKey = key.toString('base64');
  } else if (isLoopback(host)) {
    secretsKey = DEV_SECRETS_KEY;
  }
  const schedule = parseRetrySchedule(read('WEBHOOK_RETRY_SCHEDULE') ?? DEFAULT_WEBHOOK_RETRY_SCHEDULE);
  if (typeof schedule === 'string') throw new ConfigError('WEBHOOK_RETRY_SCHEDULE', schedule);

  const redis = readRedis(read, int);
  const workerShards = readWorkerShards(read('WORKER_SHARDS'), redis.queues.shards);

  const config: Config = {
    port: int('PORT', 3000, 0, 65535),
    host,
    databaseUrl: url('DATABASE_URL', 'postgresql://postgres@127.0.0.1:5432/test', ['postgresql:', 'postgres:'])!,
    redisUrl: url('REDIS_URL', 'redis://127.0.0.1:6379', ['redis:', 'rediss:'])!,
    ...(redis.cluster ? { redisCluster: redis.cluster } : {}),
    // A rediss:// REDIS_URL means TLS, unless the cluster settings win over it.
    redisTls: redis.tls || (!redis.cluster && (read('REDIS_URL') ?? '').startsWith('rediss:')),
    queues: redis.queues,
    warnings: redis.warnings,
    queuePrefix,
    logLevel,
    smtpUrl: url('SMTP_URL', undefined, ['smtp:', 'smtps:']),
    smtpSecondaryUrl: url('SMTP_SECONDARY_URL', undefined, ['smtp:', 'smtps:']),
    outboxDir: path.resolve(read('OUTBOX_DIR') ?? '.data/outbox'),
    mailFrom,
    adminKey,
    ingestKey,
    soapOperators,
    aws: {
      region: read('AWS_REGION') ?? 'us-east-1',
      enabled: read('AWS_REGION') !== undefined || read('SNS_ENDPOINT') !== undefined,
      snsEndpoint: url('SNS_ENDPOINT', undefined, ['http:', 'https:']),
      secondaryRegion: read('SNS_SECONDARY_REGION'),
      smsSenderId: read('SNS_SMS_SENDER_ID'),
      smsType,
    },
    vapid:
      vapidPublic && vapidPrivate
        ? { publicKey: vapidPublic, privateKey: vapidPrivate, subject: read('VAPID_SUBJECT') ?? 'mailto:ops@localhost' }
        : undefined,
    feedback,
    ...(dkim ? { dkim } : {}),
    rates: {
      email: optionalInt('EMAIL_RATE_PER_SECOND', 1, 100_000),
      sms: optionalInt('SMS_RATE_PER_SECOND', 1, 100_000),
      push: optionalInt('PUSH_RATE_PER_SECOND', 1, 100_000),
    },
    failoverThreshold: int('FAILOVER_THRESHOLD', 3, 1, 1000),
    breakerProbeIntervalMs: int('BREAKER_PROBE_INTERVAL_MS', 10_000, 100, 3_600_000),
    sendTimeoutMs: int('SEND_TIMEOUT_MS', 10_000, 100, 300_000),
    worker: {
      realtimeConcurrency: int('WORKER_CONCURRENCY_REALTIME', 20, 1, 1000),
      batchConcurrency: int('WORKER_CONCURRENCY_BATCH', 5, 1, 1000),
      ...(attempts !== undefined ? { attempts } : {}),
      retryBaseDelayMs: int('RETRY_BASE_DELAY_MS', 2000, 1, 3_600_000),
      retryMaxDelayMs: int('RETRY_MAX_DELAY_MS', 900_000, 1, 86_400_000),
      retry: { email: channelRetry('EMAIL', 86_400), sms: channelRetry('SMS', 3600), push: channelRetry('PUSH', 3600) },
      shutdownGraceMs: int('SHUTDOWN_GRACE_MS', 10_000, 0, 3_600_000),
      templateCacheMs: int('TEMPLATE_CACHE_MS', 30_000, 0, 3_600_000),
      metricsPort: optionalInt('WORKER_METRICS_PORT', 0, 65535),
      retentionDays: int('EVENT_RETENTION_DAYS', 90, 0, 36_500),
      shards: workerShards,
    },
    outbound,
    ...(secretsKey !== undefined ? { secretsKey } : {}),
    devSecretsKey: secretsKeyText === undefined && secretsKey !== undefined,
    webhooks: {
      retryScheduleMs: schedule,
      timeoutMs: 15_000,
      disableAfterMs: 5 * DAY_MS,
      rotationOverlapMs: DAY_MS,
    },
    ingest: {
      bodyLimitBytes: int('BODY_LIMIT_BYTES', 5 * 1024 * 1024, 1024, 100 * 1024 * 1024),
      idempotencyTtlSeconds: int('IDEMPOTENCY_TTL_SECONDS', 86_400, 1, 30 * 86_400),
      ratePerKey: optionalInt('INGEST_RATE_PER_KEY', 1, 10_000_000),
      trustProxy: parseTrustProxy(read('TRUST_PROXY')),
      authFailureLimit: int('AUTH_FAILURE_LIMIT', 60, 0, 1_000_000),
    },
  };
  return deepFreeze(config);
}

/** Queues per lane at most: each is a BullMQ queue every worker polls. */
export const MAX_QUEUE_SHARDS = 64;

function readRedis(read: (name: string) => string | undefined, int: (name: string, fallback: number, min: number, max: number) => number) {
  const flag = (name: string, fallback: boolean): boolean => {
    const raw = read(name)?.toLowerCase();
    if (raw === undefined) return fallback;
    if (raw === 'true' || raw === '1') return true;
    if (raw === 'false' || raw === '0') return false;
    throw new ConfigError(name, `expected true or false, got "${raw}"`);
  };
  const tls = flag('REDIS_TLS', false);
  const warnings: string[] = [];
  const seeds = read('REDIS_CLUSTER_NODES');
  const shards = int('QUEUE_SHARDS', 1, 1, MAX_QUEUE_SHARDS);
  if (seeds === undefined) {
    for (const name of ['REDIS_CLUSTER_DNS_PASSTHROUGH', 'REDIS_USERNAME', 'REDIS_PASSWORD']) {
      if (read(name) !== undefined) throw new ConfigError(name, 'applies to REDIS_CLUSTER_NODES only (put credentials in REDIS_URL)');
    }
    return { tls, warnings, queues: { hashTagged: false, shards }, cluster: undefined };
  }
  const nodes = parseClusterNodes(seeds);
  if (read('REDIS_URL') !== undefined) warnings.push('REDIS_URL is ignored: REDIS_CLUSTER_NODES is set and wins');
  const username = read('REDIS_USERNAME');
  const password = read('REDIS_PASSWORD');
  const cluster = {
    nodes,
    dnsPassthrough: flag('REDIS_CLUSTER_DNS_PASSTHROUGH', tls),
    ...(username !== undefined ? { username } : {}),
    ...(password !== undefined ? { password } : {}),
  };
  return { tls, warnings, queues: { hashTagged: true, shards }, cluster };
}

/** REDIS_CLUSTER_NODES: `host:port` seeds, comma-separated; IPv6 as `[addr]:port`. */
export function parseClusterNodes(raw: string): { host: string; port: number }[] {
  const entries = raw.split(',').map((entry) => entry.trim()).filter(Boolean);
  if (entries.length === 0) throw new ConfigError('REDIS_CLUSTER_NODES', 'lists no node; expected host:port[,host:port...]');
  return entries.map((entry) => {
    const match = /^(?:\[([0-9A-Fa-f:.]+)\]|([^\s:/\[\]]+)):(\d{1,5})$/.exec(entry);
    const port = Number(match?.[3]);
    if (!match || port < 1 || port > 65535) {
      throw new ConfigError('REDIS_CLUSTER_NODES', `expected host:port (IPv6 as [addr]:port), got "${entry}"`);
    }
    return { host: match[1] ?? match[2]!, port };
  });
}

/** WORKER_SHARDS: the shard numbers this worker consumes, e.g. `0,2`; unset → all of them. */
export function readWorkerShards(raw: string | undefined, shards: number): number[] {
  const all = Array.from({ length: shards }, (_, shard) => shard);
  if (raw === undefined) return all;
  const entries = raw.split(',').map((entry) => entry.trim()).filter(Boolean);
  if (entries.length === 0) throw new ConfigError('WORKER_SHARDS', 'lists no shard; leave it unset to consume every shard');
  const chosen = new Set<number>();
  for (const entry of entries) {
    const shard = /^\d+$/.test(entry) ? Number(entry) : NaN;
    if (!(shard >= 0 && shard < shards)) {
      throw new ConfigError('WORKER_SHARDS', `"${entry}" is not a shard of QUEUE_SHARDS=${shards} (0..${shards - 1})`);
    }
    chosen.add(shard);
  }
  return [...chosen].sort((a, b) => a - b);
}

const DOMAIN = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/i;
const SNS_TOPIC_ARN = /^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}(\.fifo)?$/;

function readFeedback(
  read: (name: string) => string | undefined,
  optionalInt: (name: string, min: number, max: number) => number | undefined,
): Config['feedback'] {
  const domain = read('BOUNCE_DOMAIN')?.toLowerCase();
  const secret = read('VERP_SECRET');
  if (domain !== undefined && !DOMAIN.test(domain)) throw new ConfigError('BOUNCE_DOMAIN', `expected a domain name, got "${domain}"`);
  if (domain !== undefined && secret === undefined) throw new ConfigError('VERP_SECRET', 'is required with BOUNCE_DOMAIN (it signs the VERP addresses)');
  if (secret !== undefined && domain === undefined) throw new ConfigError('VERP_SECRET', 'is set without BOUNCE_DOMAIN; set both or neither');
  if (secret !== undefined && secret.length < 16) throw new ConfigError('VERP_SECRET', 'must be at least 16 characters');
  const smtpPort = optionalInt('FEEDBACK_SMTP_PORT', 0, 65535);
  if (smtpPort !== undefined && domain === undefined) {
    throw new ConfigError('FEEDBACK_SMTP_PORT', 'needs BOUNCE_DOMAIN: the listener accepts mail for that domain only');
  }
  const snsTopicArns = (read('FEEDBACK_SNS_TOPIC_ARNS') ?? '').split(',').map((arn) => arn.trim()).filter(Boolean);
  for (const arn of snsTopicArns) {
    if (!SNS_TOPIC_ARN.test(arn)) throw new ConfigError('FEEDBACK_SNS_TOPIC_ARNS', `"${arn}" is not an SNS topic ARN (arn:aws:sns:<region>:<account>:<name>)`);
  }
  return {
    ...(domain !== undefined && secret !== undefined ? { bounce: { domain, secret } } : {}),
    snsTopicArns,
    ...(smtpPort !== undefined ? { smtpPort } : {}),
  };
}

function readDkim(read: (name: string) => string | undefined): Config['dkim'] {
  const names = ['DKIM_DOMAIN', 'DKIM_SELECTOR', 'DKIM_PRIVATE_KEY'] as const;
  const [domainName, keySelector, rawKey] = names.map((name) => read(name));
  const missing = names.filter((name) => read(name) === undefined);
  if (missing.length === 3) return undefined;
  if (missing.length > 0) throw new ConfigError(missing[0]!, `set all of ${names.join(', ')} or none`);
  if (!DOMAIN.test(domainName!)) throw new ConfigError('DKIM_DOMAIN', `expected a domain name, got "${domainName}"`);
  if (!/^[A-Za-z0-9]([A-Za-z0-9._-]{0,62})$/.test(keySelector!)) throw new ConfigError('DKIM_SELECTOR', `expected a DNS label, got "${keySelector}"`);
  // Env files often carry a PEM on one line with literal \n.
  const privateKey = rawKey!.replace(/\\n/g, '\n').trim();
  try {
    const key = createPrivateKey(privateKey);
    if (key.asymmetricKeyType !== 'rsa' && key.asymmetricKeyType !== 'ed25519') {
      throw new ConfigError('DKIM_PRIVATE_KEY', `DKIM signs with RSA or Ed25519 keys, not ${key.asymmetricKeyType}`);
    }
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    throw new ConfigError('DKIM_PRIVATE_KEY', 'is not a PEM private key');
  }
  return { domainName: domainName!.toLowerCase(), keySelector: keySelector!, privateKey };
}

// proxy-addr's names for address ranges, accepted by Fastify's trustProxy list.
const PROXY_RANGE_NAMES = ['loopback', 'linklocal', 'uniquelocal'];

/**
 * TRUST_PROXY: unset/`false` → off; `true` → every hop; an integer → that many hops; otherwise
 * comma-separated addresses, CIDRs (`10.0.0.0/8`, `fd00::/8`) or proxy-addr range names.
 */
function parseTrustProxy(raw: string | undefined): boolean | number | string[] {
  if (raw === undefined || raw.toLowerCase() === 'false') return false;
  if (raw.toLowerCase() === 'true') return true;
  if (/^\d+$/.test(raw)) {
    const hops = Number(raw);
    if (hops > 100) throw new ConfigError('TRUST_PROXY', `a hop count must be at most 100, got ${raw}`);
    return hops === 0 ? false : hops;
  }
  const entries = raw.split(',').map((entry) => entry.trim()).filter(Boolean);
  for (const entry of entries) {
    if (PROXY_RANGE_NAMES.includes(entry)) continue;
    const [address, bits, extra] = entry.split('/');
    const family = isIP(address ?? '');
    const maxBits = family === 6 ? 128 : 32;
    const bitsOk = bits === undefined || (/^\d+$/.test(bits) && Number(bits) <= maxBits);
    if (family === 0 || !bitsOk || extra !== undefined) {
      throw new ConfigError(
        'TRUST_PROXY',
        `expected true, false, a hop count, or comma-separated proxy addresses/CIDRs; "${entry}" is none of these`,
      );
    }
  }
  if (entries.length === 0) throw new ConfigError('TRUST_PROXY', 'lists no proxy address');
  return entries;
}

export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || host === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

function deepFreeze<T>(value: T): Readonly<T> {
  if (value && typeof value === 'object') {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}
