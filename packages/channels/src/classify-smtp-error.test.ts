import { classifySmtpError, enhancedStatus } from './classify-smtp-error';

const kind = (err: Parameters<typeof classifySmtpError>[1]) => classifySmtpError('smtp', err).kind;

describe('classifySmtpError', () => {
  it.each([
    [421, '421 4.7.0 Try again later', 'RCPT TO', 'transient'],
    [450, '450 4.2.1 Mailbox busy', 'RCPT TO', 'transient'],
    [451, '451 4.3.0 Local error', 'DATA', 'transient'],
    [452, '452 4.2.2 Insufficient storage', 'RCPT TO', 'transient'],
    [503, '503 5.5.1 Bad sequence of commands', 'RCPT TO', 'transient'],
    [550, '550 5.1.1 <x@y>: Recipient address rejected: User unknown', 'RCPT TO', 'address-invalid'],
    [550, '550 5.1.10 Null MX', 'RCPT TO', 'address-invalid'],
    [550, '550 5.2.1 Mailbox disabled', 'RCPT TO', 'address-invalid'],
    [551, '551 5.1.6 User not local', 'RCPT TO', 'address-invalid'],
    [553, '553 5.1.3 Bad recipient address syntax', 'RCPT TO', 'address-invalid'],
    [551, '551 User not local; please try <a@b>', 'RCPT TO', 'address-invalid'],
    [553, '553 sorry, that domain isn\'t in my list of allowed rcpthosts', 'RCPT TO', 'address-invalid'],
    [550, '550 No such user here', 'RCPT TO', 'address-invalid'],
    [550, '550 5.7.1 Message rejected as spam', 'RCPT TO', 'permanent'],
    [550, '550 Relaying denied', 'RCPT TO', 'permanent'],
    [550, '550 5.1.8 Bad sender address', 'RCPT TO', 'permanent'],
    [553, '553 5.1.7 Sender address invalid', 'MAIL FROM', 'permanent'],
    [550, '550 5.1.1 Sender unknown', 'MAIL FROM', 'permanent'],
    [554, '554 5.7.1 Rejected by policy', 'RCPT TO', 'permanent'],
    [554, '554 5.6.0 Transaction failed', 'DATA', 'permanent'],
    [552, '552 5.3.4 Message too big', 'DATA', 'permanent'],
    [535, '535 5.7.8 Authentication credentials invalid', 'AUTH PLAIN', 'permanent'],
    // Recipient statuses answered at DATA (relays that check recipients after the message).
    [550, '550 5.1.1 <x@y>: Recipient address rejected: User unknown', 'DATA', 'address-invalid'],
    [550, '550 5.1.10 Null MX', 'DATA', 'address-invalid'],
    [553, '553 5.1.3 Bad recipient address syntax', 'DATA', 'address-invalid'],
    [550, '550 5.2.1 Mailbox disabled', 'DATA', 'address-invalid'],
    [550, '550 5.1.7 Bad sender mailbox syntax', 'DATA', 'permanent'],
    [550, '550 5.1.8 Bad sender system address', 'DATA', 'permanent'],
    [550, '550 5.7.1 Message rejected as spam', 'DATA', 'permanent'],
    [552, '552 5.2.2 Mailbox full', 'DATA', 'permanent'],
    [550, '550 No such user here', 'DATA', 'permanent'],
    [550, '550 Message refused', 'DATA', 'permanent'],
    [451, '451 4.1.1 Recipient verification unavailable', 'DATA', 'transient'],
  ])('%d %j on %s → %s', (responseCode, response, command, expected) => {
    expect(kind({ code: 'EENVELOPE', responseCode, response, command })).toBe(expected);
  });

  it.each([
    [{ code: 'ECONNECTION', message: 'Connection closed unexpectedly' }, 'transient'],
    [{ code: 'ETIMEDOUT', message: 'Greeting never received' }, 'transient'],
    [{ code: 'ESOCKET', originalCode: 'ECONNREFUSED', message: 'connect ECONNREFUSED 127.0.0.1:25' }, 'transient'],
    [{ code: 'EDNS', message: 'getaddrinfo ENOTFOUND smtp.example' }, 'transient'],
    [{ code: 'EAUTH', message: 'Invalid login' }, 'transient'],
    [{ code: 'ETLS', message: 'self-signed certificate' }, 'transient'],
    [{ code: 'EENVELOPE', message: 'No recipients defined' }, 'permanent'],
    [{ code: 'EMESSAGE', message: 'bad message' }, 'permanent'],
    [{ message: 'something odd' }, 'transient'],
  ])('%j → %s', (err, expected) => {
    expect(kind(err)).toBe(expected);
  });

  it('keeps the server reply and command in the error text, and names the provider', () => {
    expect(classifySmtpError('smtp:relay', { code: 'EENVELOPE', responseCode: 550, response: '550 5.1.1 User unknown', command: 'RCPT TO' })).toEqual({
      kind: 'address-invalid',
      provider: 'smtp:relay',
      error: '550 5.1.1 User unknown (RCPT TO)',
    });
    expect(classifySmtpError('smtp', { code: 'ESOCKET', originalCode: 'ECONNREFUSED', message: 'connect refused' })).toMatchObject({
      error: 'ECONNREFUSED: connect refused',
    });
  });

  it('suppresses on a recipient status at DATA only when the transaction had one recipient', () => {
    const atData = { code: 'EMESSAGE', responseCode: 550, response: '550 5.1.1 User unknown', command: 'DATA' };
    expect(classifySmtpError('smtp', atData).kind).toBe('address-invalid');
    expect(classifySmtpError('smtp', atData, { recipients: 1 }).kind).toBe('address-invalid');
    expect(classifySmtpError('smtp', atData, { recipients: 2 }).kind).toBe('permanent');
    // At RCPT TO the reply is about that one recipient whatever the count.
    expect(classifySmtpError('smtp', { ...atData, command: 'RCPT TO' }, { recipients: 2 }).kind).toBe('address-invalid');
  });

  it('reads enhanced status codes', () => {
    expect(enhancedStatus('550 5.1.1 User unknown')).toBe('5.1.1');
    expect(enhancedStatus('550-5.1.10 multi\r\n550 5.1.10 line')).toBe('5.1.10');
    expect(enhancedStatus('550 User unknown')).toBeUndefined();
    expect(enhancedStatus(undefined)).toBeUndefined();
  });
});

describe('classifySmtpError: a relay saying "too many"', () => {
  it.each([
    [421, '421 4.7.0 Too many messages from your IP, slow down'],
    [451, '451 4.7.1 Rate limit exceeded, try again later'],
    [450, '450 4.7.1 Throttled: too many connections'],
    [452, '452 4.5.3 Your message exceeded the sending quota'],
  ])('%d %j → rate-limited: the relay is held, the message is fine', (responseCode, response) => {
    expect(classifySmtpError('relay', { code: 'EENVELOPE', responseCode, response, command: 'RCPT TO' })).toEqual({
      kind: 'rate-limited',
      provider: 'relay',
      error: `${response} (RCPT TO)`,
      retryAfterMs: 30_000,
    });
  });

  it('a 5xx with the same words is still a refusal', () => {
    expect(kind({ code: 'EENVELOPE', responseCode: 554, response: '554 5.7.1 Too many messages: rejected by policy', command: 'DATA' })).toBe('permanent');
  });
});
