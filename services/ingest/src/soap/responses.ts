/**
 * Success envelopes, shaped like Adobe's: the method name plus `Response` in the call's
 * namespace, SOAP encoding style, one `<plId xsi:type="xsd:long">` per event in document order.
 */
import type { Method } from './operations';
import { escapeAttribute, escapeText } from './xml-escape';

export function pushResponseEnvelope(method: Method, namespace: string, ids: readonly string[]): string {
  let plIds = '';
  for (const id of ids) plIds += `<plId xsi:type="xsd:long">${escapeText(id)}</plId>`;
  return (
    '<?xml version="1.0" encoding="utf-8"?>\n' +
    '<SOAP-ENV:Envelope xmlns:xsd="http://www.w3.org/2001/XMLSchema"' +
    ' xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"' +
    ' xmlns:SOAP-ENV="http://schemas.xmlsoap.org/soap/envelope/">' +
    '<SOAP-ENV:Body>' +
    `<urn:${method}Response xmlns:urn="${escapeAttribute(namespace)}"` +
    ' SOAP-ENV:encodingStyle="http://schemas.xmlsoap.org/soap/encoding/">' +
    plIds +
    `</urn:${method}Response>` +
    '</SOAP-ENV:Body></SOAP-ENV:Envelope>\n'
  );
}
