/**
 * Adobe Campaign Message Center SOAP compatibility: the Fastify plugin and its options.
 * Register at the root (no prefix) — the paths are Adobe's: `app.register(soapRoutes, {...})`.
 */
export { soapRoutes, SOAP_ROUTER_PATH, WSDL_PATH } from './soap.routes';
export type { SoapPluginOptions } from './soap.routes';
export type { Principal, SoapOperator } from './soap-auth';
