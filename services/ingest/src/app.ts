/**
 * Builds the ingest service as a Fastify app without listening, so tests can `inject()`
 * requests. server.ts owns the process: config, logger, listen, graceful shutdown.
 */
import type { Agent } from 'node:https';
import Fastify, { type FastifyBaseLogger } from 'fastify';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Logger, IngestMetrics } from '@mc/observability';
import type { IngestContext } from './context';
import { registerAuth } from './plugins/auth';
import { registerErrorHandling } from './plugins/errors';
import { eventsRoutes } from './events/events.routes';
import { eventTypesRoutes } from './event-types/event-types.routes';
import { templatesRoutes } from './templates/templates.routes';
import { adminRoutes } from './admin/admin.routes';
import { opsRoutes } from './ops/ops.routes';
import { outboxRoutes } from './outbox/outbox.routes';
import { consoleRoutes } from './console/console.routes';
import { soapRoutes } from './soap';
import { feedbackRoutes } from './feedback/feedback.routes';
import { feedbackIntakeFor } from './feedback/feedback-intake';
import { webhookEndpointsRoutes } from './webhooks/webhook-endpoints.routes';
import { consoleAppRoutes } from './console/console-app.routes';
import { validatorCompiler } from './http/validator-compiler';
import { registerJsonBodyParser } from './http/json-body-parser';
import { answerClientError } from './http/client-error';
import { registerRequestLog, requestLogOptions } from './http/request-log';

export interface AppOptions {
  ctx: IngestContext;
  logger: Logger;
  metrics: IngestMetrics;
  /** Carries SNS certificate and SubscribeURL downloads; tests pass one reaching a local server. */
  snsAgent?: Agent;
}

export async function buildApp({ ctx, logger, metrics, snsAgent }: AppOptions) {
  const app = Fastify({
    loggerInstance: logger as FastifyBaseLogger,
    bodyLimit: ctx.config.ingest.bodyLimitBytes,
    // Off unless TRUST_PROXY names the proxies in front: otherwise any client could pick the
    // address that logs show and that failed authentications are counted against.
    trustProxy: trustProxyOption(ctx.config.ingest.trustProxy),
    clientErrorHandler: answerClientError,
    // One line per answered request, at info for refusals, failures and slow ones (request-log.ts).
    ...requestLogOptions,
  }).withTypeProvider<TypeBoxTypeProvider>();

  // No type coercion in JSON bodies; querystring/params/headers may read numbers from text.
  app.setValidatorCompiler(validatorCompiler);
  registerJsonBodyParser(app);

  // The JSON API takes JSON only: without this, text/plain bodies would reach validation.
  app.removeContentTypeParser('text/plain');
  registerErrorHandling(app);
  registerAuth(app, { keys: ctx.keys, failures: ctx.authFailures });
  registerRequestLog(app);

  // A callback hook: an async one cost a promise per request, for what is rare work.
  app.addHook('onResponse', (request, reply, done) => {
    if (reply.statusCode >= 400) {
      const route = request.routeOptions.url;
      if (route === '/v1/events' || route === '/v1/events/batch') metrics.eventsRejected.inc({ reason: String(reply.statusCode) });
    }
    done();
  });

  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Message Center',
        description: 'Transactional messaging: push events, get personalized email, SMS and push out.',
        version: '1',
      },
      components: { securitySchemes: { apiKey: { type: 'http', scheme: 'bearer' } } },
      security: [{ apiKey: [] }],
    },
  });
  // The UI's own routes carry no auth config; they are documentation, open to all.
  app.addHook('onRoute', (route) => {
    if (route.url.startsWith('/docs')) route.config = { ...(route.config ?? {}), auth: 'public' };
  });
  await app.register(swaggerUi, { routePrefix: '/docs', uiConfig: { docExpansion: 'list' } });

  await app.register(eventsRoutes, { ctx });
  await app.register(eventTypesRoutes, { ctx });
  await app.register(templatesRoutes, { ctx });
  await app.register(adminRoutes, { ctx });
  await app.register(webhookEndpointsRoutes, { ctx });
  await app.register(opsRoutes, { ctx, metrics });
  await app.register(consoleRoutes, { ctx });
  if (!ctx.config.smtpUrl) await app.register(outboxRoutes, { ctx });
  await app.register(feedbackRoutes, {
    intake: feedbackIntakeFor(ctx, logger, metrics),
    snsTopicArns: ctx.config.feedback.snsTopicArns,
    ...(snsAgent ? { snsAgent } : {}),
  });
  await app.register(consoleAppRoutes, { prefix: '/console' });
  await app.register(soapRoutes, {
    intake: ctx.intake,
    verifyApiKey: (key: string) => ctx.keys.verify(key),
    operators: ctx.config.soapOperators,
    bodyLimitBytes: ctx.config.ingest.bodyLimitBytes,
    eventTypes: ctx.catalog,
    authFailures: ctx.authFailures,
  });

  return app;
}

/**
 * TRUST_PROXY as Fastify's trustProxy. A hop count becomes a function trusting that many hops
 * nearest the socket: Fastify 5.12 reads a bare number as "trust nothing" (it cannot check the
 * peer), and a hop count is for deployments where only the proxies can reach the service.
 * A list is copied, as the config is frozen.
 */
export function trustProxyOption(value: boolean | number | readonly string[]): boolean | string[] | ((address: string, hop: number) => boolean) {
  if (typeof value === 'boolean') return value;
  if (typeof value === 'number') return (_address, hop) => hop < value;
  return [...value];
}
