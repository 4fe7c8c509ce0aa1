import type { Redis } from 'ioredis';
import { createRateLimiter } from './rate-limiter';

describe('createRateLimiter', () => {
  it('loads the script with EVAL when Redis does not know it yet (NOSCRIPT)', async () => {
    const calls: string[] = [];
    const redis = {
      evalsha: async () => {
        calls.push('evalsha');
        throw new Error('NOSCRIPT No matching script. Please use EVAL.');
      },
      eval: async (_script: string, _keys: number, key: string, interval: string, tolerance: string, pushBack: string) => {
        calls.push(`eval ${key} ${interval} ${tolerance} ${pushBack}`);
        return 0;
      },
    } as unknown as Redis;
    await createRateLimiter(redis, { key: 'smtp', perSecond: 20, burst: 3 }).acquire();
    expect(calls).toEqual(['evalsha', 'eval mc:rate:smtp 50.000 100.000 0']);
  });

  it('with perSecond Infinity paces nothing (interval 0) yet still reads the push-back', async () => {
    const calls: string[] = [];
    const redis = {
      evalsha: async (_sha: string, _keys: number, key: string, interval: string, tolerance: string, pushBack: string) => {
        calls.push(`${key} ${interval} ${tolerance} ${pushBack}`);
        return 0;
      },
    } as unknown as Redis;
    const limiter = createRateLimiter(redis, { key: 'web-push', perSecond: Infinity });
    await limiter.acquire();
    await limiter.pushBack(2000);
    expect(calls).toEqual(['mc:rate:web-push 0.000 0.000 0', 'mc:rate:web-push 0.000 0.000 2000']);
  });

  it('passes other Redis errors on', async () => {
    const redis = { evalsha: async () => Promise.reject(new Error('READONLY')) } as unknown as Redis;
    await expect(createRateLimiter(redis, { key: 'k', perSecond: 1 }).acquire()).rejects.toThrow('READONLY');
  });

  it('refuses nonsense limits', () => {
    const redis = {} as Redis;
    expect(() => createRateLimiter(redis, { key: 'k', perSecond: 0 })).toThrow(/perSecond/);
    expect(() => createRateLimiter(redis, { key: 'k', perSecond: 1, burst: 0 })).toThrow(/burst/);
  });
});
