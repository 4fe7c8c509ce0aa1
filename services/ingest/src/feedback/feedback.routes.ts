/**
 * Bounce and complaint intake over HTTP:
 * - `POST /v1/feedback/sns`: SES notifications through SNS. Public — its credential is the SNS
 *   signature (sns-verifier.ts) and the topic allowlist; SNS posts JSON as text/plain.
 * - `POST /v1/feedback/email` (scope `feedback`): one raw RFC 5322 message, a DSN or an ARF
 *   report, as `message/rfc822` or `text/plain`.
 * The service's JSON-only parsers stay as they are outside this plugin: the raw parsers are
 * registered inside it (Fastify encapsulation), for these two routes only.
 */
import type { Agent } from 'node:https';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { DomainError } from '@mc/core';
import { Problem } from '@mc/contracts';
import { parseJsonBody } from '../http/json-body-parser';
import type { FeedbackIntake } from './feedback-intake';
import { readSesNotification } from './ses-notification';
import { SnsVerifier } from './sns-verifier';

export interface FeedbackRoutesOptions {
  intake: FeedbackIntake;
  snsTopicArns: readonly string[];
  /** Carries SNS certificate and SubscribeURL downloads (tests reach a local server with it). */
  snsAgent?: Agent;
}

const FeedbackResultView = Type.Object({
  outcome: Type.String({ description: 'applied (something changed), unchanged (a repeat), ignored (nothing to act on), confirmed (SNS subscription)' }),
  effect: Type.Optional(Type.String({ description: 'bounced, complained, delayed or none' })),
  eventId: Type.Optional(Type.String()),
  status: Type.Optional(Type.String({ description: "the event's status after the report" })),
});

const errors = { 400: Problem, 401: Problem, 403: Problem, 404: Problem, 413: Problem, 415: Problem, 422: Problem, 503: Problem };

export const feedbackRoutes: FastifyPluginAsyncTypebox<FeedbackRoutesOptions> = async (app, options) => {
  const sns = new SnsVerifier({ topicArns: options.snsTopicArns, ...(options.snsAgent ? { agent: options.snsAgent } : {}) });
  app.addContentTypeParser(['text/plain', 'message/rfc822'], { parseAs: 'buffer' }, (_request, body, done) => done(null, body));

  app.post(
    '/v1/feedback/sns',
    {
      config: { auth: 'public' },
      schema: {
        tags: ['feedback'],
        summary: 'SES bounce and complaint notifications through SNS (signature-verified; subscription confirmations followed to SNS only)',
        security: [],
        response: { 200: FeedbackResultView, ...errors },
      },
    },
    async (request) => {
      const body = Buffer.isBuffer(request.body) ? parseJsonBody(request.body) : request.body;
      if (body === undefined) throw new DomainError('validation', 'The body is empty; send the SNS message.', [{ path: 'body', message: 'is empty' }]);
      const message = await sns.verify(body);
      if (message.Type === 'SubscriptionConfirmation') {
        await sns.confirm(message);
        request.log.info({ topic: message.TopicArn }, 'SNS subscription confirmed');
        return { outcome: 'confirmed' };
      }
      if (message.Type === 'UnsubscribeConfirmation') return { outcome: 'ignored' };
      const report = readSesNotification(message.Message);
      if (!report) return { outcome: 'ignored', effect: 'none' };
      return options.intake.acceptProviderReport(report.messageIds, {
        effect: report.effect,
        reason: report.reason,
        feedbackId: `ses:${report.feedbackId ?? message.MessageId}`,
        source: 'ses',
      });
    },
  );

  app.post(
    '/v1/feedback/email',
    {
      config: { auth: 'feedback' },
      schema: {
        tags: ['feedback'],
        summary: 'A bounce (DSN) or complaint (ARF) as a raw RFC 5322 message (message/rfc822 or text/plain); matched by its VERP address',
        response: { 200: FeedbackResultView, ...errors },
      },
    },
    async (request) => {
      if (!Buffer.isBuffer(request.body) || request.body.length === 0) {
        throw new DomainError('validation', 'Send the report as the raw message, Content-Type message/rfc822 (or text/plain).', [
          { path: 'body', message: 'is empty or not a raw message' },
        ]);
      }
      return options.intake.acceptMail(request.body, 'mail');
    },
  );
};
