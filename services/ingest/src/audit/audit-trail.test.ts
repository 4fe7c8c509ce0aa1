import type { FastifyBaseLogger } from 'fastify';
import type { NewAuditEntry } from '@mc/db';
import { auditActor, recordAudit } from './audit-trail';

test('a stored key is named by its id and name; a bootstrap key by its variable, with no id', () => {
  expect(auditActor({ id: 'key:12', scopes: ['admin'], name: 'ops-laptop' })).toEqual({ keyId: '12', name: 'ops-laptop' });
  expect(auditActor({ id: 'env:admin', scopes: ['admin'], name: 'MC_ADMIN_KEY' })).toEqual({ keyId: null, name: 'MC_ADMIN_KEY' });
  expect(auditActor({ id: 'key:3', scopes: ['admin'] })).toEqual({ keyId: '3', name: 'key:3' });
});

test('the entry carries the action, the target as text and the details', async () => {
  const written: NewAuditEntry[] = [];
  const log = { error: () => undefined } as unknown as FastifyBaseLogger;
  await recordAudit(
    { audit: { record: async (entry) => void written.push(entry) } },
    { principal: { id: 'env:admin', scopes: ['admin'], name: 'MC_ADMIN_KEY' }, log },
    { action: 'event.redrive', target: { type: 'event', id: 7001n }, details: { generation: 1 } },
  );
  expect(written).toEqual([
    { actor: { keyId: null, name: 'MC_ADMIN_KEY' }, action: 'event.redrive', target: { type: 'event', id: '7001' }, details: { generation: 1 } },
  ]);
});

test('a failed audit write is logged with the whole entry, never thrown at the change that succeeded', async () => {
  const logged: unknown[] = [];
  const log = { error: (obj: unknown) => void logged.push(obj) } as unknown as FastifyBaseLogger;
  await expect(
    recordAudit(
      { audit: { record: async () => Promise.reject(new Error('connection lost')) } },
      { principal: { id: 'key:4', scopes: ['admin'], name: 'ci' }, log },
      { action: 'template.publish', target: { type: 'template', id: 't-1' } },
    ),
  ).resolves.toBeUndefined();
  expect(logged).toEqual([
    expect.objectContaining({ audit: { actor: { keyId: '4', name: 'ci' }, action: 'template.publish', target: { type: 'template', id: 't-1' } } }),
  ]);
});
