/**
 * Amazon SES feedback notifications (the `Message` of an SNS notification): bounces and
 * complaints, as SES's feedback notifications (`notificationType`) or event publishing
 * (`eventType`) send them. Matched to a delivery by the provider's message id.
 */
import type { FeedbackEffect } from './feedback-mail';

export interface SesReport {
  effect: FeedbackEffect;
  reason: string;
  /** SES's message id, then the Message-ID header we set: where the delivery is looked up. */
  messageIds: string[];
  /** SES's feedbackId when given. */
  feedbackId?: string;
}

interface SesRecipient {
  emailAddress?: string;
  action?: string;
  status?: string;
  diagnosticCode?: string;
}

interface SesMessage {
  notificationType?: string;
  eventType?: string;
  mail?: { messageId?: string; commonHeaders?: { messageId?: string } };
  bounce?: { bounceType?: string; bounceSubType?: string; bouncedRecipients?: SesRecipient[]; feedbackId?: string; reportingMTA?: string };
  complaint?: { complainedRecipients?: SesRecipient[]; complaintFeedbackType?: string; feedbackId?: string };
}

/** Undefined when the text is not an SES notification at all. */
export function readSesNotification(text: string): SesReport | undefined {
  let message: SesMessage;
  try {
    message = JSON.parse(text) as SesMessage;
  } catch {
    return undefined;
  }
  if (typeof message !== 'object' || message === null || !message.mail) return undefined;
  const type = message.notificationType ?? message.eventType;
  const messageIds = [message.mail.messageId, message.mail.commonHeaders?.messageId].filter((id): id is string => typeof id === 'string');

  if (type === 'Bounce' && message.bounce) {
    const bounce = message.bounce;
    const recipient = bounce.bouncedRecipients?.[0];
    const detail = [recipient?.status, recipient?.diagnosticCode ? `(${recipient.diagnosticCode})` : undefined, bounce.reportingMTA ? `reported by ${bounce.reportingMTA}` : undefined]
      .filter(Boolean)
      .join(' ');
    // Only SES's Permanent suppresses; Transient and Undetermined may yet be delivered.
    const permanent = bounce.bounceType === 'Permanent';
    return {
      effect: permanent ? 'bounced' : 'delayed',
      reason: `${permanent ? 'Bounced' : 'Delivery delayed'} (SES ${bounce.bounceType ?? 'unknown'}/${bounce.bounceSubType ?? 'unknown'})${detail ? `: ${detail}` : ''}`,
      messageIds,
      ...(bounce.feedbackId ? { feedbackId: bounce.feedbackId } : {}),
    };
  }
  if (type === 'Complaint' && message.complaint) {
    const complaint = message.complaint;
    return {
      effect: 'complained',
      reason: `Complaint (SES${complaint.complaintFeedbackType ? ` ${complaint.complaintFeedbackType}` : ''})`,
      messageIds,
      ...(complaint.feedbackId ? { feedbackId: complaint.feedbackId } : {}),
    };
  }
  return { effect: 'none', reason: `SES ${type ?? 'notification'}: nothing to act on`, messageIds };
}
