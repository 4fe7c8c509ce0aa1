import { loadConfig, ConfigError, DEV_ADMIN_KEY, JOB_ATTEMPTS } from './config';

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
});
