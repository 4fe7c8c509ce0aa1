import { PassThrough } from 'node:stream';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { SoapFault } from './faults';
import { readSoapRequest, type ReadOptions } from './request-reader';
import { createAuthenticator, type Principal } from './soap-auth';

const KEY = 'mc_key_0123456789';
const SOAP_ENV = 'http://schemas.xmlsoap.org/soap/envelope/';
const HEAD = `<s:Envelope xmlns:s="${SOAP_ENV}" xmlns:urn="urn:nms:rtEvent"><s:Body><urn:PushEvent>`;
const TAIL = '</urn:PushEvent></s:Body></s:Envelope>';
const TOKEN = (t: string) => `<urn:sessiontoken>${t}</urn:sessiontoken>`;
const EVENT = '<urn:domEvent><rtEvent type="ORDER_CONFIRMATION"/></urn:domEvent>';

/** verifyApiKey that records its calls and answers when told to (or at once). */
function keys(manual = false) {
  const calls: string[] = [];
  const waiting: ((p: Principal | undefined) => void)[] = [];
  const verify = (key: string): Promise<Principal | undefined> => {
    calls.push(key);
    const principal = key === KEY ? { id: 'key-1', scopes: ['events:write'] } : undefined;
    return manual ? new Promise((resolve) => waiting.push(() => resolve(principal))) : Promise.resolve(principal);
  };
  return { calls, waiting, verify };
}

function options(verify: (key: string) => Promise<Principal | undefined>, headers: ReadOptions['headers'] = {}, bodyLimit = 1 << 20): ReadOptions {
  return {
    headers: { 'content-type': 'text/xml; charset=utf-8', soapaction: '"nms:rtEvent#PushEvent"', ...headers },
    bodyLimit,
    authenticator: createAuthenticator(verify, [{ login: 'mc', password: 's3cret' }]),
  };
}

async function faultOf(promise: Promise<unknown>): Promise<SoapFault> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(SoapFault);
    return error as SoapFault;
  }
  throw new Error('expected a SoapFault');
}

/** A body stream that counts what has been read out of it. */
function body() {
  const stream = new PassThrough();
  let read = 0;
  stream.on('data', (c: Buffer) => (read += c.length));
  stream.pause(); // as an IncomingMessage starts
  return { stream, read: () => read };
}

describe('readSoapRequest: credentials first', () => {
  it('judges a Bearer header before reading a byte of the body', async () => {
    const k = keys();
    const b = body();
    b.stream.write(HEAD + TOKEN('mc/s3cret') + EVENT + TAIL); // a good token in the body does not help
    const fault = await faultOf(readSoapRequest(b.stream, options(k.verify, { authorization: 'Bearer nope' })));
    expect(fault.detail).toBe('Invalid login or password. Connection denied.');
    expect(fault.faultString).toBe("Error while executing the method 'PushEvent' of service 'nms:rtEvent'.");
    expect(k.calls).toEqual(['nope']);
    expect(b.read()).toBe(0);
  });

  it('a good Bearer header is enough; a sessiontoken, when given, decides the scope', async () => {
    const k = keys();
    const viaHeader = new PassThrough();
    viaHeader.end(HEAD + EVENT + TAIL);
    expect((await readSoapRequest(viaHeader, options(k.verify, { authorization: `Bearer ${KEY}` }))).auth).toMatchObject({ scope: 'key-1' });
    const both = new PassThrough();
    both.end(HEAD + TOKEN('mc/s3cret') + EVENT + TAIL);
    expect((await readSoapRequest(both, options(k.verify, { authorization: `Bearer ${KEY}` }))).auth).toMatchObject({ scope: 'soap-operator:mc' });
  });

  it('judges the sessiontoken as its element closes, the body paused meanwhile, and stops there when wrong', async () => {
    const k = keys(true);
    const b = body();
    const reading = readSoapRequest(b.stream, options(k.verify));
    b.stream.write(HEAD + TOKEN('not-a-key'));
    while (k.waiting.length === 0) await nextTurn();
    expect(k.calls).toEqual(['not-a-key']);
    expect(b.stream.isPaused()).toBe(true);
    // Malformed from here on: had the parser gone on, the fault would say so.
    b.stream.write('<<<&&& not xml');
    k.waiting[0]!(undefined);
    const fault = await faultOf(reading);
    expect(fault.detail).toBe('Invalid login or password. Connection denied.');
    // The rest of the body is drained (the connection stays usable), not left in the socket.
    b.stream.end('x'.repeat(100_000));
    await new Promise((resolve) => b.stream.once('end', resolve));
  });

  it('a wrong token wins over a fault the same piece of text raises after it', async () => {
    const k = keys();
    const flood = Array.from({ length: 1000 }, (_, i) => ` xmlns:p${i}="urn:p"`).join('');
    const stream = new PassThrough();
    stream.end(HEAD + TOKEN('mc/wrong') + `<urn:domEvent><rtEvent${flood}/></urn:domEvent>` + TAIL);
    expect((await faultOf(readSoapRequest(stream, options(k.verify)))).detail).toBe('Invalid login or password. Connection denied.');
  });

  it('without any credential, refuses at the first element of call data, before the body ends', async () => {
    const k = keys();
    const b = body();
    const reading = readSoapRequest(b.stream, options(k.verify));
    b.stream.write(HEAD + '<urn:domEvent>');
    const fault = await faultOf(reading);
    expect(fault.detail).toBe('Invalid login or password. Connection denied.');
    expect(k.calls).toEqual([]);
  });

  it('an empty sessiontoken without a header is refused as it closes; with a good header it is fine', async () => {
    const k = keys();
    const b = body();
    const reading = readSoapRequest(b.stream, options(k.verify));
    b.stream.write(HEAD + TOKEN('  '));
    expect((await faultOf(reading)).detail).toMatch(/^Invalid login/);
    const withHeader = new PassThrough();
    withHeader.end(HEAD + TOKEN('') + EVENT + TAIL);
    expect((await readSoapRequest(withHeader, options(k.verify, { authorization: `Bearer ${KEY}` }))).auth.scope).toBe('key-1');
  });

  it('a call with no data and no credential gets the login fault at the end, as before', async () => {
    const stream = new PassThrough();
    stream.end(HEAD + TAIL);
    expect((await faultOf(readSoapRequest(stream, options(keys().verify)))).detail).toMatch(/^Invalid login/);
  });

  it('a key without the scope is told so', async () => {
    const verify = async () => ({ id: 'ro', scopes: ['events:read'] });
    const stream = new PassThrough();
    stream.end(HEAD + TOKEN('some-key') + EVENT + TAIL);
    expect((await faultOf(readSoapRequest(stream, options(verify)))).detail).toBe('Access denied: the key lacks the events:write scope.');
  });
});

describe('readSoapRequest: bytes', () => {
  it('refuses a Content-Length over the limit without reading', async () => {
    const b = body();
    b.stream.write('x');
    const fault = await faultOf(readSoapRequest(b.stream, options(keys().verify, { 'content-length': '2000' }, 1000)));
    expect(fault.detail).toBe('The request body exceeds the limit of 1000 bytes.');
    expect(b.read()).toBe(0);
  });

  it('refuses a streamed body as soon as it passes the limit', async () => {
    const b = body();
    const reading = readSoapRequest(b.stream, options(keys().verify, {}, 1000));
    b.stream.write(HEAD + TOKEN('mc/s3cret') + '<urn:domEvent><rtEvent type="A"><ctx><a>');
    b.stream.write('x'.repeat(1000));
    expect((await faultOf(reading)).detail).toBe('The request body exceeds the limit of 1000 bytes.');
  });

  it('refuses a body shorter than its Content-Length', async () => {
    const text = HEAD + TOKEN('mc/s3cret') + EVENT + TAIL;
    const stream = new PassThrough();
    stream.end(text);
    const fault = await faultOf(readSoapRequest(stream, options(keys().verify, { 'content-length': String(text.length + 5) })));
    expect(fault.detail).toMatch(/does not match its Content-Length/);
  });

  it('settles when the client goes away mid-body', async () => {
    const stream = new PassThrough();
    const reading = readSoapRequest(stream, options(keys().verify));
    stream.write(HEAD + TOKEN('mc/s3cret') + '<urn:domEvent>');
    await nextTurn();
    stream.destroy();
    expect((await faultOf(reading)).detail).toMatch(/cut off|could not be read/);
  });

  it('decodes UTF-8 split anywhere between chunks, and refuses bytes that are not UTF-8', async () => {
    const text = HEAD + TOKEN('mc/s3cret') + '<urn:domEvent><rtEvent type="A"><ctx><n>Åsa 😀 Öberg</n></ctx></rtEvent></urn:domEvent>' + TAIL;
    const bytes = Buffer.from(text, 'utf8');
    const stream = new PassThrough();
    const reading = readSoapRequest(stream, options(keys().verify));
    for (let i = 0; i < bytes.length; i += 3) stream.write(bytes.subarray(i, i + 3));
    stream.end();
    const { call } = await reading;
    expect(JSON.stringify(call)).toContain('Åsa 😀 Öberg');

    const bad = new PassThrough();
    bad.end(Buffer.concat([Buffer.from(HEAD + TOKEN('mc/s3cret')), Buffer.from([0xe2, 0x28, 0xa1]), Buffer.from(TAIL)]));
    expect((await faultOf(readSoapRequest(bad, options(keys().verify)))).detail).toMatch(/^The request body is not valid UTF-8/);
  });

  it('reads ISO-8859-1 declared in the XML declaration only', async () => {
    const text = `<?xml version="1.0" encoding="ISO-8859-1"?>${HEAD}${TOKEN('mc/s3cret')}<urn:domEvent><rtEvent type="A" origin="Åre"/></urn:domEvent>${TAIL}`;
    const stream = new PassThrough();
    stream.end(Buffer.from(text, 'latin1'));
    const { call } = await readSoapRequest(stream, options(keys().verify, { 'content-type': 'text/xml' }));
    expect(JSON.stringify(call)).toContain('"value":"Åre"');
  });
});
