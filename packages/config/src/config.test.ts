import { loadConfig, ConfigError, DEV_ADMIN_KEY, DEV_SECRETS_KEY, JOB_ATTEMPTS } from './config';

describe('loadConfig', () => {
  it('gives the documented defaults on an empty environment', () => {
    const config = loadConfig({});
    expect(config.port).toBe(3000);
    expect(config.redisUrl).toBe('redis://127.0.0.1:6379');
    expect(config.queuePrefix).toBe('mc');
    expect(config.smtpUrl).toBeUndefined();
    expect(config.worker.attempts).toBeUndefined();
    expect(config.worker.retryMaxDelayMs).toBe(900_000);
    expect(config.worker.shutdownGraceMs).toBe(10_000);
    expect(Object.isFrozen(config.worker)).toBe(true);
  });

  it.each([
    [{ PORT: 'abc' }, 'PORT'],
    [{ PORT: '70000' }, 'PORT'],
    [{ REDIS_URL: 'http://x' }, 'REDIS_URL'],
    [{ DATABASE_URL: 'not a url' }, 'DATABASE_URL'],
    [{ SMTP_URL: 'ftp://x' }, 'SMTP_URL'],
    [{ LOG_LEVEL: 'loud' }, 'LOG_LEVEL'],
    [{ VAPID_PUBLIC_KEY: 'x' }, 'VAPID_PRIVATE_KEY'],
    [{ MC_ADMIN_KEY: 'short' }, 'MC_ADMIN_KEY'],
  ])('refuses %p naming %s', (env, variable) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    try {
      loadConfig(env);
    } catch (error) {
      expect((error as ConfigError).variable).toBe(variable);
    }
  });

  it('bounds retries by time per channel (email a day, SMS and push an hour), attempts unlimited by default', () => {
    const job = JOB_ATTEMPTS;
    expect(loadConfig({}).worker.retry).toEqual({
      email: { attempts: job, windowMs: 86_400_000 },
      sms: { attempts: job, windowMs: 3_600_000 },
      push: { attempts: job, windowMs: 3_600_000 },
    });
  });

  it('keeps DELIVERY_ATTEMPTS and <CHANNEL>_DELIVERY_ATTEMPTS as caps within the window', () => {
    expect(loadConfig({ DELIVERY_ATTEMPTS: '6' }).worker.retry.sms).toEqual({ attempts: JOB_ATTEMPTS, windowMs: 3_600_000, maxAttempts: 6 });
    const config = loadConfig({ DELIVERY_ATTEMPTS: '8', SMS_DELIVERY_ATTEMPTS: '12', PUSH_RETRY_WINDOW_SECONDS: '300' });
    expect(config.worker.retry).toEqual({
      email: { attempts: JOB_ATTEMPTS, windowMs: 86_400_000, maxAttempts: 8 },
      sms: { attempts: JOB_ATTEMPTS, windowMs: 3_600_000, maxAttempts: 12 },
      push: { attempts: JOB_ATTEMPTS, windowMs: 300_000, maxAttempts: 8 },
    });
  });

  it.each([
    [{ SMS_DELIVERY_ATTEMPTS: '10001' }, 'SMS_DELIVERY_ATTEMPTS', /from 1 to 10000/],
    [{ RETRY_MAX_DELAY_MS: '0' }, 'RETRY_MAX_DELAY_MS', /from 1/],
    [{ SHUTDOWN_GRACE_MS: 'soon' }, 'SHUTDOWN_GRACE_MS', /integer/],
    [{ PUSH_DELIVERY_ATTEMPTS: '0' }, 'PUSH_DELIVERY_ATTEMPTS', /from 1/],
    [{ SMS_RETRY_WINDOW_SECONDS: 'soon' }, 'SMS_RETRY_WINDOW_SECONDS', /integer/],
  ])('refuses per-channel retry settings %p naming %s', (env, variable, message) => {
    expect(() => loadConfig(env)).toThrow(message);
    try {
      loadConfig(env);
    } catch (error) {
      expect((error as ConfigError).variable).toBe(variable);
    }
  });

  it('accepts the dev keys only on loopback', () => {
    expect(loadConfig({ MC_ADMIN_KEY: DEV_ADMIN_KEY }).adminKey).toBe(DEV_ADMIN_KEY);
    expect(() => loadConfig({ MC_ADMIN_KEY: DEV_ADMIN_KEY, HOST: '0.0.0.0' })).toThrow(/loopback/);
  });

  describe('TRUST_PROXY', () => {
    it.each([
      [undefined, false],
      ['false', false],
      ['0', false],
      ['true', true],
      ['TRUE', true],
      ['2', 2],
      ['10.0.0.1', ['10.0.0.1']],
      ['10.0.0.0/8, 192.168.1.1 ,fd00::/8,loopback', ['10.0.0.0/8', '192.168.1.1', 'fd00::/8', 'loopback']],
    ])('reads %p as %p (off by default)', (raw, expected) => {
      expect(loadConfig({ TRUST_PROXY: raw }).ingest.trustProxy).toEqual(expected);
    });

    it.each(['yes', '10.0.0.0/33', '10.0.0', 'proxy.internal', '10.0.0.1/8/1', '::1/129', '101', ','])('refuses %p naming TRUST_PROXY', (raw) => {
      expect(() => loadConfig({ TRUST_PROXY: raw })).toThrow(/^TRUST_PROXY: /);
    });
  });

  it('reads AUTH_FAILURE_LIMIT: 60 by default, 0 disables, negative or fractional refused', () => {
    expect(loadConfig({}).ingest.authFailureLimit).toBe(60);
    expect(loadConfig({ AUTH_FAILURE_LIMIT: '0' }).ingest.authFailureLimit).toBe(0);
    expect(loadConfig({ AUTH_FAILURE_LIMIT: '5' }).ingest.authFailureLimit).toBe(5);
    expect(() => loadConfig({ AUTH_FAILURE_LIMIT: '-1' })).toThrow(/^AUTH_FAILURE_LIMIT: /);
    expect(() => loadConfig({ AUTH_FAILURE_LIMIT: '1.5' })).toThrow(/^AUTH_FAILURE_LIMIT: /);
  });
});

describe('loadConfig: outbound policy and MAIL_FROM', () => {
  it('exempts nothing and allows any push host by default', () => {
    expect(loadConfig({}).outbound).toEqual({ allowPrivate: [] });
  });

  it('reads OUTBOUND_ALLOW_PRIVATE and PUSH_ENDPOINT_HOSTS as comma-separated lists', () => {
    const config = loadConfig({
      OUTBOUND_ALLOW_PRIVATE: '127.0.0.1, 10.0.0.0/8 ,push.internal,fd00::/8',
      PUSH_ENDPOINT_HOSTS: 'fcm.googleapis.com,*.push.services.mozilla.com',
    });
    expect(config.outbound).toEqual({
      allowPrivate: ['127.0.0.1', '10.0.0.0/8', 'push.internal', 'fd00::/8'],
      pushEndpointHosts: ['fcm.googleapis.com', '*.push.services.mozilla.com'],
    });
    expect(Object.isFrozen(config.outbound.allowPrivate)).toBe(true);
  });

  it.each([
    [{ OUTBOUND_ALLOW_PRIVATE: '10.0.0.1/8' }, 'OUTBOUND_ALLOW_PRIVATE', /CIDR/],
    [{ OUTBOUND_ALLOW_PRIVATE: 'http://push.internal' }, 'OUTBOUND_ALLOW_PRIVATE', /neither a host name/],
    [{ PUSH_ENDPOINT_HOSTS: 'https://fcm.googleapis.com' }, 'PUSH_ENDPOINT_HOSTS', /not a host name/],
    [{ PUSH_ENDPOINT_HOSTS: ' , ' }, 'PUSH_ENDPOINT_HOSTS', /lists no host/],
    [{ MAIL_FROM: 'a@shop.example, b@shop.example' }, 'MAIL_FROM', /one mailbox.*more than one address/],
    [{ MAIL_FROM: 'Team: a@shop.example;' }, 'MAIL_FROM', /group/],
    [{ MAIL_FROM: 'Shop <>' }, 'MAIL_FROM', /empty address/],
  ])('refuses %p naming %s', (env, variable, message) => {
    expect(() => loadConfig(env)).toThrow(message);
    try {
      loadConfig(env);
    } catch (error) {
      expect((error as ConfigError).variable).toBe(variable);
    }
  });

  it('accepts one mailbox as MAIL_FROM, the default included', () => {
    expect(loadConfig({}).mailFrom).toBe('Message Center <no-reply@localhost>');
    expect(loadConfig({ MAIL_FROM: '"Shop, Paris" <no-reply@shop.example>' }).mailFrom).toBe('"Shop, Paris" <no-reply@shop.example>');
  });
});

describe('loadConfig: circuit breaker and send timeouts', () => {
  it('defaults to a 10 s probe interval and a 10 s send timeout', () => {
    const config = loadConfig({});
    expect([config.failoverThreshold, config.breakerProbeIntervalMs, config.sendTimeoutMs]).toEqual([3, 10_000, 10_000]);
    expect(loadConfig({ BREAKER_PROBE_INTERVAL_MS: '2500', SEND_TIMEOUT_MS: '4000' })).toMatchObject({ breakerProbeIntervalMs: 2500, sendTimeoutMs: 4000 });
  });

  it.each([
    [{ BREAKER_PROBE_INTERVAL_MS: '0' }, 'BREAKER_PROBE_INTERVAL_MS'],
    [{ BREAKER_PROBE_INTERVAL_MS: 'soon' }, 'BREAKER_PROBE_INTERVAL_MS'],
    [{ SEND_TIMEOUT_MS: '10' }, 'SEND_TIMEOUT_MS'],
    [{ SEND_TIMEOUT_MS: '1e9' }, 'SEND_TIMEOUT_MS'],
  ])('refuses %p naming %s', (env, variable) => {
    expect(() => loadConfig(env)).toThrow(expect.objectContaining({ variable }));
  });
});

describe('loadConfig: bounces, complaints and DKIM', () => {
  const { generateKeyPairSync } = jest.requireActual<typeof import('node:crypto')>('node:crypto');
  const rsaKey = generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const secret = 'verp-secret-0123456789';

  it('is off by default', () => {
    const config = loadConfig({});
    expect(config.feedback).toEqual({ snsTopicArns: [] });
    expect(config.dkim).toBeUndefined();
  });

  it('reads the bounce domain, its secret, the SNS topics and the listener port', () => {
    const config = loadConfig({
      BOUNCE_DOMAIN: 'Bounce.Shop.example',
      VERP_SECRET: secret,
      FEEDBACK_SMTP_PORT: '2526',
      FEEDBACK_SNS_TOPIC_ARNS: 'arn:aws:sns:eu-west-1:123456789012:ses-feedback, arn:aws:sns:us-east-1:123456789012:other',
    });
    expect(config.feedback).toEqual({
      bounce: { domain: 'bounce.shop.example', secret },
      smtpPort: 2526,
      snsTopicArns: ['arn:aws:sns:eu-west-1:123456789012:ses-feedback', 'arn:aws:sns:us-east-1:123456789012:other'],
    });
  });

  it.each([
    [{ BOUNCE_DOMAIN: 'bounce.shop.example' }, 'VERP_SECRET'],
    [{ VERP_SECRET: secret }, 'VERP_SECRET'],
    [{ BOUNCE_DOMAIN: 'bounce.shop.example', VERP_SECRET: 'short' }, 'VERP_SECRET'],
    [{ BOUNCE_DOMAIN: 'not a domain', VERP_SECRET: secret }, 'BOUNCE_DOMAIN'],
    [{ FEEDBACK_SMTP_PORT: '2526' }, 'FEEDBACK_SMTP_PORT'],
    [{ FEEDBACK_SNS_TOPIC_ARNS: 'arn:aws:sqs:eu-west-1:123456789012:queue' }, 'FEEDBACK_SNS_TOPIC_ARNS'],
    [{ DKIM_DOMAIN: 'shop.example' }, 'DKIM_SELECTOR'],
    [{ DKIM_DOMAIN: 'shop.example', DKIM_SELECTOR: 'mc1', DKIM_PRIVATE_KEY: 'not a key' }, 'DKIM_PRIVATE_KEY'],
    [{ DKIM_DOMAIN: 'shop.example', DKIM_SELECTOR: 'bad selector', DKIM_PRIVATE_KEY: rsaKey }, 'DKIM_SELECTOR'],
  ])('refuses %p naming %s', (env, variable) => {
    expect(() => loadConfig(env)).toThrow(expect.objectContaining({ variable }) as Error);
  });

  it('takes a DKIM key with real or escaped newlines', () => {
    for (const key of [rsaKey, rsaKey.replace(/\n/g, '\\n')]) {
      expect(loadConfig({ DKIM_DOMAIN: 'Shop.example', DKIM_SELECTOR: 'mc1', DKIM_PRIVATE_KEY: key }).dkim).toEqual({
        domainName: 'shop.example',
        keySelector: 'mc1',
        privateKey: rsaKey.trim(),
      });
    }
  });
});

describe('loadConfig: webhooks and SECRETS_KEY', () => {
  const key = Buffer.alloc(32, 7);

  it('uses the standard schedule and, on loopback without SECRETS_KEY, the dev key', () => {
    const config = loadConfig({});
    expect(config.webhooks.retryScheduleMs).toHaveLength(9);
    expect(config.secretsKey).toBe(DEV_SECRETS_KEY);
    expect(config.devSecretsKey).toBe(true);
  });

  it('has no secrets key off loopback without SECRETS_KEY', () => {
    const config = loadConfig({ HOST: '0.0.0.0' });
    expect(config.secretsKey).toBeUndefined();
    expect(config.devSecretsKey).toBe(false);
  });

  it('reads SECRETS_KEY as base64 or hex, and WEBHOOK_RETRY_SCHEDULE', () => {
    expect(loadConfig({ SECRETS_KEY: key.toString('base64') }).secretsKey).toBe(key.toString('base64'));
    expect(loadConfig({ SECRETS_KEY: key.toString('hex'), HOST: '0.0.0.0' }).secretsKey).toBe(key.toString('base64'));
    expect(loadConfig({ WEBHOOK_RETRY_SCHEDULE: '1s,1s,1s' }).webhooks.retryScheduleMs).toEqual([1000, 1000, 1000]);
  });

  it.each([
    ['SECRETS_KEY', 'short'],
    ['SECRETS_KEY', Buffer.alloc(16).toString('base64')],
    ['WEBHOOK_RETRY_SCHEDULE', '5s,soon'],
  ])('refuses a bad %s naming it', (name, value) => {
    expect(() => loadConfig({ [name]: value })).toThrow(new RegExp(`^${name}:`));
  });
});

describe('Redis Cluster and queue shards', () => {
  it('keeps one standalone Redis and one shard per lane by default', () => {
    const config = loadConfig({});
    expect(config.redisCluster).toBeUndefined();
    expect(config.redisTls).toBe(false);
    expect(config.queues).toEqual({ hashTagged: false, shards: 1 });
    expect(config.worker.shards).toEqual([0]);
    expect(config.warnings).toEqual([]);
  });

  it('reads REDIS_CLUSTER_NODES as host:port seeds, hash-tags the queues, and warns that REDIS_URL is ignored', () => {
    const config = loadConfig({ REDIS_URL: 'redis://old:6379', REDIS_CLUSTER_NODES: ' 10.0.0.1:7000, redis-2:7001 ,[fd00::3]:7002' });
    expect(config.redisCluster).toEqual({
      nodes: [
        { host: '10.0.0.1', port: 7000 },
        { host: 'redis-2', port: 7001 },
        { host: 'fd00::3', port: 7002 },
      ],
      dnsPassthrough: false,
    });
    expect(config.queues.hashTagged).toBe(true);
    expect(config.warnings).toEqual(['REDIS_URL is ignored: REDIS_CLUSTER_NODES is set and wins']);
    expect(loadConfig({ REDIS_CLUSTER_NODES: 'a:1' }).warnings).toEqual([]);
  });

  it('takes TLS from REDIS_TLS, or from a rediss:// REDIS_URL unless the cluster wins over it', () => {
    expect(loadConfig({ REDIS_URL: 'rediss://cache:6380' }).redisTls).toBe(true);
    expect(loadConfig({ REDIS_URL: 'rediss://cache:6380', REDIS_CLUSTER_NODES: 'a:1' }).redisTls).toBe(false);
    expect(loadConfig({ REDIS_CLUSTER_NODES: 'a:1', REDIS_TLS: 'true' }).redisTls).toBe(true);
  });

  it('turns the DNS pass-through on with TLS unless told otherwise', () => {
    expect(loadConfig({ REDIS_CLUSTER_NODES: 'a:1', REDIS_TLS: 'true' }).redisCluster?.dnsPassthrough).toBe(true);
    expect(loadConfig({ REDIS_CLUSTER_NODES: 'a:1', REDIS_TLS: 'true', REDIS_CLUSTER_DNS_PASSTHROUGH: 'false' }).redisCluster?.dnsPassthrough).toBe(false);
    expect(loadConfig({ REDIS_CLUSTER_NODES: 'a:1', REDIS_CLUSTER_DNS_PASSTHROUGH: '1' }).redisCluster?.dnsPassthrough).toBe(true);
  });

  it('reads QUEUE_SHARDS and the WORKER_SHARDS subset', () => {
    const config = loadConfig({ QUEUE_SHARDS: '4', WORKER_SHARDS: '2, 0,2' });
    expect(config.queues.shards).toBe(4);
    expect(config.worker.shards).toEqual([0, 2]);
    expect(loadConfig({ QUEUE_SHARDS: '3' }).worker.shards).toEqual([0, 1, 2]);
  });

  it.each([
    [{ REDIS_CLUSTER_NODES: ',' }, 'REDIS_CLUSTER_NODES'],
    [{ REDIS_CLUSTER_NODES: 'redis-1' }, 'REDIS_CLUSTER_NODES'],
    [{ REDIS_CLUSTER_NODES: 'redis-1:0' }, 'REDIS_CLUSTER_NODES'],
    [{ REDIS_CLUSTER_NODES: 'redis://redis-1:6379' }, 'REDIS_CLUSTER_NODES'],
    [{ REDIS_CLUSTER_NODES: 'a:1', REDIS_TLS: 'yes' }, 'REDIS_TLS'],
    [{ REDIS_PASSWORD: 'secret' }, 'REDIS_PASSWORD'],
    [{ QUEUE_SHARDS: '0' }, 'QUEUE_SHARDS'],
    [{ QUEUE_SHARDS: '65' }, 'QUEUE_SHARDS'],
    [{ QUEUE_SHARDS: '2', WORKER_SHARDS: '2' }, 'WORKER_SHARDS'],
    [{ WORKER_SHARDS: '1' }, 'WORKER_SHARDS'],
    [{ QUEUE_SHARDS: '3', WORKER_SHARDS: 'one' }, 'WORKER_SHARDS'],
    [{ QUEUE_SHARDS: '3', WORKER_SHARDS: ' , ' }, 'WORKER_SHARDS'],
  ])('refuses %p naming %s', (env, variable) => {
    expect(() => loadConfig(env)).toThrow(expect.objectContaining({ variable }));
  });
});
