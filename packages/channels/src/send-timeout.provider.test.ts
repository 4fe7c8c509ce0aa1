import { withSendTimeout } from './send-timeout.provider';
import type { Provider, SendOutcome } from './provider';

const provider = (answer: () => Promise<SendOutcome>): Provider<string> => ({ name: 'p', channel: 'push', send: answer, close: async () => {} });

describe('withSendTimeout', () => {
  it('answers transient when the send does not settle in time', async () => {
    const hung = withSendTimeout(provider(() => new Promise<SendOutcome>(() => undefined)), 50);
    const started = performance.now();
    expect(await hung.send('m')).toEqual({ kind: 'transient', provider: 'p', error: 'no answer within the send timeout (50 ms)' });
    expect(performance.now() - started).toBeGreaterThanOrEqual(45);
  });

  it("passes a timely answer through", async () => {
    const quick = withSendTimeout(provider(async () => ({ kind: 'sent', provider: 'p', providerMessageId: 'x' })), 1000);
    expect(await quick.send('m')).toEqual({ kind: 'sent', provider: 'p', providerMessageId: 'x' });
    expect(() => withSendTimeout(quick, 0)).toThrow(/positive/);
  });
});
