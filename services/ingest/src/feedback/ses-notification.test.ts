import { readSesNotification } from './ses-notification';

const mail = { messageId: '0102018c-ses-id', commonHeaders: { messageId: '<mc.42.abc@bounce.shop.example>' } };

describe('readSesNotification', () => {
  it('a Permanent bounce is a bounce, matched by the SES id and our Message-ID', () => {
    const report = readSesNotification(
      JSON.stringify({
        notificationType: 'Bounce',
        bounce: { bounceType: 'Permanent', bounceSubType: 'General', feedbackId: 'fb-1', reportingMTA: 'dsn; a.example', bouncedRecipients: [{ emailAddress: 'a@x.example', status: '5.1.1', diagnosticCode: 'smtp; 550 no such user' }] },
        mail,
      }),
    );
    expect(report).toEqual({
      effect: 'bounced',
      reason: 'Bounced (SES Permanent/General): 5.1.1 (smtp; 550 no such user) reported by dsn; a.example',
      messageIds: ['0102018c-ses-id', '<mc.42.abc@bounce.shop.example>'],
      feedbackId: 'fb-1',
    });
  });

  it('Transient and Undetermined bounces only delay; event publishing (eventType) reads the same', () => {
    expect(readSesNotification(JSON.stringify({ notificationType: 'Bounce', bounce: { bounceType: 'Transient' }, mail }))?.effect).toBe('delayed');
    expect(readSesNotification(JSON.stringify({ eventType: 'Bounce', bounce: { bounceType: 'Undetermined' }, mail }))?.effect).toBe('delayed');
  });

  it('a complaint is a complaint; a delivery notice asks nothing; other text is not SES', () => {
    expect(readSesNotification(JSON.stringify({ notificationType: 'Complaint', complaint: { complaintFeedbackType: 'abuse', feedbackId: 'c' }, mail }))).toMatchObject({
      effect: 'complained',
      feedbackId: 'c',
    });
    expect(readSesNotification(JSON.stringify({ notificationType: 'Delivery', mail }))?.effect).toBe('none');
    expect(readSesNotification('not json')).toBeUndefined();
    expect(readSesNotification('{"hello":1}')).toBeUndefined();
  });
});
