/**
 * The dev outbox viewer: when no SMTP_URL is configured the worker writes each email as an
 * .eml file; these pages list them and show each one rendered. Open without a key only while
 * the service is bound to loopback (a developer's own machine); otherwise admin only.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { FastifyPluginAsync } from 'fastify';
import { notFound } from '@mc/core';
import { isLoopback } from '@mc/config';
import { loadChannels, loadMailparser } from '../lazy-modules';
import type { IngestContext } from '../context';

const escape = (text: string) =>
  text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

const page = (title: string, body: string) =>
  `<!doctype html><html><head><meta charset="utf-8"><title>${escape(title)}</title>` +
  `<style>body{font:14px system-ui,sans-serif;margin:2rem;color:#222}table{border-collapse:collapse;width:100%}` +
  `td,th{padding:.4rem .6rem;border-bottom:1px solid #ddd;text-align:left}iframe{width:100%;height:70vh;border:1px solid #ccc}` +
  `pre{white-space:pre-wrap;background:#f6f6f6;padding:1rem}</style></head><body>${body}</body></html>`;

export const outboxRoutes: FastifyPluginAsync<{ ctx: IngestContext }> = async (app, { ctx }) => {
  const dir = ctx.config.outboxDir;
  const auth = isLoopback(ctx.config.host) ? 'public' : 'admin';

  app.get('/outbox', { config: { auth }, schema: { tags: ['dev outbox'], summary: 'Emails written by the dev outbox' } }, async (_request, reply) => {
    const [{ listOutbox }, { simpleParser }] = await Promise.all([loadChannels(), loadMailparser()]);
    const files = await listOutbox(dir);
    const rows = await Promise.all(
      files.slice(0, 200).map(async (file) => {
        const mail = await simpleParser(await readFile(path.join(dir, file.file)));
        return `<tr><td>${escape(file.mtime.toISOString())}</td><td>${escape(mail.to ? [mail.to].flat().map((a) => a.text).join(', ') : '')}</td>` +
          `<td><a href="/outbox/${encodeURIComponent(file.file)}">${escape(mail.subject ?? '(no subject)')}</a></td></tr>`;
      }),
    );
    reply.type('text/html; charset=utf-8');
    return page(
      'Outbox',
      `<h1>Outbox</h1><p>${files.length} email(s) in <code>${escape(dir)}</code>, newest first.</p>` +
        `<table><tr><th>Written</th><th>To</th><th>Subject</th></tr>${rows.join('')}</table>`,
    );
  });

  app.get<{ Params: { file: string } }>(
    '/outbox/:file',
    { config: { auth }, schema: { tags: ['dev outbox'], summary: 'One email, rendered (add ?raw=1 for the .eml)' } },
    async (request, reply) => {
      const name = path.basename(request.params.file);
      if (name !== request.params.file || !name.endsWith('.eml')) throw notFound(`Outbox file "${request.params.file}"`);
      const raw = await readFile(path.join(dir, name)).catch(() => undefined);
      if (!raw) throw notFound(`Outbox file "${name}"`);
      if ((request.query as { raw?: string }).raw) return reply.type('message/rfc822').send(raw);
      const mail = await (await loadMailparser()).simpleParser(raw);
      reply.type('text/html; charset=utf-8');
      // The email's HTML is shown in a sandboxed frame: it cannot run scripts in this page.
      return page(
        mail.subject ?? name,
        `<p><a href="/outbox">← Outbox</a> · <a href="/outbox/${encodeURIComponent(name)}?raw=1">raw .eml</a></p>` +
          `<h1>${escape(mail.subject ?? '(no subject)')}</h1>` +
          `<p><b>From</b> ${escape(mail.from?.text ?? '')}<br><b>To</b> ${escape(mail.to ? [mail.to].flat().map((a) => a.text).join(', ') : '')}</p>` +
          (mail.html ? `<iframe sandbox srcdoc="${escape(mail.html)}"></iframe>` : '') +
          `<h2>Text part</h2><pre>${escape(mail.text ?? '')}</pre>`,
      );
    },
  );
};
