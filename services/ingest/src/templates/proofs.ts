/**
 * Proofs: the rendered draft sent now, through the channel's real provider, to a seed
 * address. Marked as a proof in what the recipient sees ([PROOF] prefix, and an
 * X-MessageCenter-Proof header on email) and recorded in the proofs table only.
 */
import { isValidEmail, isValidPhone, normalizePhone } from '@mc/core';
import type { TemplateRecord } from '@mc/db';
import type { RenderedEmail, RenderedPush, RenderedSms } from '@mc/render';
import type { SendOutcome } from '@mc/channels';
import type { IngestContext } from '../context';

export const PROOF_PREFIX = '[PROOF] ';
export const PROOF_HEADER = 'X-MessageCenter-Proof';

export interface ProofOutcome {
  to: string;
  status: 'sent' | 'failed';
  provider: string;
  providerMessageId?: string;
  error?: string;
}

export async function sendProof(
  ctx: IngestContext,
  template: TemplateRecord,
  rendered: RenderedEmail | RenderedSms | RenderedPush,
  to: string,
): Promise<ProofOutcome> {
  const outcome = await send(ctx, template, rendered, to);
  const result: ProofOutcome =
    outcome.kind === 'sent'
      ? { to, status: 'sent', provider: outcome.provider, providerMessageId: outcome.providerMessageId }
      : { to, status: 'failed', provider: outcome.provider, error: outcome.error };
  await ctx.proofs.record({
    templateId: template.id,
    channel: template.channel,
    to: [to],
    provider: result.provider,
    providerMessageId: result.providerMessageId ?? null,
    error: result.error ?? null,
  });
  return result;
}

async function send(
  ctx: IngestContext,
  template: TemplateRecord,
  rendered: RenderedEmail | RenderedSms | RenderedPush,
  to: string,
): Promise<SendOutcome> {
  const providers = await ctx.providers();
  const refused = (error: string): SendOutcome => ({ kind: 'permanent', provider: 'none', error });
  switch (template.channel) {
    case 'email': {
      if (!isValidEmail(to)) return refused(`"${to}" is not an email address`);
      const email = rendered as RenderedEmail;
      return providers.email.send({
        from: email.from || ctx.config.mailFrom,
        to,
        ...(email.replyTo ? { replyTo: email.replyTo } : {}),
        subject: PROOF_PREFIX + email.subject,
        html: email.html,
        text: email.text,
        headers: { [PROOF_HEADER]: template.id },
      });
    }
    case 'sms': {
      const phone = normalizePhone(to);
      if (!isValidPhone(phone)) return refused(`"${to}" is not an E.164 phone number`);
      if (!providers.sms) return refused('No SMS provider is configured');
      return providers.sms.send({ to: phone, text: PROOF_PREFIX + (rendered as RenderedSms).text });
    }
    case 'push': {
      // A push proof goes to an SNS endpoint ARN given as the seed address.
      if (!to.startsWith('arn:')) return refused('Push proofs go to SNS endpoint ARNs (arn:aws:sns:...)');
      if (!providers.push) return refused('No push provider is configured');
      const push = rendered as RenderedPush;
      return providers.push.send({
        target: { kind: 'sns', endpointArn: to },
        title: PROOF_PREFIX + push.title,
        body: push.body,
        ...(push.url ? { url: push.url } : {}),
        ...(push.data ? { data: push.data } : {}),
      });
    }
  }
}
