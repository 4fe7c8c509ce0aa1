/** Operations: liveness, readiness, Prometheus metrics, and the BullMQ dashboard. */
import type { FastifyInstance, FastifyPluginAsync } from 'fastify';
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { FastifyAdapter } from '@bull-board/fastify';
import type { IngestMetrics } from '@mc/observability';
import { describeMissingMigrations, migrationStatus, shippedMigrations, type MigrationStatus } from '@mc/db';
import { allLaneQueues } from '@mc/redis';
import type { IngestContext } from '../context';
import { makeProblem } from '../http/problems';

export const DASHBOARD_PATH = '/admin/queues';

export const opsRoutes: FastifyPluginAsync<{ ctx: IngestContext; metrics: IngestMetrics }> = async (app, { ctx, metrics }) => {
  app.get('/healthz', { config: { auth: 'public' }, schema: { tags: ['operations'], summary: 'The process is alive' } }, async () => ({
    status: 'ok',
  }));

  // Read once: the migrations a build ships do not change while it runs.
  const shipped = await shippedMigrations();
  app.get(
    '/readyz',
    {
      config: { auth: 'public' },
      schema: { tags: ['operations'], summary: 'Redis and Postgres are reachable and every shipped migration is applied' },
    },
    async (_request, reply) => {
      // The migration query doubles as the Postgres probe, so a reset database (under a running
      // service) takes the replica out of rotation, saying what to run.
      const [redis, migrations] = await Promise.all([
        withTimeout(ctx.redis.ping().then(() => true), 2000, false),
        withTimeout<MigrationStatus | undefined>(
          migrationStatus((sql) => ctx.prisma.$queryRawUnsafe<Record<string, unknown>[]>(sql), shipped),
          2000,
          undefined,
        ),
      ]);
      const postgres = migrations !== undefined;
      const missing = migrations?.missing ?? [];
      const unknown = migrations?.unknown.length ? { unknownMigrations: migrations.unknown } : {};
      const facts = {
        redis: redis ? 'up' : 'down',
        postgres: postgres ? 'up' : 'down',
        migrations: !postgres ? 'unchecked' : missing.length > 0 ? 'missing' : 'applied',
        ...(missing.length > 0 ? { missingMigrations: missing } : {}),
        ...unknown,
      };
      if (redis && postgres && missing.length === 0) return { status: 'ready', ...facts };
      const reasons = [
        ...(redis ? [] : ['Redis unreachable']),
        ...(postgres ? [] : ['Postgres unreachable']),
        ...(missing.length > 0 ? [describeMissingMigrations(missing)] : []),
      ];
      return reply
        .code(503)
        .type('application/problem+json')
        .send({ ...makeProblem(503, 'not-ready', 'Not ready', reasons.join('; ')), ...facts });
    },
  );

  // Scope `metrics` (or admin): a Prometheus scraper, or KEDA reading queue depth through it,
  // holds a key that can read this and nothing else.
  app.get(
    '/metrics',
    { config: { auth: 'metrics' }, schema: { tags: ['operations'], summary: 'Prometheus metrics, BullMQ queue depths included' } },
    async (request, reply) => {
      // Without Redis the queue figures are left out, not the process's own: a scrape still
      // shows this replica, and the missing bullmq_* series say what is wrong. BullMQ waits for
      // its connection rather than failing, hence the bound (within Prometheus' 10 s timeout).
      const queues = await withTimeout(
        ctx.queueMetrics().catch((error: unknown) => {
          request.log.warn({ err: error }, 'queue metrics unavailable; served without them');
          return '';
        }),
        2000,
        '',
      );
      const own = await metrics.registry.metrics();
      reply.type(metrics.registry.contentType);
      return `${own.endsWith('\n') || own === '' ? own : `${own}\n`}${queues}`;
    },
  );

  await app.register(dashboard, { ctx });
};

/** bull-board, admin only. Browsers may send the admin key as the Basic-auth password. */
async function dashboard(app: FastifyInstance, { ctx }: { ctx: IngestContext }): Promise<void> {
  // bull-board's routes carry no auth of their own: declared here, for all of them.
  app.addHook('onRoute', (route) => {
    route.config = { ...(route.config ?? {}), auth: route.config?.auth ?? 'admin' };
  });
  const serverAdapter = new FastifyAdapter();
  serverAdapter.setBasePath(DASHBOARD_PATH);
  createBullBoard({
    queues: allLaneQueues(ctx.queues).map((queue) => new BullMQAdapter(queue)),
    serverAdapter,
  });
  await app.register(serverAdapter.registerPlugin() as never, { prefix: DASHBOARD_PATH });
}

async function withTimeout<T>(work: Promise<T>, ms: number, fallback: T): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<T>((resolve) => (timer = setTimeout(() => resolve(fallback), ms)));
  try {
    return await Promise.race([work.catch(() => fallback), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
