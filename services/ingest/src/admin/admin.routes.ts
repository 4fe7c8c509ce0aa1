/** Admin API: API keys and the suppression list. */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { CHANNELS } from '@mc/core';
import { API_KEY_SCOPES, type ApiKeyRecord, type SuppressionRecord } from '@mc/db';
import type { IngestContext } from '../context';
import { recordAudit } from '../audit/audit-trail';

const ChannelSchema = Type.Union(CHANNELS.map((c) => Type.Literal(c)));

const ApiKeyView = Type.Object({
  id: Type.Integer(),
  name: Type.String(),
  prefix: Type.String(),
  scopes: Type.Array(Type.String()),
  createdAt: Type.String({ format: 'date-time' }),
  lastUsedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  revokedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
});

const SuppressionView = Type.Object({
  id: Type.Integer(),
  channel: ChannelSchema,
  address: Type.String(),
  reason: Type.String(),
  source: Type.Union([Type.String(), Type.Null()]),
  createdAt: Type.String({ format: 'date-time' }),
});

const keyView = (row: ApiKeyRecord) => ({
  ...row,
  createdAt: row.createdAt.toISOString(),
  lastUsedAt: row.lastUsedAt?.toISOString() ?? null,
  revokedAt: row.revokedAt?.toISOString() ?? null,
});

const suppressionView = (row: SuppressionRecord) => ({ ...row, createdAt: row.createdAt.toISOString() });

export const adminRoutes: FastifyPluginAsyncTypebox<{ ctx: IngestContext }> = async (app, { ctx }) => {
  app.post(
    '/v1/api-keys',
    {
      config: { auth: 'admin' },
      schema: {
        tags: ['api keys'],
        summary: 'Create an API key; the key is shown in this response only',
        body: Type.Object(
          {
            name: Type.String({ minLength: 1, maxLength: 200 }),
            scopes: Type.Array(Type.Union(API_KEY_SCOPES.map((s) => Type.Literal(s))), { minItems: 1, uniqueItems: true }),
          },
          { additionalProperties: false },
        ),
        response: { 201: Type.Composite([ApiKeyView, Type.Object({ key: Type.String() })]) },
      },
    },
    async (request, reply) => {
      const { key, record } = await ctx.apiKeys.create(request.body.name, request.body.scopes);
      ctx.keys.forgetUnknown(key); // usable at once here, even if it was tried (and cached unknown) before
      await recordAudit(ctx, request, {
        action: 'apiKey.create',
        target: { type: 'apiKey', id: record.id },
        details: { name: record.name, scopes: record.scopes, prefix: record.prefix },
      });
      return reply.code(201).send({ ...keyView(record), key });
    },
  );

  app.get(
    '/v1/api-keys',
    { config: { auth: 'admin' }, schema: { tags: ['api keys'], response: { 200: Type.Object({ items: Type.Array(ApiKeyView) }) } } },
    async () => ({ items: (await ctx.apiKeys.list()).map(keyView) }),
  );

  app.delete(
    '/v1/api-keys/:id',
    { config: { auth: 'admin' }, schema: { tags: ['api keys'], summary: 'Revoke a key', params: Type.Object({ id: Type.Integer() }) } },
    async (request, reply) => {
      await ctx.apiKeys.revoke(request.params.id);
      ctx.keys.invalidate();
      await recordAudit(ctx, request, { action: 'apiKey.revoke', target: { type: 'apiKey', id: request.params.id } });
      return reply.code(204).send();
    },
  );

  app.get(
    '/v1/suppressions',
    {
      config: { auth: 'admin' },
      schema: {
        tags: ['suppressions'],
        querystring: Type.Object({
          channel: Type.Optional(ChannelSchema),
          address: Type.Optional(Type.String()),
          limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
        }),
        response: { 200: Type.Object({ items: Type.Array(SuppressionView) }) },
      },
    },
    async (request) => ({ items: (await ctx.suppressions.list(request.query)).map(suppressionView) }),
  );

  app.post(
    '/v1/suppressions',
    {
      config: { auth: 'admin' },
      schema: {
        tags: ['suppressions'],
        body: Type.Object(
          {
            address: Type.String({ minLength: 1, maxLength: 2000 }),
            channel: ChannelSchema,
            reason: Type.String({ minLength: 1, maxLength: 500 }),
          },
          { additionalProperties: false },
        ),
        response: { 201: SuppressionView },
      },
    },
    async (request, reply) => {
      const row = await ctx.suppressions.add({ ...request.body, source: 'admin' });
      await recordAudit(ctx, request, {
        action: 'suppression.add',
        target: { type: 'suppression', id: row.id },
        details: { channel: row.channel, address: row.address, reason: row.reason },
      });
      return reply.code(201).send(suppressionView(row));
    },
  );

  app.delete(
    '/v1/suppressions/:id',
    { config: { auth: 'admin' }, schema: { tags: ['suppressions'], params: Type.Object({ id: Type.Integer() }) } },
    async (request, reply) => {
      await ctx.suppressions.remove(request.params.id);
      await recordAudit(ctx, request, { action: 'suppression.remove', target: { type: 'suppression', id: request.params.id } });
      return reply.code(204).send();
    },
  );
};
