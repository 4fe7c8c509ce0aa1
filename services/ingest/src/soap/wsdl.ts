/**
 * The WSDL served at `/nl/jsp/schemawsdl.jsp?schema=nms:rtEvent|nms:batchEvent`.
 *
 * Document/literal (wrapped) rather than Adobe's rpc/encoded: every mainstream toolkit (zeep,
 * JAX-WS, .NET, SoapUI) loads it, and the messages it describes are the ones Adobe clients
 * already send — `<urn:PushEvent><urn:sessiontoken/><urn:domEvent>…` — and read back:
 * the response's `plId` is unqualified (form="unqualified"), exactly as Adobe writes it.
 * domEvent / domEventCollection are open content (`xsd:any`, lax): the rtEvent/batchEvent XML.
 */
import type { Service } from './operations';
import { escapeAttribute } from './xml-escape';

export const WSDL_SCHEMAS: readonly Service[] = ['nms:rtEvent', 'nms:batchEvent'];

export function isWsdlSchema(value: unknown): value is Service {
  return typeof value === 'string' && (WSDL_SCHEMAS as readonly string[]).includes(value);
}

/** @param location the soaprouter URL clients should call (built from the request's Host). */
export function buildWsdl(schema: Service, location: string): string {
  const ns = `urn:${schema}`;
  const name = schema.slice('nms:'.length); // rtEvent | batchEvent
  const op = (method: string) => `
  <wsdl:operation name="${method}">
   <soap:operation soapAction="${schema}#${method}" style="document"/>
   <wsdl:input><soap:body use="literal"/></wsdl:input>
   <wsdl:output><soap:body use="literal"/></wsdl:output>
  </wsdl:operation>`;

  return `<?xml version="1.0" encoding="utf-8"?>
<wsdl:definitions xmlns:wsdl="http://schemas.xmlsoap.org/wsdl/"
    xmlns:soap="http://schemas.xmlsoap.org/wsdl/soap/"
    xmlns:xsd="http://www.w3.org/2001/XMLSchema"
    xmlns:tns="${ns}" targetNamespace="${ns}" name="${name}">
 <wsdl:documentation>Message Center: Adobe Campaign Message Center compatible ${schema} (PushEvent, PushEvents).</wsdl:documentation>
 <wsdl:types>
  <xsd:schema targetNamespace="${ns}" elementFormDefault="qualified">
   <xsd:complexType name="Element">
    <xsd:annotation><xsd:documentation>Open XML content: one rtEvent or batchEvent element (PushEvent), or several, optionally wrapped in an Events element (PushEvents).</xsd:documentation></xsd:annotation>
    <xsd:sequence><xsd:any processContents="lax" minOccurs="0" maxOccurs="unbounded"/></xsd:sequence>
    <xsd:anyAttribute processContents="lax"/>
   </xsd:complexType>
   <xsd:element name="PushEvent">
    <xsd:complexType><xsd:sequence>
     <xsd:element name="sessiontoken" type="xsd:string"/>
     <xsd:element name="domEvent" type="tns:Element"/>
    </xsd:sequence></xsd:complexType>
   </xsd:element>
   <xsd:element name="PushEventResponse">
    <xsd:complexType><xsd:sequence>
     <xsd:element name="plId" type="xsd:long" form="unqualified"/>
    </xsd:sequence></xsd:complexType>
   </xsd:element>
   <xsd:element name="PushEvents">
    <xsd:complexType><xsd:sequence>
     <xsd:element name="sessiontoken" type="xsd:string"/>
     <xsd:element name="domEventCollection" type="tns:Element"/>
    </xsd:sequence></xsd:complexType>
   </xsd:element>
   <xsd:element name="PushEventsResponse">
    <xsd:complexType><xsd:sequence>
     <xsd:element name="plId" type="xsd:long" form="unqualified" minOccurs="0" maxOccurs="unbounded"/>
    </xsd:sequence></xsd:complexType>
   </xsd:element>
  </xsd:schema>
 </wsdl:types>
 <wsdl:message name="PushEventIn"><wsdl:part name="parameters" element="tns:PushEvent"/></wsdl:message>
 <wsdl:message name="PushEventOut"><wsdl:part name="parameters" element="tns:PushEventResponse"/></wsdl:message>
 <wsdl:message name="PushEventsIn"><wsdl:part name="parameters" element="tns:PushEvents"/></wsdl:message>
 <wsdl:message name="PushEventsOut"><wsdl:part name="parameters" element="tns:PushEventsResponse"/></wsdl:message>
 <wsdl:portType name="${name}MethodsSoap">
  <wsdl:operation name="PushEvent"><wsdl:input message="tns:PushEventIn"/><wsdl:output message="tns:PushEventOut"/></wsdl:operation>
  <wsdl:operation name="PushEvents"><wsdl:input message="tns:PushEventsIn"/><wsdl:output message="tns:PushEventsOut"/></wsdl:operation>
 </wsdl:portType>
 <wsdl:binding name="${name}MethodsSoap" type="tns:${name}MethodsSoap">
  <soap:binding style="document" transport="http://schemas.xmlsoap.org/soap/http"/>${op('PushEvent')}${op('PushEvents')}
 </wsdl:binding>
 <wsdl:service name="${name}Service">
  <wsdl:port name="${name}MethodsSoap" binding="tns:${name}MethodsSoap">
   <soap:address location="${escapeAttribute(location)}"/>
  </wsdl:port>
 </wsdl:service>
</wsdl:definitions>
`;
}
