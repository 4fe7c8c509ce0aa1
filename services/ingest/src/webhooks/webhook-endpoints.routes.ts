/**
 * Admin API of status webhooks (Standard Webhooks): endpoints, their secrets (shown once, at
 * create and at rotation; stored sealed under SECRETS_KEY), the delivery log, replays and test
 * messages. Deliveries themselves are the worker's (the `webhooks` queue).
 */
import { randomBytes } from 'node:crypto';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { DomainError, checkOutboundUrl, conflict, notFound, unprocessable } from '@mc/core';
import { WEBHOOK_EVENT_STATUSES, type WebhookEndpointRecord, type WebhookMessageRecord } from '@mc/db';
import type { IngestContext } from '../context';

/** The message types an endpoint may filter on: `event.<status>`. */
export const WEBHOOK_MESSAGE_TYPES = WEBHOOK_EVENT_STATUSES.map((status) => `event.${status}`);
/** The type of the message `POST …/test` sends (whatever the endpoint's filter). */
export const WEBHOOK_TEST_TYPE = 'webhook.test';

const MessageType = Type.Union(WEBHOOK_MESSAGE_TYPES.map((t) => Type.Literal(t)));
const Url = Type.String({ minLength: 1, maxLength: 2000 });
const Description = Type.Union([Type.String({ maxLength: 500 }), Type.Null()]);
const Events = Type.Array(MessageType, { uniqueItems: true, description: 'Message types to send; empty or absent: all.' });
const date = Type.String({ format: 'date-time' });
const nullableDate = Type.Union([date, Type.Null()]);

const EndpointView = Type.Object({
  id: Type.Integer(),
  url: Type.String(),
  description: Type.Union([Type.String(), Type.Null()]),
  events: Type.Array(Type.String()),
  enabled: Type.Boolean(),
  disabledReason: Type.Union([Type.String(), Type.Null()]),
  /** Until when the secret before the last rotation still signs too. */
  previousSecretExpiresAt: nullableDate,
  failingSince: nullableDate,
  createdAt: date,
  updatedAt: date,
});
const WithSecret = Type.Composite([EndpointView, Type.Object({ secret: Type.String({ description: 'whsec_…; shown in this response only' }) })]);

const DeliveryView = Type.Object({
  id: Type.String(),
  /** The `webhook-id` header: the same on every attempt and replay. */
  webhookId: Type.String(),
  type: Type.String(),
  status: Type.Union([Type.Literal('pending'), Type.Literal('delivered'), Type.Literal('failed')]),
  attempts: Type.Integer(),
  replays: Type.Integer(),
  responseCode: Type.Union([Type.Integer(), Type.Null()]),
  error: Type.Union([Type.String(), Type.Null()]),
  lastAttemptAt: nullableDate,
  nextAttemptAt: nullableDate,
  deliveredAt: nullableDate,
  createdAt: date,
  payload: Type.Record(Type.String(), Type.Unknown()),
});

const EndpointParams = Type.Object({ id: Type.Integer({ minimum: 1 }) });
const DeliveryParams = Type.Object({ id: Type.Integer({ minimum: 1 }), deliveryId: Type.String({ pattern: '^[0-9]{1,19}$' }) });

const iso = (d: Date | null) => d?.toISOString() ?? null;
const endpointView = (row: WebhookEndpointRecord) => ({
  id: row.id,
  url: row.url,
  description: row.description,
  events: row.types,
  enabled: row.enabled,
  disabledReason: row.disabledReason,
  previousSecretExpiresAt: row.previousSecret ? iso(row.previousSecretExpiresAt) : null,
  failingSince: iso(row.failingSince),
  createdAt: row.createdAt.toISOString(),
  updatedAt: row.updatedAt.toISOString(),
});
const deliveryView = (row: WebhookMessageRecord) => ({
  id: row.id.toString(),
  webhookId: `msg_${row.id}`,
  type: row.type,
  status: row.status,
  attempts: row.attempts,
  replays: row.replays,
  responseCode: row.responseCode,
  error: row.error,
  lastAttemptAt: iso(row.lastAttemptAt),
  nextAttemptAt: iso(row.nextAttemptAt),
  deliveredAt: iso(row.deliveredAt),
  createdAt: row.createdAt.toISOString(),
  payload: row.payload,
});

/** A fresh Standard Webhooks secret: `whsec_` and 32 random bytes in base64. */
const newSecret = () => `whsec_${randomBytes(32).toString('base64')}`;

export const webhookEndpointsRoutes: FastifyPluginAsyncTypebox<{ ctx: IngestContext }> = async (app, { ctx }) => {
  const tags = ['webhooks'];
  const seal = (secret: string) => {
    if (!ctx.secretBox) {
      throw new DomainError('unavailable', 'SECRETS_KEY is not set, so webhook secrets cannot be stored; set it (32 bytes, base64 or hex) and restart');
    }
    return ctx.secretBox.seal(secret);
  };
  /** The outbound policy at the door; each send checks again (the policy may change). */
  const checkUrl = (url: string) => {
    const refusal = checkOutboundUrl(url, ctx.config.outbound, { httpWhenExempt: true });
    if (refusal) throw unprocessable(refusal, [{ path: '/url', message: refusal }]);
  };
  const endpointOf = async (id: number) => {
    const endpoint = await ctx.webhooks.findEndpoint(id);
    if (!endpoint) throw notFound(`Webhook endpoint ${id}`);
    return endpoint;
  };

  app.post(
    '/v1/webhook-endpoints',
    {
      config: { auth: 'admin' },
      schema: {
        tags,
        summary: 'Create a webhook endpoint; its secret is shown in this response only',
        body: Type.Object({ url: Url, events: Type.Optional(Events), description: Type.Optional(Description) }, { additionalProperties: false }),
        response: { 201: WithSecret },
      },
    },
    async (request, reply) => {
      checkUrl(request.body.url);
      const secret = newSecret();
      const row = await ctx.webhooks.createEndpoint({
        url: request.body.url,
        description: request.body.description ?? null,
        types: request.body.events ?? [],
        secret: seal(secret),
      });
      return reply.code(201).send({ ...endpointView(row), secret });
    },
  );

  app.get(
    '/v1/webhook-endpoints',
    { config: { auth: 'admin' }, schema: { tags, response: { 200: Type.Object({ items: Type.Array(EndpointView) }) } } },
    async () => ({ items: (await ctx.webhooks.listEndpoints()).map(endpointView) }),
  );

  app.get(
    '/v1/webhook-endpoints/:id',
    { config: { auth: 'admin' }, schema: { tags, params: EndpointParams, response: { 200: EndpointView } } },
    async (request) => endpointView(await endpointOf(request.params.id)),
  );

  app.patch(
    '/v1/webhook-endpoints/:id',
    {
      config: { auth: 'admin' },
      schema: {
        tags,
        params: EndpointParams,
        body: Type.Object(
          { url: Type.Optional(Url), events: Type.Optional(Events), description: Type.Optional(Description) },
          { additionalProperties: false, minProperties: 1 },
        ),
        response: { 200: EndpointView },
      },
    },
    async (request) => {
      if (request.body.url !== undefined) checkUrl(request.body.url);
      const row = await ctx.webhooks.updateEndpoint(request.params.id, {
        ...(request.body.url !== undefined ? { url: request.body.url } : {}),
        ...(request.body.events !== undefined ? { types: request.body.events } : {}),
        ...(request.body.description !== undefined ? { description: request.body.description } : {}),
      });
      return endpointView(row);
    },
  );

  app.delete(
    '/v1/webhook-endpoints/:id',
    { config: { auth: 'admin' }, schema: { tags, summary: 'Delete an endpoint and its delivery log', params: EndpointParams } },
    async (request, reply) => {
      await ctx.webhooks.deleteEndpoint(request.params.id);
      return reply.code(204).send();
    },
  );

  app.post(
    '/v1/webhook-endpoints/:id/enable',
    { config: { auth: 'admin' }, schema: { tags, params: EndpointParams, response: { 200: EndpointView } } },
    async (request) => endpointView(await ctx.webhooks.setEnabled(request.params.id, true, null)),
  );

  app.post(
    '/v1/webhook-endpoints/:id/disable',
    { config: { auth: 'admin' }, schema: { tags, params: EndpointParams, response: { 200: EndpointView } } },
    async (request) => endpointView(await ctx.webhooks.setEnabled(request.params.id, false, 'Disabled by an operator')),
  );

  app.post(
    '/v1/webhook-endpoints/:id/rotate-secret',
    {
      config: { auth: 'admin' },
      schema: {
        tags,
        summary: 'Rotate the secret: the new one is shown once; the old one also signs for 24 hours',
        params: EndpointParams,
        response: { 200: WithSecret },
      },
    },
    async (request) => {
      const secret = newSecret();
      const until = new Date(Date.now() + ctx.config.webhooks.rotationOverlapMs);
      const row = await ctx.webhooks.rotateSecret(request.params.id, seal(secret), until);
      return { ...endpointView(row), secret };
    },
  );

  app.post(
    '/v1/webhook-endpoints/:id/test',
    {
      config: { auth: 'admin' },
      schema: { tags, summary: `Send a ${WEBHOOK_TEST_TYPE} message to the endpoint`, params: EndpointParams, response: { 202: DeliveryView } },
    },
    async (request, reply) => {
      const endpoint = await endpointOf(request.params.id);
      if (!endpoint.enabled) throw conflict(`Webhook endpoint ${endpoint.id} is disabled; enable it first`);
      const now = new Date().toISOString();
      const message = await ctx.webhooks.addMessage(endpoint.id, WEBHOOK_TEST_TYPE, {
        type: WEBHOOK_TEST_TYPE,
        timestamp: now,
        data: { endpointId: endpoint.id, time: now },
      });
      await ctx.enqueueWebhooks([message]);
      return reply.code(202).send(deliveryView(message));
    },
  );

  app.get(
    '/v1/webhook-endpoints/:id/deliveries',
    {
      config: { auth: 'admin' },
      schema: {
        tags,
        summary: 'The delivery log, newest first',
        params: EndpointParams,
        querystring: Type.Object({
          limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500 })),
          before: Type.Optional(Type.String({ pattern: '^[0-9]{1,19}$', description: 'id of the last delivery of the previous page' })),
        }),
        response: { 200: Type.Object({ items: Type.Array(DeliveryView) }) },
      },
    },
    async (request) => {
      await endpointOf(request.params.id);
      const rows = await ctx.webhooks.listMessages(request.params.id, {
        limit: request.query.limit ?? 50,
        ...(request.query.before ? { before: BigInt(request.query.before) } : {}),
      });
      return { items: rows.map(deliveryView) };
    },
  );

  app.post(
    '/v1/webhook-endpoints/:id/deliveries/:deliveryId/replay',
    {
      config: { auth: 'admin' },
      schema: { tags, summary: 'Send a delivery again (same webhook-id)', params: DeliveryParams, response: { 202: DeliveryView } },
    },
    async (request, reply) => {
      const endpoint = await endpointOf(request.params.id);
      if (!endpoint.enabled) throw conflict(`Webhook endpoint ${endpoint.id} is disabled; enable it first`);
      const id = BigInt(request.params.deliveryId);
      const found = await ctx.webhooks.findMessage(id);
      if (!found || found.endpointId !== endpoint.id) throw notFound(`Delivery ${request.params.deliveryId} of webhook endpoint ${endpoint.id}`);
      if (found.status === 'pending') throw conflict(`Delivery ${id} is still being delivered; replay it once it has ended`);
      const message = await ctx.webhooks.replay(endpoint.id, id);
      if (!message) throw notFound(`Delivery ${request.params.deliveryId} of webhook endpoint ${endpoint.id}`);
      await ctx.enqueueWebhooks([message]);
      return reply.code(202).send(deliveryView(message));
    },
  );
};
