import { mkdtemp, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { simpleParser } from 'mailparser';
import { createOutboxProvider, listOutbox } from './outbox.provider';

describe('outbox provider', () => {
  let root: string;
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'mc-outbox-'));
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('writes a parseable .eml (creating the directory) and reports its Message-ID', async () => {
    const dir = join(root, 'not', 'yet', 'there');
    const provider = createOutboxProvider({ dir });
    const outcome = await provider.send({
      from: 'Shop <shop@example.test>',
      to: 'ada@example.test',
      subject: 'Réinitialisation du mot de passe',
      html: '<p>Click <a href="https://example.test/r">here</a></p>',
      text: 'Open https://example.test/r',
      headers: { 'X-Event-Id': '42' },
    });
    await provider.close();

    expect(outcome).toEqual({ kind: 'sent', provider: 'outbox', providerMessageId: expect.stringMatching(/^<.+>$/) });
    const [entry, ...others] = await listOutbox(dir);
    expect(others).toEqual([]);
    expect(entry?.file).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}-\d{3}Z-[A-Za-z0-9._-]+\.eml$/);

    const raw = await readFile(join(dir, entry!.file));
    expect(entry!.size).toBe(raw.length);
    expect(raw.includes('\r\n')).toBe(true);
    const mail = await simpleParser(raw);
    expect(mail.subject).toBe('Réinitialisation du mot de passe');
    expect(mail.html).toContain('<a href="https://example.test/r">here</a>');
    expect(mail.text?.trim()).toBe('Open https://example.test/r');
    expect(mail.to && !Array.isArray(mail.to) ? mail.to.text : '').toBe('ada@example.test');
    expect(mail.headers.get('x-event-id')).toBe('42');
    expect(mail.messageId).toBe(outcome.kind === 'sent' ? outcome.providerMessageId : undefined);
  });

  it('writes the same bytes the transport would, composed or signed', async () => {
    const { generateKeyPairSync } = await import('node:crypto');
    const { createTransport } = await import('nodemailer');
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 1024 });
    const dkim = { domainName: 'example.test', keySelector: 'mc1', privateKey: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString() };
    const message = { from: 'Shop <shop@example.test>', to: 'ada@example.test', subject: 'Grüße', html: '<p>é</p>', text: 'é', eventId: '9' };
    for (const [dir, sender] of [[join(root, 'plain'), undefined], [join(root, 'signed'), { dkim }]] as const) {
      const provider = createOutboxProvider({ dir, ...(sender ? { sender } : {}) });
      expect(await provider.send(message)).toMatchObject({ kind: 'sent' });
      const [entry] = await listOutbox(dir);
      const raw = await readFile(join(dir, entry!.file));
      // What the stream transport makes of the file's own content: nothing changes.
      const again = await createTransport({ streamTransport: true, buffer: true, newline: 'windows' }).sendMail({
        envelope: { from: 'shop@example.test', to: ['ada@example.test'] },
        raw,
      });
      expect((again.message as Buffer).toString()).toBe(raw.toString());
      expect(raw.toString().startsWith('DKIM-Signature:')).toBe(sender !== undefined);
      expect((await simpleParser(raw)).text).toBe('é');
    }
  });

  it('lists newest first and ignores other files; a missing outbox is empty', async () => {
    expect(await listOutbox(join(root, 'missing'))).toEqual([]);
    const provider = createOutboxProvider({ dir: root });
    const base = { from: 'a@example.test', to: 'b@example.test', html: '<p>x</p>', text: 'x' };
    for (const subject of ['first', 'second', 'third']) await provider.send({ ...base, subject });
    await provider.close();
    await writeFile(join(root, 'notes.txt'), 'not mail');
    await writeFile(join(root, 'half-written.eml.tmp'), 'partial');
    const files = (await listOutbox(root)).map((e) => e.file);
    expect(files).toHaveLength(3);
    // Make the order depend on mtime, not on names written in the same millisecond.
    const oldest = files[2]!;
    await utimes(join(root, oldest), new Date(), new Date(Date.now() + 60_000));
    const listed = await listOutbox(root);
    expect(listed[0]?.file).toBe(oldest);
    expect(listed.every((e, i, all) => i === 0 || all[i - 1]!.mtime >= e.mtime)).toBe(true);
  });

  it('reports a directory it cannot create as transient', async () => {
    await writeFile(join(root, 'a-file'), 'not a directory');
    const provider = createOutboxProvider({ dir: join(root, 'a-file', 'outbox') });
    const outcome = await provider.send({ from: 'a@example.test', to: 'b@example.test', subject: 's', html: '', text: 'x' });
    expect(outcome).toMatchObject({ kind: 'transient', provider: 'outbox' });
  });
});
