/**
 * Acts on bounces and complaints, whichever door they came through (SES via SNS, mail over
 * HTTP, the SMTP listener): finds the event's email delivery, then — each step conditional,
 * so a repeated report changes nothing —
 * - a permanent bounce suppresses the address and the event becomes `bounced`;
 * - a complaint suppresses it and the event becomes `complained`;
 * - a transient failure is only noted on the delivery's attempt log.
 * Statuses only move forward (EventsRepository.recordFeedback applies the state machine).
 */
import { DomainError, verifyVerpAddress, type VerpSettings } from '@mc/core';
import { FeedbackRepository, type EventsRepository, type FeedbackTarget } from '@mc/db';
import type { IngestMetrics, Logger } from '@mc/observability';
import type { IngestContext } from '../context';
import { parseFeedbackMail, type FeedbackEffect } from './feedback-mail';

export type FeedbackSource = 'ses' | 'mail' | 'smtp';

export interface FeedbackResult {
  /** `applied`: something changed; `unchanged`: a repeat, or too late to matter; `ignored`: nothing to act on. */
  outcome: 'applied' | 'unchanged' | 'ignored';
  effect: FeedbackEffect;
  eventId?: string;
  /** The event's status after the report. */
  status?: string;
}

/** One report about one delivery, as the doors hand it over. */
export interface FeedbackReport {
  effect: FeedbackEffect;
  reason: string;
  /** The report's identity: a repeat with the same id is not noted twice. */
  feedbackId: string;
  source: FeedbackSource;
}

export interface FeedbackIntakeOptions {
  events: Pick<EventsRepository, 'recordFeedback'>;
  feedback: FeedbackRepository;
  /** BOUNCE_DOMAIN + VERP_SECRET; without them mailed reports cannot be matched. */
  verp?: VerpSettings;
  metrics?: Pick<IngestMetrics, 'eventsFinished' | 'feedbackReports'>;
  logger: Logger;
}

export class FeedbackIntake {
  constructor(private readonly options: FeedbackIntakeOptions) {}

  /**
   * A DSN or ARF report as raw RFC 5322 mail. `envelopeRecipients` (SMTP RCPT TO) are the
   * first places its VERP address is looked for. Throws a DomainError when the mail cannot be
   * acted on: no bounce domain configured, not a report, no VERP address of ours, or one that
   * does not verify (forged), or an event we no longer have.
   */
  async acceptMail(raw: Buffer, source: 'mail' | 'smtp', envelopeRecipients: readonly string[] = []): Promise<FeedbackResult> {
    const verp = this.options.verp;
    if (!verp) {
      this.count(source, 'none', 'refused');
      throw new DomainError(
        'unprocessable',
        'BOUNCE_DOMAIN is not set: outgoing mail carries no VERP envelope sender, so a mailed bounce or complaint cannot be matched to an event. Set BOUNCE_DOMAIN and VERP_SECRET.',
      );
    }
    const mail = await parseFeedbackMail(raw);
    if (mail.type === 'other') {
      this.count(source, 'none', 'refused');
      throw new DomainError('unprocessable', 'The message is neither a delivery status notification (multipart/report; report-type=delivery-status) nor an ARF feedback report.');
    }
    let forged: string | undefined;
    let eventId: string | undefined;
    for (const candidate of [...envelopeRecipients, ...mail.verpCandidates]) {
      const verdict = verifyVerpAddress(candidate, verp);
      if (verdict.kind === 'verified') {
        eventId = verdict.eventId;
        break;
      }
      if (verdict.kind === 'forged') forged ??= verdict.address;
    }
    if (eventId === undefined) {
      this.count(source, mail.effect, 'refused');
      if (forged !== undefined) {
        this.options.logger.warn({ address: forged, source }, 'feedback mail with a VERP address that does not verify; ignored');
        throw new DomainError('unprocessable', `The VERP address ${forged} does not verify (wrong signature): the report is not acted on.`);
      }
      throw new DomainError('unprocessable', `The report names no VERP address of ${verp.domain} (envelope recipient, To, Original-Mail-From or the original's Return-Path).`);
    }
    const target = await this.options.feedback.findByEventId(BigInt(eventId));
    if (!target) {
      this.count(source, mail.effect, 'refused');
      throw new DomainError('not_found', `Event ${eventId} (or its email delivery) not found; it may have been purged.`);
    }
    return this.apply(target, { effect: mail.effect, reason: mail.reason, feedbackId: `${mail.type}:${mail.reportId}`, source });
  }

  /** A report about the delivery whose provider message id is one of `messageIds` (SES). */
  async acceptProviderReport(messageIds: readonly string[], report: FeedbackReport): Promise<FeedbackResult> {
    const target = await this.options.feedback.findByProviderMessageId(messageIds);
    if (!target) {
      // Not ours (another sender on the same SES identity) or purged: nothing to do, and no
      // reason for SNS to retry.
      this.count(report.source, report.effect, 'ignored');
      return { outcome: 'ignored', effect: report.effect };
    }
    return this.apply(target, report);
  }

  private async apply(target: FeedbackTarget, report: FeedbackReport): Promise<FeedbackResult> {
    const { feedback, events } = this.options;
    const eventId = target.eventId.toString();
    if (report.effect === 'none') {
      this.count(report.source, 'none', 'ignored');
      return { outcome: 'ignored', effect: 'none', eventId, status: target.status };
    }
    let changed = false;
    let status = target.status;
    if (report.effect === 'bounced' || report.effect === 'complained') {
      if (target.address) {
        changed = (await feedback.suppressEmail({ address: target.address, reason: report.reason, source: `feedback:${report.source}` })) || changed;
      }
      if (await events.recordFeedback(target.eventId, report.effect, report.reason)) {
        changed = true;
        status = report.effect;
        this.options.metrics?.eventsFinished.inc({ status: report.effect });
      }
    }
    const noted = await feedback.noteOnDelivery(target.eventId, {
      at: new Date().toISOString(),
      provider: `feedback:${report.source}`,
      outcome: report.effect,
      error: report.reason,
      feedbackId: report.feedbackId,
    });
    changed = noted || changed;
    const outcome = changed ? 'applied' : 'unchanged';
    this.count(report.source, report.effect, outcome);
    this.options.logger.info({ eventId, effect: report.effect, outcome, feedbackId: report.feedbackId }, 'feedback report');
    return { outcome, effect: report.effect, eventId, status };
  }

  private count(source: FeedbackSource, effect: FeedbackEffect, outcome: string): void {
    this.options.metrics?.feedbackReports.inc({ source, effect, outcome });
  }
}

/** The intake over the ingest's own connections (the HTTP routes and the SMTP listener share it). */
export function feedbackIntakeFor(
  ctx: Pick<IngestContext, 'config' | 'events' | 'prisma'>,
  logger: Logger,
  metrics?: Pick<IngestMetrics, 'eventsFinished' | 'feedbackReports'>,
): FeedbackIntake {
  return new FeedbackIntake({
    events: ctx.events,
    feedback: new FeedbackRepository(ctx.prisma),
    ...(ctx.config.feedback.bounce ? { verp: ctx.config.feedback.bounce } : {}),
    ...(metrics ? { metrics } : {}),
    logger,
  });
}
