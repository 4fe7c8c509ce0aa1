/** Operations: liveness, readiness, Prometheus metrics, and the BullMQ dashboard. */
import type { FastifyInstance, FastifyPluginAsync } from 'fastify';
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { FastifyAdapter } from '@bull-board/fastify';
import type { IngestMetrics } from '@mc/observability';
import type { IngestContext } from '../context';
import { makeProblem } from '../http/problems';

export const DASHBOARD_PATH = '/admin/queues';

export const opsRoutes: FastifyPluginAsync<{ ctx: IngestContext; metrics: IngestMetrics }> = async (app, { ctx, metrics }) => {
  app.get('/healthz', { config: { auth: 'public' }, schema: { tags: ['operations'], summary: 'The process is alive' } }, async () => ({
    status: 'ok',
  }));

  app.get(
    '/readyz',
    { config: { auth: 'public' }, schema: { tags: ['operations'], summary: 'Redis and Postgres are reachable' } },
    async (_request, reply) => {
      const [redis, postgres] = await Promise.all([
        withTimeout(ctx.redis.ping().then(() => true), 2000),
        withTimeout(ctx.prisma.$queryRaw`SELECT 1`.then(() => true), 2000),
      ]);
      if (redis && postgres) return { status: 'ready', redis: 'up', postgres: 'up' };
      const down = [redis ? '' : 'Redis', postgres ? '' : 'Postgres'].filter(Boolean).join(' and ');
      return reply
        .code(503)
        .type('application/problem+json')
        .send({ ...makeProblem(503, 'not-ready', 'Not ready', `${down} unreachable`), redis: redis ? 'up' : 'down', postgres: postgres ? 'up' : 'down' });
    },
  );

  app.get('/metrics', { config: { auth: 'admin' }, schema: { tags: ['operations'], summary: 'Prometheus metrics' } }, async (_request, reply) => {
    reply.type(metrics.registry.contentType);
    return metrics.registry.metrics();
  });

  await app.register(dashboard, { ctx });
};

/** bull-board, admin only. Browsers may send the admin key as the Basic-auth password. */
async function dashboard(app: FastifyInstance, { ctx }: { ctx: IngestContext }): Promise<void> {
  const serverAdapter = new FastifyAdapter();
  serverAdapter.setBasePath(DASHBOARD_PATH);
  createBullBoard({
    queues: Object.values(ctx.queues).map((queue) => new BullMQAdapter(queue)),
    serverAdapter,
  });
  await app.register(serverAdapter.registerPlugin() as never, { prefix: DASHBOARD_PATH });
}

async function withTimeout(work: Promise<boolean>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
  try {
    return await Promise.race([work.catch(() => false), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
