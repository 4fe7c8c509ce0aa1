/**
 * SOAP 1.1 faults: the one place that decides a faultcode. Route code throws `SoapFault`; the
 * plugin's error handler turns it — or a Fastify error (body too large, wrong content type) or
 * anything unexpected — into a fault envelope. HTTP 500 for every fault, as SOAP 1.1 requires.
 */
import { escapeText } from './xml-escape';

/**
 * `Client`: the caller must change the request before resending. `Server`: ours; the same
 * request may succeed later. `VersionMismatch`: not a SOAP 1.1 envelope.
 */
export type FaultCode = 'Client' | 'Server' | 'VersionMismatch';

export class SoapFault extends Error {
  override readonly name = 'SoapFault';

  constructor(
    readonly faultCode: FaultCode,
    /** Short, Adobe-like: "Error while executing the method 'PushEvent' of service 'nms:rtEvent'." */
    readonly faultString: string,
    /** What exactly is wrong; shown to the caller, so never internals. */
    readonly detail: string,
  ) {
    super(`${faultString} ${detail}`);
  }
}

/** Adobe words its method-level faults this way; clients grep for it. */
export function methodFaultString(method: string, service: string): string {
  return `Error while executing the method '${method}' of service '${service}'.`;
}

export const READ_FAULT_STRING = 'Error while reading the SOAP request.';

export const clientFault = (faultString: string, detail: string) => new SoapFault('Client', faultString, detail);

/** The detail Adobe answers for a bad session token or login/password. */
export const INVALID_LOGIN_DETAIL = 'Invalid login or password. Connection denied.';

export const GENERIC_SERVER_DETAIL = 'An internal error occurred; it has been logged. Retry later.';
export const UNAVAILABLE_DETAIL = 'The event queue is unreachable; nothing was stored. Retry later.';

/** Fastify's own request errors (raised before our handler runs), as SOAP faults. */
export function faultFromFrameworkError(error: { code?: string; statusCode?: number; message?: string }, bodyLimitBytes: number): SoapFault | undefined {
  switch (error.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return clientFault(READ_FAULT_STRING, `The request body exceeds the limit of ${bodyLimitBytes} bytes.`);
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
    case 'FST_ERR_CTP_INVALID_TYPE':
      return clientFault(
        READ_FAULT_STRING,
        'Unsupported Content-Type: send the SOAP envelope as text/xml (SOAP 1.1), application/soap+xml or application/xml.',
      );
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return clientFault(READ_FAULT_STRING, 'The request body length does not match its Content-Length.');
    default:
      break;
  }
  // Any other 4xx Fastify raises is about the request itself; its message is safe to show.
  if (typeof error.statusCode === 'number' && error.statusCode >= 400 && error.statusCode < 500) {
    return clientFault(READ_FAULT_STRING, error.message || 'Bad request.');
  }
  return undefined;
}

export function faultEnvelope(fault: SoapFault): string {
  return (
    '<?xml version="1.0" encoding="utf-8"?>\n' +
    '<SOAP-ENV:Envelope xmlns:xsd="http://www.w3.org/2001/XMLSchema"' +
    ' xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"' +
    ' xmlns:SOAP-ENV="http://schemas.xmlsoap.org/soap/envelope/">' +
    '<SOAP-ENV:Body><SOAP-ENV:Fault>' +
    `<faultcode>SOAP-ENV:${fault.faultCode}</faultcode>` +
    `<faultstring xsi:type="xsd:string">${escapeText(fault.faultString)}</faultstring>` +
    `<detail xsi:type="xsd:string">${escapeText(fault.detail)}</detail>` +
    '</SOAP-ENV:Fault></SOAP-ENV:Body></SOAP-ENV:Envelope>\n'
  );
}
