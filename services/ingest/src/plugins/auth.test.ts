import { createHash } from 'node:crypto';
import { DomainError } from '@mc/core';
import { createKeyStore, keyFromHeader } from './auth';

const hex = (key: string) => createHash('sha256').update(key).digest('hex');

/** A key table in memory that counts lookups and can be made to fail like a dropped database. */
function table(rows: Record<string, { id: number; scopes: string[]; name?: string }> = {}) {
  const state = { lookups: 0, down: false };
  return {
    state,
    rows,
    async findActiveByHash(hash: string) {
      state.lookups += 1;
      if (state.down) throw new Error('relation "api_keys" does not exist');
      return Object.entries(rows).find(([key]) => hex(key) === hash)?.[1];
    },
  };
}

describe('createKeyStore', () => {
  it('answers a repeated unknown key from memory, not with one lookup each', async () => {
    const db = table();
    const keys = createKeyStore({ findActiveByHash: db.findActiveByHash });
    for (let i = 0; i < 5; i++) expect(await keys.verify('mc_unknown')).toBeUndefined();
    expect(db.state.lookups).toBe(1);
    expect(await keys.verify('mc_other_unknown')).toBeUndefined();
    expect(db.state.lookups).toBe(2);
  });

  it('looks an unknown key up again once its negative entry expires', async () => {
    const db = table();
    const keys = createKeyStore({ findActiveByHash: db.findActiveByHash, negativeCacheMs: 30 });
    await keys.verify('mc_unknown');
    const deadline = Date.now() + 30;
    while (Date.now() <= deadline) await new Promise((r) => setImmediate(r));
    await keys.verify('mc_unknown');
    expect(db.state.lookups).toBe(2);
  });

  it('keeps at most cacheSize unknown keys, dropping the least recently used, without evicting known ones', async () => {
    const db = table({ mc_known: { id: 1, scopes: ['admin'] } });
    const keys = createKeyStore({ findActiveByHash: db.findActiveByHash, cacheSize: 2 });
    expect(await keys.verify('mc_known')).toEqual({ id: 'key:1', scopes: ['admin'] });
    await keys.verify('mc_a');
    await keys.verify('mc_b');
    await keys.verify('mc_a'); // a is now the most recent
    await keys.verify('mc_c'); // evicts b
    const before = db.state.lookups;
    await keys.verify('mc_a');
    await keys.verify('mc_known');
    expect(db.state.lookups).toBe(before);
    await keys.verify('mc_b');
    expect(db.state.lookups).toBe(before + 1);
  });

  it('forgets that a key was unknown once it is created, so it works at once', async () => {
    const db = table();
    const keys = createKeyStore({ findActiveByHash: db.findActiveByHash });
    expect(await keys.verify('mc_new')).toBeUndefined();
    db.rows.mc_new = { id: 7, scopes: ['events:write'] };
    expect(await keys.verify('mc_new')).toBeUndefined(); // still cached unknown
    keys.forgetUnknown('mc_new');
    expect(await keys.verify('mc_new')).toEqual({ id: 'key:7', scopes: ['events:write'] });
  });

  it('turns a failing lookup into an unavailable error (never a pass), telling onError, and caches nothing', async () => {
    const db = table({ mc_known: { id: 1, scopes: ['admin'] } });
    const errors: unknown[] = [];
    const keys = createKeyStore({ findActiveByHash: db.findActiveByHash, onError: (e) => errors.push(e) });
    db.state.down = true;
    const attempt = keys.verify('mc_known');
    await expect(attempt).rejects.toBeInstanceOf(DomainError);
    await expect(attempt).rejects.toMatchObject({ code: 'unavailable' });
    expect(errors).toHaveLength(1);
    db.state.down = false;
    expect(await keys.verify('mc_known')).toEqual({ id: 'key:1', scopes: ['admin'] });
  });

  it('accepts the bootstrap keys without a lookup', async () => {
    const db = table();
    const keys = createKeyStore({ adminKey: 'admin-key-0123456789', ingestKey: 'ingest-key-0123456789', findActiveByHash: db.findActiveByHash });
    // Named after their variables: the audit log's actor for changes made with them.
    expect(await keys.verify('admin-key-0123456789')).toEqual({ id: 'env:admin', scopes: ['admin'], name: 'MC_ADMIN_KEY' });
    expect(await keys.verify('ingest-key-0123456789')).toEqual({ id: 'env:ingest', scopes: ['events:write'], name: 'MC_INGEST_KEY' });
    expect(db.state.lookups).toBe(0);
  });
});

describe('KeyStore.recall (keys answered without a hash)', () => {
  it('knows only keys that verified, and forgets them all on invalidate (a revocation here)', async () => {
    const db = table({ mc_known: { id: 1, scopes: ['events:write'] } });
    const keys = createKeyStore({ findActiveByHash: db.findActiveByHash });
    expect(keys.recall('mc_known')).toBeUndefined();
    await keys.verify('mc_known');
    expect(keys.recall('mc_known')).toEqual({ id: 'key:1', scopes: ['events:write'] });
    await keys.verify('mc_guess');
    expect(keys.recall('mc_guess')).toBeUndefined();
    delete db.rows.mc_known; // revoked
    keys.invalidate();
    expect(keys.recall('mc_known')).toBeUndefined();
    expect(await keys.verify('mc_known')).toBeUndefined();
  });

  it('keeps a key no longer than one cache period after it was read from the store, however often it is used', async () => {
    const db = table({ mc_known: { id: 1, scopes: ['events:write'] } });
    const keys = createKeyStore({ findActiveByHash: db.findActiveByHash, cacheMs: 300 });
    await keys.verify('mc_known'); // read from the store now
    const readAt = Date.now();
    await new Promise((r) => setTimeout(r, 100));
    await keys.verify('mc_known'); // a hit of the hashed cache: must not renew the period
    delete db.rows.mc_known; // revoked on another replica: nobody tells this one
    while (Date.now() - readAt < 200) {
      expect(keys.recall('mc_known')).toBeDefined();
      await new Promise((r) => setImmediate(r));
    }
    while (Date.now() - readAt <= 300) await new Promise((r) => setImmediate(r));
    expect(keys.recall('mc_known')).toBeUndefined();
    expect(await keys.verify('mc_known')).toBeUndefined();
    expect(db.state.lookups).toBe(2);
  });

  it('recalls the bootstrap keys once verified', async () => {
    const keys = createKeyStore({ ingestKey: 'ingest-key-0123456789', findActiveByHash: table().findActiveByHash });
    expect(keys.recall('ingest-key-0123456789')).toBeUndefined();
    await keys.verify('ingest-key-0123456789');
    expect(keys.recall('ingest-key-0123456789')).toMatchObject({ id: 'env:ingest' });
  });
});

test('keyFromHeader reads Bearer and the Basic-auth password', () => {
  expect(keyFromHeader('Bearer abc')).toBe('abc');
  expect(keyFromHeader(`Basic ${Buffer.from('ops:secret').toString('base64')}`)).toBe('secret');
  expect(keyFromHeader('Token abc')).toBeUndefined();
  expect(keyFromHeader(undefined)).toBeUndefined();
});
