/** The events API: push one event or a batch, read an event's status, list, re-drive. */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { Job } from 'bullmq';
import { DomainError, OPEN_STATUSES, RETRYABLE_STATUSES, conflict, invalid, notFound, parseEventId, LANES } from '@mc/core';
import {
  BatchAccepted,
  EventAccepted,
  EventIdParams,
  EventInput,
  EventListQuery,
  EventPage,
  EventView,
  MAX_BATCH_EVENTS,
  DELIVER_JOB,
  eventJobId,
  IDEMPOTENCY_KEY_PATTERN,
  type EventJob,
} from '@mc/contracts';
import { queueOfEvent } from '@mc/redis';
import type { IngestContext } from '../context';
import { recordAudit } from '../audit/audit-trail';
import { recipientAddress } from './recipient-address';
import { eventView, queuedEventView, queueState } from './event-views';
import { ProblemError } from '../http/problems';
import { validatorCompiler } from '../http/validator-compiler';

/** IETF Idempotency-Key: visible ASCII (inner spaces allowed), at most 255 characters. */
const IdempotencyKeyHeader = Type.String({
  minLength: 1,
  maxLength: 255,
  pattern: IDEMPOTENCY_KEY_PATTERN,
  description: 'A repeat within the TTL answers the first id; the same key with a different body is refused with 422.',
});

/** Node joins a repeated header into one value ("a, b"): a key sent twice is refused by name. */
function refuseRepeatedHeader(rawHeaders: readonly string[], name: string): void {
  let count = 0;
  for (let i = 0; i < rawHeaders.length; i += 2) {
    // Lower-cased only when the length matches: most headers are dismissed without a copy.
    const header = rawHeaders[i]!;
    if (header.length === name.length && header.toLowerCase() === name) count++;
  }
  if (count > 1) throw invalid(`The ${name} header was sent ${count} times; send it once.`, [{ path: `headers/${name}`, message: 'sent more than once' }]);
}

export const eventsRoutes: FastifyPluginAsyncTypebox<{ ctx: IngestContext }> = async (app, { ctx }) => {
  app.post(
    '/v1/events',
    {
      config: { auth: 'events:write' },
      // The body is judged by the intake exactly like a batch item (same schema, same checker,
      // same messages); the schema stays declared for the OpenAPI document.
      validatorCompiler: (route) => (route.httpPart === 'body' ? () => true : validatorCompiler(route)),
      schema: {
        tags: ['events'],
        summary: 'Push one event (real-time lane)',
        headers: Type.Object({ 'idempotency-key': Type.Optional(IdempotencyKeyHeader) }),
        body: EventInput,
        response: { 202: EventAccepted },
      },
    },
    async (request, reply) => {
      refuseRepeatedHeader(request.raw.rawHeaders, 'idempotency-key');
      const body = request.body as unknown;
      const inBody = typeof body === 'object' && body !== null ? (body as { idempotencyKey?: unknown }).idempotencyKey : undefined;
      const idempotencyKey = request.headers['idempotency-key'] ?? (typeof inBody === 'string' ? inBody : undefined);
      const [result] = await ctx.intake.accept([{ event: body, idempotencyKey }], 'realtime', request.principal!.id);
      if (!result!.ok) {
        // Pointers name the body (`body/email`) or the header, as Fastify's own validation
        // does; ctx-schema paths (`ctx.items.0.name`) stay as the event type's schema names them.
        const errors = result!.problem.errors?.map((e) => ({
          ...e,
          path:
            e.path === '/idempotencyKey' && request.headers['idempotency-key'] !== undefined
              ? 'headers/idempotency-key'
              : e.path === '/'
                ? 'body'
                : e.path.startsWith('/')
                  ? `body${e.path}`
                  : e.path,
        }));
        throw new ProblemError({ ...result!.problem, ...(errors ? { errors } : {}) });
      }
      return reply.code(202).send({ id: result!.id, status: 'pending' as const });
    },
  );

  app.post(
    '/v1/events/batch',
    {
      config: { auth: 'events:write' },
      schema: {
        tags: ['events'],
        summary: `Push up to ${MAX_BATCH_EVENTS} events (batch lane); each item is judged on its own`,
        description: 'Each item is an event (see POST /v1/events) and may carry its own `idempotencyKey`.',
        // Items are checked one by one by the intake, so one bad item does not sink the batch.
        body: Type.Object(
          { events: Type.Array(Type.Unknown(), { minItems: 1, maxItems: MAX_BATCH_EVENTS }) },
          { additionalProperties: false },
        ),
        response: { 202: BatchAccepted },
      },
    },
    async (request, reply) => {
      const items = request.body.events.map((event) => {
        const key = typeof event === 'object' && event !== null ? (event as { idempotencyKey?: unknown }).idempotencyKey : undefined;
        return { event, idempotencyKey: typeof key === 'string' ? key : undefined };
      });
      const results = await ctx.intake.accept(items, 'batch', request.principal!.id);
      let accepted = 0;
      const body = results.map((result, index) => {
        if (result.ok) {
          accepted++;
          return { index, id: result.id, status: 'pending' as const };
        }
        // Paths inside an item are prefixed with its place in the batch.
        const errors = result.problem.errors?.map((e) => ({
          ...e,
          path: `/events/${index}${e.path === '/' ? '' : e.path.startsWith('/') ? e.path : `/${e.path}`}`,
        }));
        return { index, error: { ...result.problem, ...(errors ? { errors } : {}) } };
      });
      return reply.code(202).send({ accepted, rejected: results.length - accepted, results: body });
    },
  );

  app.get(
    '/v1/events/:id',
    {
      config: { auth: 'events:write' },
      schema: { tags: ['events'], summary: "An event's status and delivery log", params: EventIdParams, response: { 200: EventView } },
    },
    async (request) => {
      const id = parseEventId(request.params.id);
      if (id === undefined) throw notFound(`Event "${request.params.id}"`);
      const stored = await ctx.events.find(id);
      if (stored) {
        // An open event also shows where its job really is (waiting, delayed until, active, failed).
        if (!OPEN_STATUSES.has(stored.status)) return eventView(stored);
        const queue = queueOfEvent(ctx.queues, stored.lane, stored.id);
        const job = (await queue.getJob(eventJobId(stored.id.toString(), stored.generation))) as Job<EventJob> | undefined;
        return eventView(stored, await queueState(ctx.redis, queue, job));
      }
      for (const lane of LANES) {
        const queue = queueOfEvent(ctx.queues, lane, id);
        const job = (await queue.getJob(eventJobId(id.toString()))) as Job<EventJob> | undefined;
        if (job) return queuedEventView(job, await queueState(ctx.redis, queue, job));
      }
      throw notFound(`Event "${request.params.id}"`);
    },
  );

  app.get(
    '/v1/events',
    {
      config: { auth: 'events:write' },
      schema: {
        tags: ['events'],
        summary: 'Events, newest first, one page at a time',
        querystring: EventListQuery,
        response: { 200: EventPage },
      },
    },
    async (request) => {
      const q = request.query;
      const before = q.cursor === undefined ? undefined : parseEventId(q.cursor);
      if (q.cursor !== undefined && before === undefined) {
        throw invalid('Bad cursor', [{ path: 'querystring/cursor', message: 'use nextCursor from the previous page' }]);
      }
      const limit = q.limit ?? 50;
      const rows = await ctx.events.list({
        type: q.type,
        status: q.status,
        externalId: q.externalId,
        recipient: q.recipient === undefined ? undefined : recipientAddress(q.recipient),
        since: q.since ? new Date(q.since) : undefined,
        until: q.until ? new Date(q.until) : undefined,
        before,
        limit,
      });
      const items = rows.map((row) => {
        const { deliveries: _omit, payload: _heavy, ...rest } = eventView(row);
        return rest;
      });
      return { items, nextCursor: rows.length === limit ? rows[rows.length - 1]!.id.toString() : null };
    },
  );

  app.post(
    '/v1/events/:id/retry',
    {
      config: { auth: 'admin' },
      schema: {
        tags: ['events'],
        summary: 'Re-drive an event that ended routingFailed, targetingFailed or deliveryFailed (409 otherwise)',
        params: EventIdParams,
        response: { 202: EventAccepted },
      },
    },
    async (request, reply) => {
      const id = parseEventId(request.params.id);
      if (id === undefined) throw notFound(`Event "${request.params.id}"`);
      // One conditional transition: of concurrent re-drives exactly one moves the event to the
      // next generation; the others find it pending and answer 409.
      const event = await ctx.events.redrive(id);
      if (!event) {
        const current = await ctx.events.find(id);
        if (!current) throw notFound(`Event "${request.params.id}"`);
        throw conflict(`An event in status ${current.status} cannot be re-driven (only ${[...RETRYABLE_STATUSES].join(', ')})`);
      }
      const job: EventJob = {
        v: 1,
        id: event.id.toString(),
        lane: event.lane,
        acceptedAt: event.createdAt.toISOString(),
        channel: event.channel ?? 'email',
        event: event.payload as EventJob['event'],
        generation: event.generation,
        redrivenAt: new Date().toISOString(),
      };
      const scheduled = event.scheduledAt ? event.scheduledAt.getTime() - Date.now() : 0;
      try {
        // Idempotent by the generation's job id: a repeat (or the sweeper, after a crash right
        // here) adds nothing twice.
        await queueOfEvent(ctx.queues, event.lane, event.id).add(DELIVER_JOB, job, {
          jobId: eventJobId(job.id, event.generation),
          attempts: ctx.config.worker.retry[job.channel].attempts,
          backoff: { type: 'jittered' },
          ...(scheduled > 0 ? { delay: scheduled } : {}),
        });
      } catch {
        // A 5xx means nothing was re-driven: back to where it was. Should that fail too, the
        // event waits pending in its new generation and the worker's sweeper enqueues it.
        await ctx.events.undoRedrive(event).catch(() => undefined);
        throw new DomainError('unavailable', 'The event queue is unreachable; the event was not re-driven.');
      }
      await recordAudit(ctx, request, {
        action: 'event.redrive',
        target: { type: 'event', id: job.id },
        details: { generation: event.generation, priorStatus: event.priorStatus },
      });
      return reply.code(202).send({ id: job.id, status: 'pending' as const });
    },
  );
};
