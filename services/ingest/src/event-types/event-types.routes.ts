/** Admin API: the event-type enumeration. */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { invalid } from '@mc/core';
import { EventTypeCreate, EventTypeKeyParams, EventTypeUpdate, EventTypeView } from '@mc/contracts';
import type { EventTypeRecord } from '@mc/db';
import type { IngestContext } from '../context';
import { schemaCompileError } from '../events/event-type-catalog';
import { recordAudit } from '../audit/audit-trail';

const view = (row: EventTypeRecord) => ({
  key: row.key,
  label: row.label,
  description: row.description,
  enabled: row.enabled,
  ctxSchema: row.ctxSchema,
  maxAgeSeconds: row.maxAgeSeconds,
  createdAt: row.createdAt.toISOString(),
  updatedAt: row.updatedAt.toISOString(),
});

function checkCtxSchema(schema: unknown): void {
  if (schema === undefined || schema === null) return;
  const error = schemaCompileError(schema);
  if (error) throw invalid('ctxSchema is not a valid JSON Schema', [{ path: 'body/ctxSchema', message: error }]);
}

export const eventTypesRoutes: FastifyPluginAsyncTypebox<{ ctx: IngestContext }> = async (app, { ctx }) => {
  const tags = ['event types'];

  app.post(
    '/v1/event-types',
    { config: { auth: 'admin' }, schema: { tags, body: EventTypeCreate, response: { 201: EventTypeView } } },
    async (request, reply) => {
      checkCtxSchema(request.body.ctxSchema);
      const created = await ctx.eventTypes.create(request.body);
      ctx.catalog.invalidate(created.key);
      await recordAudit(ctx, request, { action: 'eventType.create', target: { type: 'eventType', id: created.key } });
      return reply.code(201).send(view(created));
    },
  );

  app.get(
    '/v1/event-types',
    { config: { auth: 'admin' }, schema: { tags, response: { 200: Type.Object({ items: Type.Array(EventTypeView) }) } } },
    async () => ({ items: (await ctx.eventTypes.list()).map(view) }),
  );

  app.get(
    '/v1/event-types/:key',
    { config: { auth: 'admin' }, schema: { tags, params: EventTypeKeyParams, response: { 200: EventTypeView } } },
    async (request) => view(await ctx.eventTypes.get(request.params.key)),
  );

  app.patch(
    '/v1/event-types/:key',
    {
      config: { auth: 'admin' },
      schema: { tags, params: EventTypeKeyParams, body: EventTypeUpdate, response: { 200: EventTypeView } },
    },
    async (request) => {
      checkCtxSchema(request.body.ctxSchema);
      const updated = await ctx.eventTypes.update(request.params.key, request.body);
      ctx.catalog.invalidate(updated.key);
      await recordAudit(ctx, request, {
        action: 'eventType.update',
        target: { type: 'eventType', id: updated.key },
        details: { fields: Object.keys(request.body) },
      });
      return view(updated);
    },
  );

  app.delete(
    '/v1/event-types/:key',
    { config: { auth: 'admin' }, schema: { tags, params: EventTypeKeyParams } },
    async (request, reply) => {
      await ctx.eventTypes.delete(request.params.key);
      ctx.catalog.invalidate(request.params.key);
      await recordAudit(ctx, request, { action: 'eventType.delete', target: { type: 'eventType', id: request.params.key } });
      return reply.code(204).send();
    },
  );
};
