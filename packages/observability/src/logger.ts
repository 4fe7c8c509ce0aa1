/**
 * The pino logger every process uses. Secrets never reach the log: keys, passwords, tokens
 * and connection strings are redacted wherever they appear in a logged object.
 */
import pino, { type Logger } from 'pino';

export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'headers.authorization',
  '*.authorization',
  '*.password',
  '*.pass',
  '*.apiKey',
  '*.key',
  '*.privateKey',
  '*.sessiontoken',
  '*.smtpUrl',
  '*.databaseUrl',
  '*.redisUrl',
  'adminKey',
  'ingestKey',
  'password',
  'sessiontoken',
];

export function createLogger(options: { name: string; level: string }): Logger {
  return pino({
    name: options.name,
    level: options.level,
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
  });
}

/** A URL safe to log: credentials removed. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.username || parsed.password) {
      parsed.username = parsed.username ? '***' : '';
      parsed.password = '';
    }
    return parsed.toString();
  } catch {
    return '[unparseable url]';
  }
}

export type { Logger };
