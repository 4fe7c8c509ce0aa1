import { SaxesParser } from 'saxes';
import { faultEnvelope, faultFromFrameworkError, SoapFault } from './faults';

/** Strictly well-formed, every prefix declared. */
const wellFormed = (xml: string) => new SaxesParser({ xmlns: true }).write(xml).close();

describe('SOAP faults', () => {
  it('writes a SOAP 1.1 fault with escaped text', () => {
    const xml = faultEnvelope(new SoapFault('Client', "Error while executing the method 'PushEvent' of service 'nms:rtEvent'.", 'bad <email> & "more"'));
    expect(() => wellFormed(xml)).not.toThrow();
    expect(xml).toContain('<faultcode>SOAP-ENV:Client</faultcode>');
    expect(xml).toContain('<detail xsi:type="xsd:string">bad &lt;email&gt; &amp; "more"</detail>');
  });

  it('maps Fastify request errors to Client faults and leaves others to the caller', () => {
    expect(faultFromFrameworkError({ code: 'FST_ERR_CTP_BODY_TOO_LARGE', statusCode: 413 }, 1024)?.detail).toMatch(/exceeds the limit of 1024 bytes/);
    expect(faultFromFrameworkError({ code: 'FST_ERR_CTP_INVALID_MEDIA_TYPE', statusCode: 415 }, 1024)?.faultCode).toBe('Client');
    expect(faultFromFrameworkError({ message: 'boom' }, 1024)).toBeUndefined();
    expect(faultFromFrameworkError({ statusCode: 500, message: 'boom' }, 1024)).toBeUndefined();
  });
});
