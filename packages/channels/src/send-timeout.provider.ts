/**
 * Bounds a whole send, answer included: a remote that trickles its answer never trips a
 * socket inactivity limit, and must not hold a worker slot longer than this. Used for web
 * push, whose library offers no way to abort a request: one left behind ends at its socket
 * inactivity limit, holding a socket but no worker slot. (SNS sends abort for real, through
 * the SDK's abortSignal: sns-client.ts.)
 */
import type { Provider, SendOutcome } from './provider';

export function withSendTimeout<M>(provider: Provider<M>, timeoutMs: number): Provider<M> {
  if (!(timeoutMs > 0)) throw new Error('send timeout must be positive');
  return {
    name: provider.name,
    channel: provider.channel,
    async send(message: M): Promise<SendOutcome> {
      let timer: NodeJS.Timeout | undefined;
      const timedOut = new Promise<SendOutcome>((resolve) => {
        timer = setTimeout(
          () => resolve({ kind: 'transient', provider: provider.name, error: `no answer within the send timeout (${timeoutMs} ms)` }),
          timeoutMs,
        );
      });
      try {
        return await Promise.race([provider.send(message), timedOut]);
      } finally {
        clearTimeout(timer);
      }
    },
    close: () => provider.close(),
  };
}
