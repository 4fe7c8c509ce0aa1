import { buildArf, buildDsn } from '../../../../test/helpers/report-mail';
import { judgeDsn, parseFeedbackMail } from './feedback-mail';
import { parseFieldBlocks } from './report-fields';

const original = {
  envelopeFrom: 'bounces+4242-0123456789abcdef@bounce.shop.example',
  recipient: 'ada@example.test',
  messageId: '<mc.4242.aabbccddeeff@bounce.shop.example>',
};

describe('parseFieldBlocks', () => {
  it('splits blocks on blank lines, lower-cases names and unfolds continued lines', () => {
    expect(parseFieldBlocks('Reporting-MTA: dns; mx\r\n\r\nFinal-Recipient: rfc822; a@x\r\nDiagnostic-Code: smtp; 550\r\n  user unknown\r\n')).toEqual([
      { 'reporting-mta': 'dns; mx' },
      { 'final-recipient': 'rfc822; a@x', 'diagnostic-code': 'smtp; 550 user unknown' },
    ]);
  });
});

describe('parseFeedbackMail', () => {
  it('reads a permanent DSN: Final-Recipient, Action, Status, Diagnostic-Code; the VERP address first', async () => {
    const mail = await parseFeedbackMail(Buffer.from(buildDsn(original, { reportId: '<r1@mx.recipient.example>' })));
    expect(mail).toMatchObject({
      type: 'delivery-status',
      effect: 'bounced',
      reportId: '<r1@mx.recipient.example>',
      recipients: [{ finalRecipient: 'ada@example.test', action: 'failed', status: '5.1.1', diagnosticCode: 'smtp; 550 5.1.1 The email account does not exist' }],
    });
    expect(mail.reason).toBe('Bounced: 5.1.1 (smtp; 550 5.1.1 The email account does not exist) reported by mx.recipient.example');
    expect(mail.verpCandidates[0]).toBe(original.envelopeFrom);
  });

  it('calls a delayed DSN, and a failure with a 4.x.x status, transient', async () => {
    expect((await parseFeedbackMail(Buffer.from(buildDsn(original, { action: 'delayed' })))).effect).toBe('delayed');
    expect((await parseFeedbackMail(Buffer.from(buildDsn(original, { action: 'failed', status: '4.4.7' })))).effect).toBe('delayed');
  });

  it('acts on nothing for a delivered or relayed notice', async () => {
    expect((await parseFeedbackMail(Buffer.from(buildDsn(original, { action: 'relayed', status: '2.0.0' })))).effect).toBe('none');
  });

  it('reads an ARF report: a complaint, with Original-Mail-From as the VERP address', async () => {
    const mail = await parseFeedbackMail(Buffer.from(buildArf(original, { reportId: '<arf1@mailbox.example>' })));
    expect(mail).toMatchObject({
      type: 'feedback-report',
      effect: 'complained',
      feedbackType: 'abuse',
      reportId: '<arf1@mailbox.example>',
      recipients: [{ finalRecipient: 'ada@example.test' }],
    });
    expect(mail.verpCandidates[0]).toBe(original.envelopeFrom);
  });

  it('names a message that is neither', async () => {
    const mail = await parseFeedbackMail(Buffer.from('From: a@x.example\r\nTo: b@y.example\r\nSubject: hi\r\n\r\nJust mail.\r\n'));
    expect(mail).toMatchObject({ type: 'other', effect: 'none' });
    expect(mail.reportId).toMatch(/^sha256:[0-9a-f]{64}$/);
  });
});

describe('judgeDsn', () => {
  it('takes the strongest effect over the recipients', () => {
    expect(judgeDsn([{ action: 'delayed', status: '4.2.2' }, { action: 'failed', status: '5.2.1' }]).effect).toBe('bounced');
    expect(judgeDsn([]).effect).toBe('none');
  });
});
