import { Cluster, Redis } from 'ioredis';
import { loadConfig } from '@mc/config';
import { createRedisClient, redisClientOptions } from './redis-client';

describe('createRedisClient', () => {
  it('connects to REDIS_URL without REDIS_CLUSTER_NODES', () => {
    const client = createRedisClient(loadConfig({ REDIS_URL: 'redis://127.0.0.1:1' }), 'producer');
    try {
      expect(client).toBeInstanceOf(Redis);
      expect(client.isCluster).toBe(false);
      expect(client.options.enableOfflineQueue).toBe(false);
      expect(client.options.maxRetriesPerRequest).toBe(1);
    } finally {
      client.disconnect();
    }
  });

  it('builds a Cluster from the seeds when REDIS_CLUSTER_NODES is set, REDIS_URL ignored', () => {
    const config = loadConfig({ REDIS_URL: 'redis://127.0.0.1:1', REDIS_CLUSTER_NODES: '127.0.0.1:7001,127.0.0.1:7002' });
    const producer = createRedisClient(config, 'producer');
    try {
      expect(producer).toBeInstanceOf(Cluster);
      expect(producer.isCluster).toBe(true);
      expect((producer as Cluster).options.enableOfflineQueue).toBe(false);
      expect((producer as Cluster).options.redisOptions?.maxRetriesPerRequest).toBe(1);
      expect((producer as Cluster).status).toBe('wait');
    } finally {
      producer.disconnect();
    }
  });

  it('gives BullMQ workers connections that retry forever', () => {
    const standalone = redisClientOptions(loadConfig({}), 'worker');
    expect(standalone.node.maxRetriesPerRequest).toBeNull();
    expect(standalone.cluster).toBeUndefined();
    const cluster = redisClientOptions(loadConfig({ REDIS_CLUSTER_NODES: 'a:1' }), 'worker');
    expect(cluster.cluster?.redisOptions?.maxRetriesPerRequest).toBeNull();
    expect(cluster.cluster?.lazyConnect).toBeUndefined();
  });

  it("auto-pipelines a worker's commands, blocking ones left out; producers and subscribers as they were", () => {
    const standalone = redisClientOptions(loadConfig({}), 'worker').node;
    expect(standalone.enableAutoPipelining).toBe(true);
    expect(standalone.autoPipeliningIgnoredCommands).toEqual(expect.arrayContaining(['bzpopmin', 'blmove']));
    const cluster = redisClientOptions(loadConfig({ REDIS_CLUSTER_NODES: 'a:1' }), 'worker').cluster;
    expect(cluster?.enableAutoPipelining).toBe(true);
    expect(cluster?.autoPipeliningIgnoredCommands).toContain('bzpopmin');
    for (const role of ['producer', 'subscriber'] as const) {
      expect(redisClientOptions(loadConfig({}), role).node.enableAutoPipelining).toBeUndefined();
      expect(redisClientOptions(loadConfig({ REDIS_CLUSTER_NODES: 'a:1' }), role).cluster?.enableAutoPipelining).toBeUndefined();
    }
  });

  it('passes TLS, credentials and the DNS pass-through managed clusters need', () => {
    const options = redisClientOptions(
      loadConfig({ REDIS_CLUSTER_NODES: 'clustercfg.example.cache.amazonaws.com:6379', REDIS_TLS: 'true', REDIS_USERNAME: 'mc', REDIS_PASSWORD: 'secret-password' }),
      'worker',
    );
    expect(options.cluster?.redisOptions).toMatchObject({ tls: {}, username: 'mc', password: 'secret-password' });
    const looked: string[] = [];
    options.cluster?.dnsLookup?.('node-1.example.cache.amazonaws.com', (error, address) => looked.push(`${error}:${address}`));
    expect(looked).toEqual(['null:node-1.example.cache.amazonaws.com']);

    const plain = redisClientOptions(loadConfig({ REDIS_CLUSTER_NODES: '10.0.0.1:6379' }), 'worker');
    expect(plain.cluster?.dnsLookup).toBeUndefined();
    expect(plain.cluster?.redisOptions?.tls).toBeUndefined();
  });

  it('uses TLS for a standalone server with REDIS_TLS or a rediss:// URL', () => {
    expect(redisClientOptions(loadConfig({ REDIS_TLS: 'true' }), 'worker').node.tls).toEqual({});
    expect(redisClientOptions(loadConfig({ REDIS_URL: 'rediss://cache.example:6380' }), 'worker').node.tls).toEqual({});
    expect(redisClientOptions(loadConfig({}), 'worker').node.tls).toBeUndefined();
  });
});
