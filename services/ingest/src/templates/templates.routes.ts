/**
 * Admin API: templates — design (drafts), test (preview), publish (frozen, compiled
 * versions), and the publication controls: unpublish, pause, resume, rollback.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { normalizeLocale } from '@mc/core';
import {
  PreviewRequest,
  ProofRequest,
  TemplateCreate,
  TemplateIdParams,
  TemplateListQuery,
  TemplateUpdate,
  TemplateVersionParams,
  TemplateView,
  TemplateWarning,
  VersionView,
} from '@mc/contracts';
import type { RenderScope } from '@mc/render';
import { loadRender } from '../lazy-modules';
import { unprocessable } from '@mc/core';
import type { TemplateRecord } from '@mc/db';
import { sendProof } from './proofs';
import { recordAudit } from '../audit/audit-trail';
import type { IngestContext } from '../context';
import { checkContent, templateView, versionView, withTemplateErrors } from './template-views';

const ProofResult = Type.Object({
  templateId: Type.String(),
  results: Type.Array(
    Type.Object({
      to: Type.String(),
      status: Type.Union([Type.Literal('sent'), Type.Literal('failed')]),
      provider: Type.String(),
      providerMessageId: Type.Optional(Type.String()),
      error: Type.Optional(Type.String()),
    }),
  ),
});

/** The render scope for a template's test data (or a request's), as an event would give it. */
function scopeFor(template: TemplateRecord, data: Record<string, unknown>): RenderScope {
  return {
    ...data,
    ctx: (data.ctx as Record<string, unknown> | undefined) ?? {},
    type: template.eventType,
    locale: (data.locale as string | undefined) ?? template.locale ?? undefined,
  } as RenderScope;
}

const PublishResult = Type.Object({
  templateId: Type.String(),
  version: Type.Integer(),
  state: Type.String(),
  warnings: Type.Array(TemplateWarning),
});

export const templatesRoutes: FastifyPluginAsyncTypebox<{ ctx: IngestContext }> = async (app, { ctx }) => {
  const tags = ['templates'];
  const schemaWarnings = async (template: TemplateRecord) =>
    (await loadRender()).ctxSchemaWarnings(template.content as never, (await ctx.eventTypes.get(template.eventType)).ctxSchema);
  const announce = (eventTypeId: number) =>
    ctx.announceTemplateChange({ eventTypeId }).catch((error) => app.log.warn({ err: error }, 'template change not announced'));

  app.post(
    '/v1/templates',
    { config: { auth: 'admin' }, schema: { tags, body: TemplateCreate, response: { 201: TemplateView } } },
    async (request, reply) => {
      const body = request.body;
      checkContent(body.channel, body.content);
      const created = await ctx.templates.create({
        ...body,
        locale: body.locale === undefined ? undefined : normalizeLocale(body.locale),
      });
      await recordAudit(ctx, request, {
        action: 'template.create',
        target: { type: 'template', id: created.id },
        details: { name: created.name, eventType: created.eventType, channel: created.channel, locale: created.locale },
      });
      return reply.code(201).send(templateView(created));
    },
  );

  app.get(
    '/v1/templates',
    {
      config: { auth: 'admin' },
      schema: { tags, querystring: TemplateListQuery, response: { 200: Type.Object({ items: Type.Array(TemplateView) }) } },
    },
    async (request) => ({ items: (await ctx.templates.list(request.query)).map(templateView) }),
  );

  app.get(
    '/v1/templates/:id',
    { config: { auth: 'admin' }, schema: { tags, params: TemplateIdParams, response: { 200: TemplateView } } },
    async (request) => templateView(await ctx.templates.get(request.params.id)),
  );

  app.patch(
    '/v1/templates/:id',
    {
      config: { auth: 'admin' },
      schema: { tags, summary: 'Edit the draft (published versions do not change)', params: TemplateIdParams, body: TemplateUpdate, response: { 200: TemplateView } },
    },
    async (request) => {
      const body = request.body;
      if (body.content !== undefined) {
        const current = await ctx.templates.get(request.params.id);
        checkContent(current.channel, body.content);
      }
      const updated = await ctx.templates.update(request.params.id, {
        ...body,
        locale: body.locale === undefined || body.locale === '' ? body.locale : normalizeLocale(body.locale),
      });
      await recordAudit(ctx, request, {
        action: 'template.update',
        target: { type: 'template', id: updated.id },
        details: { fields: Object.keys(body) },
      });
      return templateView(updated);
    },
  );

  app.delete(
    '/v1/templates/:id',
    { config: { auth: 'admin' }, schema: { tags, params: TemplateIdParams } },
    async (request, reply) => {
      await ctx.templates.delete(request.params.id);
      await recordAudit(ctx, request, { action: 'template.delete', target: { type: 'template', id: request.params.id } });
      return reply.code(204).send();
    },
  );

  app.post(
    '/v1/templates/:id/preview',
    {
      config: { auth: 'admin' },
      schema: {
        tags,
        summary: "Render the draft with the request's data or the template's testData",
        params: TemplateIdParams,
        body: Type.Optional(PreviewRequest),
      },
    },
    async (request) => {
      const template = await ctx.templates.get(request.params.id);
      checkContent(template.channel, template.content, 'content');
      const scope = scopeFor(template, { ...(template.testData ?? {}), ...(request.body ?? {}) });
      const preview = await withTemplateErrors(async () => (await loadRender()).previewTemplate(template.channel, template.content as never, scope));
      return { ...preview, warnings: [...preview.warnings, ...(await schemaWarnings(template))] };
    },
  );

  app.post(
    '/v1/templates/:id/test',
    {
      config: { auth: 'admin' },
      schema: {
        tags,
        summary: 'Send a proof of the draft now to seed addresses (marked as a proof, never counted as a delivery)',
        params: TemplateIdParams,
        body: Type.Optional(ProofRequest),
        response: { 200: ProofResult },
      },
    },
    async (request) => {
      const template = await ctx.templates.get(request.params.id);
      checkContent(template.channel, template.content, 'content');
      const to = request.body?.to ?? template.seedAddresses;
      if (to.length === 0) {
        throw unprocessable('No recipients: give "to" or store seedAddresses on the template', [
          { path: 'body/to', message: 'no recipients' },
        ]);
      }
      const data = { ...(template.testData ?? {}), ...(request.body?.ctx ? { ctx: request.body.ctx } : {}) };
      const rendered = await withTemplateErrors(() =>
        loadRender().then((render) => render.previewTemplate(template.channel, template.content as never, scopeFor(template, data))),
      );
      const results = await Promise.all(to.map((address) => sendProof(ctx, template, rendered as never, address)));
      await recordAudit(ctx, request, {
        action: 'template.proof',
        target: { type: 'template', id: template.id },
        details: { to, sent: results.filter((r) => r.status === 'sent').length, failed: results.filter((r) => r.status === 'failed').length },
      });
      return { templateId: template.id, results };
    },
  );

  app.post(
    '/v1/templates/:id/publish',
    {
      config: { auth: 'admin' },
      schema: { tags, summary: 'Compile and freeze the draft as a new version, and publish it', params: TemplateIdParams, response: { 201: PublishResult } },
    },
    async (request, reply) => {
      const template = await ctx.templates.get(request.params.id);
      checkContent(template.channel, template.content, 'content');
      const testData = template.testData ? scopeFor(template, template.testData) : undefined;
      const compiled = await withTemplateErrors(() =>
        loadRender().then((render) => render.compileTemplate(template.channel, template.content as never, testData ? { testData } : {})),
      );
      const warnings = [...compiled.warnings, ...(await schemaWarnings(template))];
      const version = await ctx.templates.publishNewVersion(template.id, {
        content: template.content,
        compiledHtml: compiled.channel === 'email' ? compiled.compiledHtml : null,
        warnings,
      });
      await announce(template.eventTypeId);
      await recordAudit(ctx, request, {
        action: 'template.publish',
        target: { type: 'template', id: template.id },
        details: { version: version.version },
      });
      const after = await ctx.templates.get(template.id);
      return reply.code(201).send({
        templateId: template.id,
        version: version.version,
        state: after.state,
        warnings,
      });
    },
  );

  app.post(
    '/v1/templates/:id/versions/:n/publish',
    {
      config: { auth: 'admin' },
      schema: { tags, summary: 'Publish an earlier version again (rollback)', params: TemplateVersionParams, response: { 201: PublishResult } },
    },
    async (request, reply) => {
      const version = await ctx.templates.republish(request.params.id, request.params.n);
      const after = await ctx.templates.get(request.params.id);
      await announce(after.eventTypeId);
      await recordAudit(ctx, request, {
        action: 'template.rollback',
        target: { type: 'template', id: after.id },
        details: { version: version.version },
      });
      return reply.code(201).send({
        templateId: after.id,
        version: version.version,
        state: after.state,
        warnings: version.warnings as never,
      });
    },
  );

  app.get(
    '/v1/templates/:id/proofs',
    {
      config: { auth: 'admin' },
      schema: {
        tags,
        summary: 'Proofs sent of this template, newest first',
        params: TemplateIdParams,
        response: {
          200: Type.Object({
            items: Type.Array(
              Type.Object({
                to: Type.Array(Type.String()),
                provider: Type.String(),
                providerMessageId: Type.Union([Type.String(), Type.Null()]),
                error: Type.Union([Type.String(), Type.Null()]),
                createdAt: Type.String({ format: 'date-time' }),
              }),
            ),
          }),
        },
      },
    },
    async (request) => {
      await ctx.templates.get(request.params.id);
      const proofs = await ctx.proofs.listForTemplate(request.params.id);
      return { items: proofs.map((p) => ({ ...p, createdAt: p.createdAt.toISOString() })) };
    },
  );

  app.get(
    '/v1/templates/:id/versions',
    {
      config: { auth: 'admin' },
      schema: { tags, params: TemplateIdParams, response: { 200: Type.Object({ items: Type.Array(VersionView) }) } },
    },
    async (request) => ({ items: (await ctx.templates.listVersions(request.params.id)).map(versionView) }),
  );

  for (const [action, summary] of [
    ['unpublish', 'Stop serving the template: its events then end routingFailed'],
    ['pause', 'Hold its events as pending until resumed'],
    ['resume', 'Deliver held and new events again'],
  ] as const) {
    app.post(
      `/v1/templates/:id/${action}`,
      { config: { auth: 'admin' }, schema: { tags, summary, params: TemplateIdParams, response: { 200: TemplateView } } },
      async (request) => {
        const id = request.params.id;
        const updated =
          action === 'unpublish'
            ? await ctx.templates.unpublish(id)
            : await ctx.templates.setPaused(id, action === 'pause');
        await announce(updated.eventTypeId);
        await recordAudit(ctx, request, { action: `template.${action}`, target: { type: 'template', id: updated.id } });
        return templateView(updated);
      },
    );
  }
};
