/**
 * The ingest process: reads the config once, builds the app, listens, and on SIGTERM/SIGINT
 * stops accepting requests, finishes those in flight and closes its connections.
 */
import { loadConfigOrExit } from '@mc/config';
import { createLogger, createIngestMetrics } from '@mc/observability';
import { requireMigrations } from '@mc/db';
import { createIngestContext } from './context';
import { buildApp } from './app';
import { feedbackIntakeFor } from './feedback/feedback-intake';
import { startFeedbackSmtpServer, type FeedbackSmtpServer } from './feedback/feedback-smtp.server';

/** How long requests in flight may take to finish after SIGTERM. */
const SHUTDOWN_GRACE_MS = 10_000;

async function main(): Promise<void> {
  const config = loadConfigOrExit('ingest');
  const logger = createLogger({ name: 'ingest', level: config.logLevel });
  for (const warning of config.warnings) logger.warn(warning);
  const metrics = createIngestMetrics();
  // Not one request against a schema this build does not match: "run npm run migrate" instead.
  await requireMigrations({ databaseUrl: config.databaseUrl, warn: (message) => logger.warn(message) });
  const ctx = await createIngestContext(config, logger, metrics);
  const app = await buildApp({ ctx, logger, metrics });

  let bounceListener: FeedbackSmtpServer | undefined;
  let closing = false;
  const shutdown = async (signal: string) => {
    if (closing) return;
    closing = true;
    logger.info({ signal }, 'shutting down');
    // Clients holding idle keep-alive connections would keep close() waiting: drop each
    // connection as soon as it is idle, and all of them after the grace period.
    const sweep = setInterval(() => app.server.closeIdleConnections(), 100);
    const deadline = setTimeout(() => app.server.closeAllConnections(), SHUTDOWN_GRACE_MS);
    await Promise.all([app.close(), bounceListener?.close()]);
    clearInterval(sweep);
    clearTimeout(deadline);
    await ctx.close();
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));

  await app.listen({ port: config.port, host: config.host });
  // The bounce mail listener, for an MX of BOUNCE_DOMAIN to point at (config requires the domain with the port).
  if (config.feedback.smtpPort !== undefined && config.feedback.bounce) {
    bounceListener = await startFeedbackSmtpServer({
      port: config.feedback.smtpPort,
      host: config.host,
      verp: config.feedback.bounce,
      intake: feedbackIntakeFor(ctx, logger, metrics),
      logger,
    });
    logger.info({ port: bounceListener.port, domain: config.feedback.bounce.domain }, 'bounce mail listener started');
  }
  if (!config.adminKey && !config.ingestKey) {
    logger.warn('no MC_ADMIN_KEY or MC_INGEST_KEY set: only keys stored in the database are accepted');
  }
}

main().catch((error) => {
  process.stderr.write(`ingest: failed to start: ${(error as Error).message}\n`);
  process.exit(1);
});
