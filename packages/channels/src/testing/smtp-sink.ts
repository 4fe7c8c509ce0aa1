/**
 * An SMTP server for tests (smtp-server on a random loopback port) that keeps what it
 * receives, parsed with mailparser, and refuses recipients on demand, so providers are
 * tested against the real protocol rather than a mock of our own code.
 */
import type { AddressInfo } from 'node:net';
import { SMTPServer, type SMTPServerSession } from 'smtp-server';
import { simpleParser, type ParsedMail } from 'mailparser';
import { waitFor } from './wait-for';

export interface SmtpReply {
  /** SMTP reply code, e.g. 421, 451, 550, 554. */
  code: number;
  /** Reply text, enhanced status code first when there is one (`5.1.1 User unknown`). */
  message: string;
}

/** Where the sink can refuse: a recipient at RCPT TO, or the whole message after DATA. */
export type SmtpStage = 'rcpt' | 'data';

/** Decides the sink's answer; undefined accepts. */
export type SmtpReplyPolicy = (stage: SmtpStage, recipient: string) => SmtpReply | undefined;

export interface ReceivedMail {
  envelope: { mailFrom: string; rcptTo: string[] };
  raw: Buffer;
  parsed: ParsedMail;
}

export interface SmtpSinkOptions {
  /** @defaultValue {@link replyByLocalPart} */
  reply?: SmtpReplyPolicy;
  /**
   * Loopback port to listen on; a test that stops a sink (connections refused) and starts it
   * again passes the old port, so a provider sees its relay come back. @defaultValue a free port
   */
  port?: number;
}

export interface SmtpSink {
  readonly host: string;
  readonly port: number;
  /** `smtp://127.0.0.1:<port>`, ready for the SMTP provider. */
  readonly url: string;
  /** Accepted messages, in arrival order. */
  readonly messages: ReceivedMail[];
  /** Number of SMTP connections opened so far (to observe pooling). */
  readonly connectionCount: number;
  waitForMessages(count: number, timeoutMs?: number): Promise<ReceivedMail[]>;
  close(): Promise<void>;
}

const CANNED: Record<number, string> = {
  421: '4.7.0 Try again later, closing connection',
  450: '4.2.1 Mailbox busy, try again later',
  451: '4.3.0 Local error in processing, try again later',
  452: '4.2.2 Insufficient system storage',
  550: '5.1.1 Recipient address rejected: User unknown',
  551: '5.1.6 User not local',
  552: '5.2.2 Mailbox full',
  553: '5.1.3 Mailbox name not allowed',
  554: '5.7.1 Message rejected by policy',
};

/**
 * The default policy, driven by the recipient's local part, so one sink serves every case:
 * `reject-<code>@…` is refused at RCPT TO, `reject-data-<code>@…` after DATA (a `+tag`
 * suffix is ignored); anything else is accepted.
 */
export const replyByLocalPart: SmtpReplyPolicy = (stage, recipient) => {
  const local = (recipient.split('@')[0] ?? '').split('+')[0] ?? '';
  const match = /^reject-(data-)?(\d{3})$/i.exec(local);
  if (!match?.[2] || (stage === 'data') !== Boolean(match[1])) return undefined;
  const code = Number(match[2]);
  return { code, message: CANNED[code] ?? `${code >= 500 ? '5' : '4'}.0.0 Refused by test sink` };
};

export async function startSmtpSink(options: SmtpSinkOptions = {}): Promise<SmtpSink> {
  const policy = options.reply ?? replyByLocalPart;
  const messages: ReceivedMail[] = [];
  let connectionCount = 0;

  const refusal = (reply: SmtpReply) => Object.assign(new Error(reply.message), { responseCode: reply.code });

  const server = new SMTPServer({
    // Plain SMTP on loopback: nodemailer would otherwise upgrade with STARTTLS to the
    // server's self-signed certificate and (rightly) refuse it.
    secure: false,
    disabledCommands: ['STARTTLS'],
    disableReverseLookup: true,
    authOptional: true,
    allowInsecureAuth: true,
    logger: false,
    closeTimeout: 500,
    size: 25 * 1024 * 1024,
    onAuth(auth, _session, callback) {
      callback(null, { user: auth.username ?? 'test' });
    },
    onConnect(_session, callback) {
      connectionCount += 1;
      callback();
    },
    onRcptTo(address, _session, callback) {
      const reply = policy('rcpt', address.address);
      callback(reply ? refusal(reply) : null);
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        const envelope = envelopeOf(session);
        const reply = envelope.rcptTo.map((rcpt) => policy('data', rcpt)).find((r) => r !== undefined);
        if (reply) return callback(refusal(reply));
        const raw = Buffer.concat(chunks);
        // Parsed before answering, so a message is listed by the time the client sees 250.
        simpleParser(raw).then(
          (parsed) => {
            messages.push({ envelope, raw, parsed });
            callback(null, `2.0.0 Ok: queued as Q${messages.length}`);
          },
          (err: Error) => callback(Object.assign(err, { responseCode: 554 })),
        );
      });
    },
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  // smtp-server reports socket errors of clients that hang up; they are not test failures.
  server.on('error', () => undefined);
  const { port } = server.server.address() as AddressInfo;

  return {
    host: '127.0.0.1',
    port,
    url: `smtp://127.0.0.1:${port}`,
    messages,
    get connectionCount() {
      return connectionCount;
    },
    waitForMessages: (count, timeoutMs = 5000) => waitFor(() => messages, count, timeoutMs, 'messages'),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

function envelopeOf(session: SMTPServerSession): ReceivedMail['envelope'] {
  const from = session.envelope.mailFrom;
  return {
    mailFrom: from ? from.address : '',
    rcptTo: session.envelope.rcptTo.map((rcpt) => rcpt.address),
  };
}
