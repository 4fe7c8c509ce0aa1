/**
 * What the operator console reads beyond the public API: an event's message as it was sent,
 * the audit log of admin changes, and the queues' counts. Admin only.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { DomainError, LANES, invalid, notFound, parseEventId, unprocessable } from '@mc/core';
import { EventIdParams, eventRenderScope, type EventJob } from '@mc/contracts';
import { EventMessagesRepository } from '@mc/db';
import type { IngestContext } from '../context';
import type { CompiledTemplate } from '@mc/render';
import { loadRender } from '../lazy-modules';
import { DASHBOARD_PATH } from '../ops/ops.routes';

const ChannelSchema = Type.Union([Type.Literal('email'), Type.Literal('sms'), Type.Literal('push')]);

export const EventMessageView = Type.Object({
  channel: ChannelSchema,
  templateVersion: Type.Integer({ description: 'The version of the template the event was rendered with.' }),
  subject: Type.Optional(Type.String()),
  html: Type.Optional(Type.String()),
  text: Type.Optional(Type.String()),
  from: Type.Optional(Type.String()),
  replyTo: Type.Optional(Type.String()),
  title: Type.Optional(Type.String()),
  body: Type.Optional(Type.String()),
  url: Type.Optional(Type.String()),
  icon: Type.Optional(Type.String()),
  data: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
});

export const AuditEntryView = Type.Object({
  id: Type.String(),
  at: Type.String({ format: 'date-time' }),
  actor: Type.Object({ keyId: Type.Union([Type.String(), Type.Null()]), name: Type.String() }),
  action: Type.String({ description: '`<targetType>.<verb>`, e.g. template.publish, apiKey.revoke, event.redrive' }),
  target: Type.Object({ type: Type.String(), id: Type.String() }),
  details: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
});

export const AuditPage = Type.Object({
  items: Type.Array(AuditEntryView),
  nextCursor: Type.Union([Type.String(), Type.Null()]),
});

const AuditQuery = Type.Object({
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 50 })),
  cursor: Type.Optional(Type.String({ description: 'nextCursor of the previous page.' })),
  action: Type.Optional(Type.String({ maxLength: 200 })),
  targetType: Type.Optional(Type.String({ maxLength: 200 })),
  targetId: Type.Optional(Type.String({ maxLength: 2000 })),
});

const JobCounts = Type.Object({
  waiting: Type.Integer(),
  active: Type.Integer(),
  delayed: Type.Integer(),
  completed: Type.Integer(),
  failed: Type.Integer(),
  paused: Type.Integer(),
});

export const QueuesView = Type.Object({
  lanes: Type.Array(
    Type.Object({ lane: Type.Union(LANES.map((l) => Type.Literal(l))), queue: Type.String(), counts: JobCounts }),
  ),
  dashboard: Type.String({ description: 'Path of the BullMQ dashboard.' }),
});

/** A cursor is the decimal id of the last entry of the previous page. */
const CURSOR = /^[1-9]\d{0,18}$/;

export const consoleRoutes: FastifyPluginAsyncTypebox<{ ctx: IngestContext }> = async (app, { ctx }) => {
  const messages = new EventMessagesRepository(ctx.prisma);

  app.get(
    '/v1/events/:id/message',
    {
      config: { auth: 'admin' },
      schema: {
        tags: ['events'],
        summary: 'The message as it was sent: the event rendered again with the template version it used',
        description: '404 when the event is unknown or was never rendered (no template version recorded).',
        params: EventIdParams,
        response: { 200: EventMessageView },
      },
    },
    async (request) => {
      const id = parseEventId(request.params.id);
      if (id === undefined) throw notFound(`Event "${request.params.id}"`);
      const source = await messages.find(id);
      if (!source) throw notFound(`Event "${request.params.id}"`);
      const version = source.version;
      if (!version) throw notFound(`The message of event "${request.params.id}" (it was never rendered)`);
      const render = await loadRender();
      // The same renderer and scope the worker uses (template-routes.ts, delivery.processor.ts).
      const renderer = render.prepareRenderer({
        channel: version.channel,
        content: version.content,
        compiledHtml: version.compiledHtml ?? '',
        warnings: [],
      } as unknown as CompiledTemplate);
      let message: Awaited<ReturnType<typeof renderer.render>>;
      try {
        message = await renderer.render(eventRenderScope(source.payload as EventJob['event'], source.id.toString()));
      } catch (error) {
        // An event whose send failed on a template fault fails the same way again.
        if (error instanceof render.TemplateError) {
          throw unprocessable(`The message cannot be rendered (template version ${version.version}): ${error.message}`);
        }
        throw error;
      }
      const base = { channel: message.channel, templateVersion: version.version };
      switch (message.channel) {
        case 'email':
          return {
            ...base,
            subject: message.subject,
            html: message.html,
            text: message.text,
            // As the worker sends it: the template's sender, else MAIL_FROM.
            from: message.from || ctx.config.mailFrom,
            ...(message.replyTo ? { replyTo: message.replyTo } : {}),
          };
        case 'sms':
          return { ...base, text: message.text };
        case 'push':
          return {
            ...base,
            title: message.title,
            body: message.body,
            ...(message.url ? { url: message.url } : {}),
            ...(message.icon ? { icon: message.icon } : {}),
            ...(message.data ? { data: message.data } : {}),
          };
      }
    },
  );

  app.get(
    '/v1/audit',
    {
      config: { auth: 'admin' },
      schema: {
        tags: ['audit'],
        summary: 'Admin changes, newest first, one page at a time',
        querystring: AuditQuery,
        response: { 200: AuditPage },
      },
    },
    async (request) => {
      const q = request.query;
      if (q.cursor !== undefined && !CURSOR.test(q.cursor)) {
        throw invalid('Bad cursor', [{ path: 'querystring/cursor', message: 'use nextCursor from the previous page' }]);
      }
      const limit = q.limit ?? 50;
      const rows = await ctx.audit.list({
        action: q.action,
        targetType: q.targetType,
        targetId: q.targetId,
        before: q.cursor === undefined ? undefined : BigInt(q.cursor),
        limit,
      });
      return {
        items: rows.map((row) => ({
          id: row.id.toString(),
          at: row.at.toISOString(),
          actor: row.actor,
          action: row.action,
          target: row.target,
          ...(row.details ? { details: row.details } : {}),
        })),
        nextCursor: rows.length === limit ? rows[rows.length - 1]!.id.toString() : null,
      };
    },
  );

  app.get(
    '/v1/queues',
    {
      config: { auth: 'admin' },
      schema: { tags: ['operations'], summary: 'Jobs per lane and state', response: { 200: QueuesView } },
    },
    async (request) => {
      try {
        const lanes = await Promise.all(
          LANES.map(async (lane) => {
            // A lane of several shards (QUEUE_SHARDS) is counted as one: the sum of its queues.
            const shards = await Promise.all(
              ctx.queues[lane].map(async (queue) => {
                const [c, isPaused] = await Promise.all([
                  queue.getJobCounts('waiting', 'prioritized', 'active', 'delayed', 'completed', 'failed'),
                  queue.isPaused(),
                ]);
                // Prioritized jobs wait too (BullMQ keeps them in a set of their own). BullMQ 6
                // keeps the jobs of a paused queue in its wait list: they are counted as paused then.
                const waiting = (c.waiting ?? 0) + (c.prioritized ?? 0);
                return {
                  waiting: isPaused ? 0 : waiting,
                  active: c.active ?? 0,
                  delayed: c.delayed ?? 0,
                  completed: c.completed ?? 0,
                  failed: c.failed ?? 0,
                  paused: isPaused ? waiting : 0,
                };
              }),
            );
            const counts = { waiting: 0, active: 0, delayed: 0, completed: 0, failed: 0, paused: 0 };
            for (const shard of shards) for (const state of Object.keys(counts) as (keyof typeof counts)[]) counts[state] += shard[state];
            return { lane, queue: ctx.queues[lane].map((queue) => queue.name).join(','), counts };
          }),
        );
        return { lanes, dashboard: DASHBOARD_PATH };
      } catch (error) {
        request.log.error({ err: error }, 'queue counts could not be read; answered unavailable');
        throw new DomainError('unavailable', 'The queues cannot be read right now; try again shortly.');
      }
    },
  );
};
