import { decodeRequestBody } from './request-body';
import { SoapFault } from './faults';

describe('decodeRequestBody', () => {
  const text = '<a>Åsa Öberg</a>';

  it('reads UTF-8 by default and when declared', () => {
    expect(decodeRequestBody(Buffer.from(text, 'utf8'), 'text/xml')).toBe(text);
    expect(decodeRequestBody(Buffer.from(text, 'utf8'), 'text/xml; charset="UTF-8"')).toBe(text);
  });

  it('honours ISO-8859-1 from the Content-Type or the XML declaration', () => {
    expect(decodeRequestBody(Buffer.from(text, 'latin1'), 'text/xml;charset=ISO-8859-1')).toBe(text);
    const declared = `<?xml version="1.0" encoding="ISO-8859-1"?>${text}`;
    expect(decodeRequestBody(Buffer.from(declared, 'latin1'), 'text/xml')).toBe(declared);
  });

  it('refuses other charsets', () => {
    expect(() => decodeRequestBody(Buffer.from(text, 'utf16le'), 'text/xml; charset=UTF-16')).toThrow(SoapFault);
  });
});
