import { SaxesParser } from 'saxes';
import { childElements, parseXmlDocument, type XmlElement } from './envelope-parser';
import { buildWsdl } from './wsdl';

const WSDL_NS = 'http://schemas.xmlsoap.org/wsdl/';
const SOAP_BINDING_NS = 'http://schemas.xmlsoap.org/wsdl/soap/';

/** Strictly well-formed, every prefix declared (parseXmlDocument tolerates undeclared ones). */
const wellFormed = (xml: string) => new SaxesParser({ xmlns: true }).write(xml).close();

const attr = (e: XmlElement, name: string) => e.attrs.find((a) => a.local === name)?.value;
const find = (e: XmlElement, local: string, ns: string) => childElements(e).filter((c) => c.local === local && c.ns === ns);

describe.each(['nms:rtEvent', 'nms:batchEvent'] as const)('the WSDL of %s', (schema) => {
  const xml = buildWsdl(schema, 'http://mc.example.org:8080/nl/jsp/soaprouter.jsp');
  const root = parseXmlDocument(xml);

  it('is well-formed XML in the WSDL 1.1 namespace', () => {
    expect(() => wellFormed(xml)).not.toThrow();
    expect(root.local).toBe('definitions');
    expect(root.ns).toBe(WSDL_NS);
    expect(attr(root, 'targetNamespace')).toBe(`urn:${schema}`);
  });

  it('declares PushEvent and PushEvents with the right soapAction', () => {
    const binding = find(root, 'binding', WSDL_NS)[0]!;
    const actions = Object.fromEntries(
      find(binding, 'operation', WSDL_NS).map((op) => [attr(op, 'name'), attr(find(op, 'operation', SOAP_BINDING_NS)[0]!, 'soapAction')]),
    );
    expect(actions).toEqual({ PushEvent: `${schema}#PushEvent`, PushEvents: `${schema}#PushEvents` });
    const portOps = find(find(root, 'portType', WSDL_NS)[0]!, 'operation', WSDL_NS).map((op) => attr(op, 'name'));
    expect(portOps).toEqual(['PushEvent', 'PushEvents']);
  });

  it('points the service at the given soaprouter address', () => {
    const port = find(find(root, 'service', WSDL_NS)[0]!, 'port', WSDL_NS)[0]!;
    expect(attr(find(port, 'address', SOAP_BINDING_NS)[0]!, 'location')).toBe('http://mc.example.org:8080/nl/jsp/soaprouter.jsp');
  });
});

it('escapes the address', () => {
  const xml = buildWsdl('nms:rtEvent', 'http://a"b<c/nl/jsp/soaprouter.jsp');
  expect(() => wellFormed(xml)).not.toThrow();
  expect(xml).toContain('location="http://a&quot;b&lt;c/nl/jsp/soaprouter.jsp"');
});
