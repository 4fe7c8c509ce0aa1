/**
 * Email over SMTP through a nodemailer connection pool: one pool per provider, shared by
 * every send of the worker process, so a burst reuses a few warm connections instead of
 * paying a TCP + TLS + EHLO handshake per message.
 */
import { createTransport } from 'nodemailer';
import type { EmailMessage, Provider, SendOutcome } from './provider';
import { classifySmtpError, type SmtpErrorLike } from './classify-smtp-error';
import { mailOptions, type SenderSettings } from './mail-options';
import { sendableMail } from './compose-mail';

export interface SmtpProviderOptions {
  /** Connection URL, e.g. `smtp://127.0.0.1:2525` or `smtps://user:pass@host:465`. */
  url: string;
  /**
   * Name recorded on outcomes and used as the rate-limit key.
   * @defaultValue `smtp:<host>:<port>` from the URL
   */
  name?: string;
  /** @defaultValue 5 */
  maxConnections?: number;
  /** Waiting for the TCP connection. @defaultValue 10 000 */
  connectionTimeoutMs?: number;
  /** Waiting for the 220 greeting after connecting. @defaultValue 10 000 */
  greetingTimeoutMs?: number;
  /**
   * Inactivity allowed on an open connection; nodemailer's default (10 min) would hold a
   * worker slot far longer than the queue's own retry would wait. Longer than the connection
   * and greeting limits: a relay may scan a message for a while before answering DATA.
   * @defaultValue 30 000
   */
  socketTimeoutMs?: number;
  /** VERP envelope and DKIM signing (BOUNCE_DOMAIN, VERP_SECRET, DKIM_*). @defaultValue none */
  sender?: SenderSettings;
}

export function createSmtpProvider(options: SmtpProviderOptions): Provider<EmailMessage> {
  const name = options.name ?? defaultName(options.url);
  const transport = createTransport({
    url: options.url,
    pool: true,
    maxConnections: options.maxConnections ?? 5,
    // Connections are recycled when the server or the idle timeout closes them, not after a
    // message count: reconnecting costs latency and buys nothing with a healthy relay.
    maxMessages: Infinity,
    connectionTimeout: options.connectionTimeoutMs ?? 10_000,
    greetingTimeout: options.greetingTimeoutMs ?? 10_000,
    socketTimeout: options.socketTimeoutMs ?? 30_000,
    dnsTimeout: 10_000,
  });
  let closed = false;

  return {
    name,
    channel: 'email',
    async send(message: EmailMessage): Promise<SendOutcome> {
      if (closed) throw new Error(`${name}: send() after close()`);
      const mail = mailOptions(message, options.sender);
      if (!mail.ok) return { kind: 'permanent', provider: name, error: mail.error };
      const transaction = { recipients: mail.recipients };
      try {
        const { mail: sendable, messageId } = sendableMail(mail.options);
        const info = await transport.sendMail(sendable);
        // With one recipient an accepted send means it was taken; a partial rejection cannot
        // happen, but check rather than report a message as sent that nobody took.
        if (info.accepted.length === 0) {
          return classifySmtpError(name, { code: 'EENVELOPE', message: 'no recipient accepted', response: info.response }, transaction);
        }
        return { kind: 'sent', provider: name, providerMessageId: messageId || info.messageId || queueId(info.response) || 'unknown' };
      } catch (err) {
        return classifySmtpError(name, err as SmtpErrorLike, transaction);
      }
    },
    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      transport.close();
    },
  };
}

function defaultName(url: string): string {
  const parsed = new URL(url);
  const port = parsed.port || (parsed.protocol === 'smtps:' ? '465' : '587');
  return `smtp:${parsed.hostname}:${port}`;
}

/** `250 2.0.0 Ok: queued as 4Xyz12` → `4Xyz12` (Postfix, Exim, most relays). */
function queueId(response: string | undefined): string | undefined {
  return /queued as\s+([^\s>]+)/i.exec(response ?? '')?.[1];
}
