import { loadConfig, ConfigError, DEV_ADMIN_KEY } from './config';

describe('loadConfig', () => {
  it('gives the documented defaults on an empty environment', () => {
    const config = loadConfig({});
    expect(config.port).toBe(3000);
    expect(config.redisUrl).toBe('redis://127.0.0.1:6379');
    expect(config.queuePrefix).toBe('mc');
    expect(config.smtpUrl).toBeUndefined();
    expect(config.worker.attempts).toBe(5);
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

  it('gives each channel the global attempts and no retry window unless told otherwise', () => {
    expect(loadConfig({ DELIVERY_ATTEMPTS: '6' }).worker.retry).toEqual({ email: { attempts: 6 }, sms: { attempts: 6 }, push: { attempts: 6 } });
    const config = loadConfig({ DELIVERY_ATTEMPTS: '8', SMS_DELIVERY_ATTEMPTS: '12', PUSH_RETRY_WINDOW_SECONDS: '300' });
    expect(config.worker.retry).toEqual({ email: { attempts: 8 }, sms: { attempts: 12 }, push: { attempts: 8, windowMs: 300_000 } });
  });

  it.each([
    [{ SMS_DELIVERY_ATTEMPTS: '51' }, 'SMS_DELIVERY_ATTEMPTS', /from 1 to 50/],
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
