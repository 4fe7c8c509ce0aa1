/**
 * What the ingest logs per request, and what that costs when nothing is logged.
 *
 * One line per request, when it has been answered (Fastify's own pair of "incoming request" /
 * "request completed" lines is off): `{ reqId, method, path, status, ms, principal }`, message
 * `request`. At `info` when the answer is a 4xx/5xx or took at least {@link SLOW_REQUEST_MS};
 * other 2xx/3xx lines are at `debug`. An operator at the default level thus sees every refusal,
 * failure and slow request, with who sent it, without one or two lines for each of thousands of
 * accepted events a second (the accepted events are in the queue and in Postgres, and the
 * request rate is in /metrics); LOG_LEVEL=debug shows every request. The path is logged without
 * its query string, and never headers or bodies, so no key or personal data reaches the log.
 *
 * Each request's logger (`request.log`, bound to its reqId) is made only when something is
 * logged at an enabled level: pino's `child()` for every request cost 2 % of a single POST.
 */
import { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { Bindings, ChildLoggerOptions, Level, LevelWithSilentOrString } from 'pino';

/** A request that took this long is logged at info whatever its status. */
export const SLOW_REQUEST_MS = 1000;

const LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace'] as const;

/** pino's loggers answer it; Fastify's logger type does not declare it. */
type LevelAware = FastifyBaseLogger & { isLevelEnabled(level: string): boolean };

/**
 * Stands in for `parent.child(bindings)`: the child is made on the first call that logs at a
 * level the parent has enabled; calls below the level cost one check and make nothing.
 */
export class DeferredChildLogger {
  private made: FastifyBaseLogger | undefined;

  constructor(
    private readonly parent: FastifyBaseLogger,
    private readonly bindings: Bindings,
  ) {}

  private get real(): FastifyBaseLogger {
    return (this.made ??= this.parent.child(this.bindings));
  }

  get level(): LevelWithSilentOrString {
    return this.made?.level ?? this.parent.level;
  }

  set level(level: LevelWithSilentOrString) {
    this.real.level = level;
  }

  isLevelEnabled(level: string): boolean {
    return ((this.made ?? this.parent) as LevelAware).isLevelEnabled(level);
  }

  child(bindings: Bindings, options?: ChildLoggerOptions): FastifyBaseLogger {
    return this.real.child(bindings, options);
  }

  silent(): void {}

  declare fatal: FastifyBaseLogger['fatal'];
  declare error: FastifyBaseLogger['error'];
  declare warn: FastifyBaseLogger['warn'];
  declare info: FastifyBaseLogger['info'];
  declare debug: FastifyBaseLogger['debug'];
  declare trace: FastifyBaseLogger['trace'];
}

for (const level of LEVELS) {
  Object.defineProperty(DeferredChildLogger.prototype, level, {
    value(this: DeferredChildLogger, ...args: unknown[]) {
      if (!this.isLevelEnabled(level)) return;
      const real = (this as unknown as { real: Record<Level, (...a: unknown[]) => void> }).real;
      real[level](...args);
    },
  });
}

/** Fastify options for the request logging described above. */
export const requestLogOptions = {
  logController: new LogController({ disableRequestLogging: true }),
  childLoggerFactory(logger: FastifyBaseLogger, bindings: Bindings, options: ChildLoggerOptions): FastifyBaseLogger {
    // A route with a log level or serializers of its own gets a real child at once, with them.
    if (options.level !== undefined || options.serializers !== undefined) return logger.child(bindings, options);
    return new DeferredChildLogger(logger, bindings) as unknown as FastifyBaseLogger;
  },
} as const;

/** The one completion line per request (see the module comment). */
export function registerRequestLog(app: FastifyInstance): void {
  app.addHook('onResponse', (request: FastifyRequest, reply: FastifyReply, done: () => void) => {
    const status = reply.statusCode;
    const ms = reply.elapsedTime;
    const level = status >= 400 || ms >= SLOW_REQUEST_MS ? 'info' : 'debug';
    if ((request.log as LevelAware).isLevelEnabled(level)) {
      const query = request.url.indexOf('?');
      request.log[level](
        {
          method: request.method,
          path: query < 0 ? request.url : request.url.slice(0, query),
          status,
          ms: Math.round(ms * 10) / 10,
          ...(request.principal ? { principal: request.principal.id } : {}),
        },
        'request',
      );
    }
    done();
  });
}
