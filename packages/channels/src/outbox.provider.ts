/**
 * The development outbox: used when no SMTP server is configured, it builds the exact MIME
 * message SMTP would carry and drops it as an `.eml` file into a directory, where a person
 * (or the ingest service's outbox page) can open it. An ordinary provider chosen by
 * configuration, so the worker's code path is the same as in production.
 */
import { mkdir, readdir, rename, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createTransport } from 'nodemailer';
import type { EmailMessage, Provider, SendOutcome } from './provider';
import { errorText } from './error-text';
import { mailOptions, type SenderSettings } from './mail-options';
import { sendableMail } from './compose-mail';

export interface OutboxProviderOptions {
  /** Directory the `.eml` files go to; created on first send if missing. */
  dir: string;
  /** @defaultValue `outbox` */
  name?: string;
  /** VERP envelope and DKIM signing, as SMTP would apply them. @defaultValue none */
  sender?: SenderSettings;
}

export interface OutboxEntry {
  /** File name inside the outbox directory. */
  file: string;
  size: number;
  mtime: Date;
}

export function createOutboxProvider(options: OutboxProviderOptions): Provider<EmailMessage> {
  const name = options.name ?? 'outbox';
  // streamTransport + buffer hands back the composed RFC 5322 message instead of sending it.
  const transport = createTransport({ streamTransport: true, buffer: true, newline: 'windows' });
  let dirReady: Promise<unknown> | undefined;

  return {
    name,
    channel: 'email',
    async send(message: EmailMessage): Promise<SendOutcome> {
      const mail = mailOptions(message, options.sender);
      if (!mail.ok) return { kind: 'permanent', provider: name, error: mail.error };
      try {
        const { mail: sendable, messageId } = sendableMail(mail.options);
        // A composed message is already the file's content (CRLF line endings, as the transport
        // would write them); only a DKIM signature needs nodemailer's pipeline.
        let content: Buffer | string;
        let id: string;
        if (messageId !== undefined && !sendable.dkim && typeof sendable.raw === 'string') {
          content = sendable.raw;
          id = messageId;
        } else {
          const info = await transport.sendMail(sendable);
          content = info.message as Buffer;
          id = messageId ?? info.messageId;
        }
        dirReady ??= mkdir(options.dir, { recursive: true });
        await dirReady;
        const file = join(options.dir, `${fileStamp(new Date())}-${safeId(id)}.eml`);
        // Written under a temporary name and renamed, so the outbox page never lists a half-written file.
        await writeFile(`${file}.tmp`, content);
        await rename(`${file}.tmp`, file);
        return { kind: 'sent', provider: name, providerMessageId: id };
      } catch (err) {
        // A full disk or a permission problem is the machine's, not the message's.
        dirReady = undefined;
        return { kind: 'transient', provider: name, error: errorText(err) };
      }
    },
    async close(): Promise<void> {
      transport.close();
    },
  };
}

/** The outbox's `.eml` files, newest first. An outbox that does not exist yet is empty. */
export async function listOutbox(dir: string): Promise<OutboxEntry[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  const entries = await Promise.all(
    names
      .filter((file) => file.endsWith('.eml'))
      .map(async (file): Promise<OutboxEntry | undefined> => {
        try {
          const info = await stat(join(dir, file));
          return info.isFile() ? { file, size: info.size, mtime: info.mtime } : undefined;
        } catch {
          return undefined; // removed between readdir and stat
        }
      }),
  );
  return entries
    .filter((entry): entry is OutboxEntry => entry !== undefined)
    .sort((a, b) => b.mtime.getTime() - a.mtime.getTime() || (a.file < b.file ? 1 : a.file > b.file ? -1 : 0));
}

/** `2024-05-01T12-30-00-123Z`: sorts by time as text, and is a legal file name everywhere. */
function fileStamp(date: Date): string {
  return date.toISOString().replace(/[:.]/g, '-');
}

function safeId(messageId: string): string {
  return messageId.replace(/^<|>$/g, '').replace(/[^A-Za-z0-9._-]+/g, '_').slice(0, 120) || 'message';
}
