/**
 * The bounce mail listener (FEEDBACK_SMTP_PORT): an SMTP server a real MX for BOUNCE_DOMAIN
 * can point at. It takes mail only for VERP addresses of that domain whose signature verifies
 * (a forged one is refused at RCPT TO, before any data) and for postmaster@/abuse@ there (RFC
 * 5321 and ARF reports go to those); each message goes to the same intake as
 * POST /v1/feedback/email, with the envelope recipients as the first place its VERP address is
 * looked for.
 */
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { DomainError, verifyVerpAddress, type VerpSettings } from '@mc/core';
import type { Logger } from '@mc/observability';
import type { FeedbackIntake } from './feedback-intake';

export interface FeedbackSmtpOptions {
  port: number;
  host: string;
  verp: VerpSettings;
  intake: Pick<FeedbackIntake, 'acceptMail'>;
  logger: Logger;
  /** Largest message taken. @defaultValue 10 MiB */
  maxBytes?: number;
}

export interface FeedbackSmtpServer {
  port: number;
  close(): Promise<void>;
}

const ROLE_ACCOUNTS = ['postmaster', 'abuse'];

const reply = (code: number, message: string) => Object.assign(new Error(message), { responseCode: code });

export async function startFeedbackSmtpServer(options: FeedbackSmtpOptions): Promise<FeedbackSmtpServer> {
  const domain = options.verp.domain.toLowerCase();
  const maxBytes = options.maxBytes ?? 10 * 1024 * 1024;
  const server = new SMTPServer({
    name: domain,
    banner: 'Message Center bounce intake',
    // No certificate of our own to offer (smtp-server's built-in one is a published test key):
    // plain SMTP, as bounces carry nothing the sender's MTA did not already send in clear.
    disabledCommands: ['AUTH', 'STARTTLS'],
    disableReverseLookup: true,
    logger: false,
    size: maxBytes,
    onRcptTo(address, _session, callback) {
      const verdict = verifyVerpAddress(address.address, options.verp);
      if (verdict.kind === 'verified') return callback();
      if (verdict.kind === 'forged') return callback(reply(550, '5.7.1 This VERP address does not verify'));
      const [local = '', at = ''] = address.address.toLowerCase().split('@');
      if (at !== domain) return callback(reply(550, `5.7.1 Relaying denied: only mail for ${domain} is taken here`));
      if (ROLE_ACCOUNTS.includes(local)) return callback();
      return callback(reply(550, '5.1.1 No such mailbox'));
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        if ((stream as unknown as { sizeExceeded?: boolean }).sizeExceeded) {
          return callback(reply(552, `5.3.4 Message larger than ${maxBytes} bytes`));
        }
        const recipients = session.envelope.rcptTo.map((rcpt) => rcpt.address);
        options.intake.acceptMail(Buffer.concat(chunks), 'smtp', recipients).then(
          (result) => callback(null, `2.0.0 Ok: ${result.outcome}${result.eventId ? ` (event ${result.eventId})` : ''}`),
          (error: unknown) => {
            if (error instanceof DomainError && error.code !== 'unavailable') return callback(reply(550, `5.6.0 ${error.message}`));
            // Ours to fix (the database is down): the sending MTA keeps the message and retries.
            options.logger.error({ err: error }, 'bounce mail could not be processed; answered 451');
            return callback(reply(451, '4.3.0 Temporarily unable to process the report; try again later'));
          },
        );
      });
    },
  });
  server.on('error', (error) => options.logger.warn({ err: error }, 'bounce listener connection error'));
  await new Promise<void>((resolve, reject) => {
    server.server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.server.address() as AddressInfo;
  return {
    port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
