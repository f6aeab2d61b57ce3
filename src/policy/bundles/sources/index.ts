import { fileURLToPath } from 'node:url';
import type { ArtifactStore } from '../../../oci/store.ts';
import type { BundleConfig, ServiceConfig } from '../../../config/types.ts';
import { RegistryClient } from '../../../registry/index.ts';
import { createServiceClient } from '../../../services/client.ts';
import { bundleError } from '../error.ts';
import { FileSource } from './file.ts';
import { HttpSource } from './http.ts';
import { OciSource } from './oci.ts';
import { createOciAuth } from './oci-auth.ts';
import type { BundleSource } from './types.ts';

export { FileSource } from './file.ts';
export { HttpSource, OPA_BUNDLE_CONTENT_TYPE } from './http.ts';
export { OciSource, OCI_BUNDLE_LAYER } from './oci.ts';
export { createOciAuth } from './oci-auth.ts';
export type { OciAuth } from './oci-auth.ts';
export type { BundleSource, FetchResult } from './types.ts';

export interface SourceDeps {
  services: Readonly<Record<string, ServiceConfig>>;
  /** the registry client for OCI services; default one RegistryClient per service */
  ociStore?: (service: ServiceConfig) => ArtifactStore;
}

/**
 * Picks a bundle's source from its config, OPA's way: a `service` of type oci
 * → registry; another service → the HTTP bundle protocol at
 * `<url>/<resource>` (resource defaults to bundles/<name>); no service → a local
 * file or directory named by `resource` (a path or a file:// URL).
 */
export function createSource(name: string, bundle: BundleConfig, deps: SourceDeps): BundleSource {
  const maxBytes = bundle.size_limit_bytes;
  if (bundle.service === undefined) {
    if (bundle.resource === undefined || bundle.resource === '') {
      throw bundleError('BUNDLE_SOURCE_INVALID', `bundles.${name} has neither service nor resource; set resource to a bundle file or directory (or file:///path), or name a service`);
    }
    const path = bundle.resource.startsWith('file://') ? fileURLToPath(bundle.resource) : bundle.resource;
    return new FileSource(path, maxBytes);
  }
  const service = deps.services[bundle.service];
  if (service === undefined) throw bundleError('BUNDLE_SOURCE_INVALID', `bundles.${name}.service ${bundle.service} names no configured service; add services.${bundle.service}`);
  if (service.type === 'oci') {
    if (bundle.resource === undefined) throw bundleError('BUNDLE_SOURCE_INVALID', `bundles.${name} uses OCI service ${service.name} but has no resource; set resource to the full reference, e.g. registry.example/org/policy:1`);
    if (deps.ociStore !== undefined) return new OciSource({ store: deps.ociStore(service), reference: bundle.resource, maxBytes });
    // the service's credentials for its registry; without any, Docker's config.json
    const auth = createOciAuth(service, bundle.resource);
    const client = new RegistryClient({
      limits: { blobBytes: maxBytes },
      ...(auth !== undefined && { credentials: auth.credentials, dispatcher: auth.dispatcher }),
    });
    return new OciSource({
      store: client,
      reference: bundle.resource,
      maxBytes,
      ...(auth !== undefined && { beforeFetch: () => auth.refresh() }),
      close: async () => {
        await client.close();
        await auth?.close();
      },
    });
  }
  return new HttpSource({
    client: createServiceClient(service),
    resource: bundle.resource ?? `bundles/${name}`,
    maxBytes,
    ...(bundle.polling?.long_polling_timeout_seconds !== undefined && { longPollingTimeoutSeconds: bundle.polling.long_polling_timeout_seconds }),
  });
}
