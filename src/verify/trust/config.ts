/**
 * The `trust:` section of the wasmgate config file, as written by the operator
 * (snake_case, YAML). `loadTrustPolicy` validates it once and turns it into a
 * `TrustPolicy` (trust/policy.ts); nothing downstream reads this raw shape.
 *
 * ```yaml
 * trust:
 *   keys:                               # cosign / PEM public keys (ECDSA P-256/P-384, RSA ≥ 2048, Ed25519)
 *     - id: release                     # optional; default: sha256 fingerprint of the SPKI
 *       path: /etc/wasmgate/cosign.pub  # or `pem: |` with the key inline
 *       roles: [sbom, signature]        # what this signer may vouch for (default: every role)
 *   keyless:                            # Fulcio certificate identities; one entry must match all its fields
 *     - subject: https://github.com/acme/app/.github/workflows/build.yml@refs/heads/main
 *       # or subject_regexp: 'https://github\.com/acme/app/\.github/workflows/[^/]+@refs/tags/v.*'  (always anchored ^…$)
 *       issuer: https://token.actions.githubusercontent.com
 *       # or issuer_regexp: …
 *       extensions:                     # optional, exact values of decoded Fulcio extensions
 *         source_repository_uri: https://github.com/acme/app
 *       extensions_regexp:              # optional, anchored regexes
 *         source_repository_ref: 'refs/tags/v.*'
 *       roles: [provenance]             # optional; default: every role (sbom, provenance, signature)
 *   trusted_roots: public-good          # default; or none, or a list: [public-good, /etc/wasmgate/private/trusted_root.json]
 *   thresholds:                         # for keyless evidence (defaults 1 / 1 / 1)
 *     tlog: 1
 *     ctlog: 1
 *     timestamps: 1
 *   key_thresholds:                     # for key-signed evidence (defaults 0 / 0: cosign --tlog-upload=false)
 *     tlog: 0
 *     timestamps: 0
 * ```
 */
export interface TrustConfigV1 {
  keys?: TrustKeyConfigV1[];
  keyless?: KeylessIdentityConfigV1[];
  trusted_roots?: 'public-good' | 'none' | string[];
  thresholds?: { tlog?: number; ctlog?: number; timestamps?: number };
  key_thresholds?: { tlog?: number; timestamps?: number };
}

export interface TrustKeyConfigV1 {
  id?: string;
  path?: string;
  pem?: string;
  roles?: Role[];
}

export interface KeylessIdentityConfigV1 {
  subject?: string;
  subject_regexp?: string;
  issuer?: string;
  issuer_regexp?: string;
  extensions?: Record<string, string>;
  extensions_regexp?: Record<string, string>;
  roles?: Role[];
}

/**
 * What a trusted signer may vouch for: `sbom` (SBOM attestations), `provenance`
 * (SLSA provenance), `signature` (image signatures). Verification stamps each
 * verified piece of evidence with its signer's roles (`Evidence.verified_for`),
 * and the policy requires the role that fits the evidence. An entry without
 * `roles` holds every role (the behaviour of configs written before roles).
 */
export type Role = 'sbom' | 'provenance' | 'signature';

/** Every role, in the order they are reported. */
export const ROLES: readonly Role[] = Object.freeze(['sbom', 'provenance', 'signature']);

/** The name under which the shipped Sigstore public-good trusted root is referenced. */
export const PUBLIC_GOOD = 'public-good';
