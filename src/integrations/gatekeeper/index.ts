export { createGatekeeperRouter, GATEKEEPER_DEFAULTS, GATEKEEPER_DEFAULT_PATH } from './router.ts';
export { parseProviderRequest, providerResponse, EXTERNAL_DATA_API_VERSION } from './protocol.ts';
export type { GatekeeperRouterOptions } from './router.ts';
export type { ProviderRequestV1Beta1, ProviderResponseV1Beta1, ProviderItem, KeyDecisionValue } from './protocol.ts';
