/**
 * Reads a SOAP request from the socket credentials first (issue "The doors"): an
 * `Authorization` header is judged before a byte of the body is read; a `sessiontoken` is
 * judged the moment its element closes, the body paused meanwhile, and a wrong one stops the
 * parse there. Without a header credential, the call's data (`domEvent`…) may not start before
 * a sessiontoken has been given — Adobe documents the token as the call's first child — so an
 * anonymous body is refused at its first event instead of being parsed whole. The body is
 * decoded and parsed as it arrives: no work waits for the last byte, and none is done past a
 * refusal.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { Readable } from 'node:stream';
import { SoapEnvelopeParser, type ParseLimits, type SoapBody, type XmlElement } from './envelope-parser';
import { clientFault, INVALID_LOGIN_DETAIL, methodFaultString, READ_FAULT_STRING, SoapFault } from './faults';
import { parseSoapAction, resolveOperation } from './operations';
import { BodyDecoder } from './request-body';
import type { AuthOutcome, Authenticator } from './soap-auth';

export const FORBIDDEN_DETAIL = 'Access denied: the key lacks the events:write scope.';

/**
 * Text handed to the parser at a time. Between two pieces a pending sessiontoken is judged,
 * so a wrong token costs at most this much parsing past its element; a fault raised in that
 * stretch (a limit, malformed XML) yields to the token's verdict.
 */
const PIECE_CHARS = 16 * 1024;

export interface ReadOptions {
  headers: IncomingHttpHeaders;
  /** Largest body in bytes; a larger Content-Length is refused before reading. */
  bodyLimit: number;
  authenticator: Authenticator;
  limits?: Partial<ParseLimits>;
}

export type Authenticated = Extract<AuthOutcome, { ok: true }>;

export interface SoapRequest extends SoapBody {
  /** Who is calling: the sessiontoken's principal when one was given, else the header's. */
  auth: Authenticated;
}

export const bodyTooLarge = (limit: number) => clientFault(READ_FAULT_STRING, `The request body exceeds the limit of ${limit} bytes.`);

function authFault(outcome: AuthOutcome | undefined, faultString: string): SoapFault {
  const forbidden = outcome !== undefined && !outcome.ok && outcome.reason === 'forbidden';
  return clientFault(faultString, forbidden ? FORBIDDEN_DETAIL : INVALID_LOGIN_DETAIL);
}

/** Adobe names the method in its login fault; before the body, only the SOAPAction can. */
function faultStringOfAction(soapAction: string | undefined): string {
  const action = parseSoapAction(soapAction);
  return action === undefined || action === 'invalid' ? READ_FAULT_STRING : methodFaultString(action.method, action.service);
}

/** The fault string a method fault of this call carries (also when the call itself is wrong). */
function faultStringOfCall(soapAction: string | undefined, call: XmlElement): string {
  try {
    const operation = resolveOperation(soapAction, call);
    return methodFaultString(operation.method, operation.service);
  } catch (error) {
    if (error instanceof SoapFault) return error.faultString;
    throw error;
  }
}

const header = (headers: IncomingHttpHeaders, name: string): string | undefined => {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
};

/**
 * @throws SoapFault for every fault the caller must fix; when it throws, the rest of the body
 * is read and discarded, so the client still receives the fault on an intact connection.
 */
export async function readSoapRequest(payload: Readable, options: ReadOptions): Promise<SoapRequest> {
  const { headers, bodyLimit, authenticator } = options;
  const soapAction = header(headers, 'soapaction');
  const contentLength = Number(header(headers, 'content-length'));
  if (contentLength > bodyLimit) throw bodyTooLarge(bodyLimit);
  const decoder = new BodyDecoder(header(headers, 'content-type'));

  // 1. The header, before the body. A wrong one is refused even if the body holds a good token.
  const headerAuth = await authenticator.authenticateHeader(header(headers, 'authorization'));
  if (headerAuth !== undefined && !headerAuth.ok) throw authFault(headerAuth, faultStringOfAction(soapAction));

  // 2. The body, credentials judged as the parser reaches them.
  let tokenAuth: Authenticated | undefined;
  let pending: { token: string; call: XmlElement } | undefined;
  const parser = new SoapEnvelopeParser(options.limits, {
    sessionToken(token, call) {
      // Empty: the header decides (Adobe's documented form), so without one it is refused now.
      if (token !== '') pending = { token, call };
      else if (headerAuth === undefined) throw authFault(undefined, faultStringOfCall(soapAction, call));
    },
    callContent(call) {
      if (headerAuth === undefined && tokenAuth === undefined && pending === undefined) {
        throw authFault(undefined, faultStringOfCall(soapAction, call));
      }
    },
  });

  const judgePending = async (): Promise<void> => {
    if (pending === undefined) return;
    const { token, call } = pending;
    pending = undefined;
    const outcome = await authenticator.authenticateToken(token);
    if (!outcome.ok) throw authFault(outcome, faultStringOfCall(soapAction, call));
    tokenAuth = outcome;
  };

  const feed = async (text: string): Promise<void> => {
    for (let at = 0; at < text.length; at += PIECE_CHARS) {
      try {
        parser.write(text.slice(at, at + PIECE_CHARS));
      } catch (error) {
        // Whatever went wrong after a token closed in this piece, a wrong token is the answer.
        await judgePending();
        throw error;
      }
      if (pending !== undefined) {
        payload.pause();
        await judgePending();
        payload.resume();
      }
    }
  };

  let received = 0;
  await pump(payload, {
    async chunk(bytes) {
      received += bytes.length;
      if (received > bodyLimit) throw bodyTooLarge(bodyLimit);
      await feed(decoder.write(bytes));
    },
    async end() {
      if (!Number.isNaN(contentLength) && received !== contentLength) {
        throw clientFault(READ_FAULT_STRING, 'The request body length does not match its Content-Length.');
      }
      await feed(decoder.end());
    },
  });
  const body = parser.end();
  await judgePending();
  const auth = tokenAuth ?? headerAuth;
  if (auth === undefined) throw authFault(undefined, faultStringOfCall(soapAction, body.call));
  return { ...body, auth };
}

/**
 * Hands the stream's chunks to `chunk` one at a time, in order, waiting for each (the stream
 * is paused while a credential is checked). On the first error it stops listening and lets the
 * rest of the body flow to nowhere: the socket is drained, not reset, and the fault reaches
 * the client.
 */
function pump(payload: Readable, handle: { chunk(bytes: Buffer): Promise<void>; end(): Promise<void> }): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const queue: Buffer[] = [];
    let ended = false;
    let busy = false;
    let settled = false;

    const stop = () => {
      settled = true;
      payload.off('data', onData);
      payload.off('end', onEnd);
      payload.off('error', onError);
      payload.off('close', onClose);
    };
    const fail = (error: unknown) => {
      if (settled) return;
      stop();
      payload.on('error', () => undefined); // a late socket error has no one left to tell
      payload.resume();
      reject(error);
    };
    const run = async () => {
      if (busy || settled) return;
      busy = true;
      try {
        while (queue.length > 0 && !settled) await handle.chunk(queue.shift()!);
        if (ended && !settled) {
          await handle.end();
          stop();
          resolve();
        }
      } catch (error) {
        fail(error);
      } finally {
        busy = false;
      }
    };
    function onData(chunk: Buffer | string) {
      queue.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
      void run();
    }
    function onEnd() {
      ended = true;
      void run();
    }
    function onError(error: Error) {
      fail(clientFault(READ_FAULT_STRING, `The request body could not be read: ${error.message}`));
    }
    // A client that goes away mid-body may end the stream with 'close' alone; without this the
    // request would wait forever.
    function onClose() {
      if (!ended) fail(clientFault(READ_FAULT_STRING, 'The request body was cut off.'));
    }

    payload.on('data', onData);
    payload.on('end', onEnd);
    payload.on('error', onError);
    payload.on('close', onClose);
    payload.resume();
  });
}
