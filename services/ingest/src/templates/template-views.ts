/** Maps template rows to API views, and template faults to 422 problems. */
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { invalid, unprocessable, type Channel } from '@mc/core';
import { EmailContent, PushContent, SmsContent } from '@mc/contracts';
import type { TemplateRecord, VersionRecord } from '@mc/db';
import { loadRender } from '../lazy-modules';

const contentCheckers = {
  email: TypeCompiler.Compile(EmailContent),
  sms: TypeCompiler.Compile(SmsContent),
  push: TypeCompiler.Compile(PushContent),
};

/** Checks content against its channel's schema, naming each bad field under /content. */
export function checkContent(channel: Channel, content: unknown, at = 'body/content'): void {
  const checker = contentCheckers[channel];
  if (checker.Check(content)) return;
  const errors = [...checker.Errors(content)].slice(0, 20).map((e) => ({ path: `${at}${e.path}`, message: e.message }));
  throw invalid(`The ${channel} content is invalid`, errors);
}

export function templateView(row: TemplateRecord) {
  return {
    id: row.id,
    eventType: row.eventType,
    channel: row.channel,
    locale: row.locale,
    name: row.name,
    content: row.content,
    testData: row.testData,
    seedAddresses: row.seedAddresses,
    state: row.state,
    publishedVersion: row.publishedVersion,
    latestVersion: row.latestVersion,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

export function versionView(row: VersionRecord & { published: boolean }) {
  return {
    version: row.version,
    templateId: row.templateId,
    createdAt: row.createdAt.toISOString(),
    published: row.published,
    content: row.content,
    warnings: row.warnings as { field: string; message: string; line?: number }[],
  };
}

/** Runs template work, turning a TemplateError into a 422 naming field, line and column (and the limit, for a TemplateRenderError). */
export async function withTemplateErrors<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    const render = await loadRender();
    if (error instanceof render.TemplateError) {
      const where = [error.line !== undefined ? `line ${error.line}` : '', error.column !== undefined ? `column ${error.column}` : '']
        .filter(Boolean)
        .join(', ');
      // A resource limit hit with the test data would be hit by every send of similar data.
      const what =
        error instanceof render.TemplateRenderError
          ? `The template exceeds the ${error.limit} render limit with its test data`
          : 'The template does not compile';
      throw unprocessable(`${what}: ${error.field}${where ? ` (${where})` : ''}: ${error.message}`, [
        {
          path: `content/${error.field}`,
          message: error.message,
          ...(error.line !== undefined ? { line: error.line } : {}),
          ...(error.column !== undefined ? { column: error.column } : {}),
        } as { path: string; message: string },
      ]);
    }
    throw error;
  }
}
