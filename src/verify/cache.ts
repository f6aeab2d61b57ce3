import { createHash } from 'node:crypto';
import { TrustedRoot } from '@sigstore/protobuf-specs';
import { LRUCache } from 'lru-cache';
import type { Evidence } from '../contract/input-v1.ts';
import type { CollectedEvidence, ModuleTarget, RawEvidence } from '../oci/types.ts';
import { stableStringify } from '../common/stable-json.ts';
import type { Route } from './predicate/route.ts';
import type { TrustPolicy } from './trust/policy.ts';
import { verifyOne, type VerifiedEvidence, type VerifyOptions } from './verify-evidence.ts';

/** What verifying one piece of evidence gave: where it goes in the input and the evidence entry. */
export interface VerificationResult {
  route: Route;
  evidence: Evidence;
}

/**
 * A key-value tier for verification results. The in-memory LRU is the first; a shared tier (Redis, for a fleet)
 * implements the same three calls. Values are plain JSON (an Evidence entry and its route).
 */
export interface VerificationStore {
  get(key: string): Promise<VerificationResult | undefined>;
  set(key: string, value: VerificationResult): Promise<void>;
  clear(): Promise<void>;
}

/** An in-memory LRU tier bounded in entries. */
export function createMemoryVerificationStore(maxEntries = 4096): VerificationStore & { readonly size: number } {
  const lru = new LRUCache<string, VerificationResult>({ max: Math.max(1, maxEntries) });
  return {
    get: async (key) => lru.get(key),
    set: async (key, value) => {
      lru.set(key, value);
    },
    clear: async () => lru.clear(),
    get size() {
      return lru.size;
    },
  };
}

const trustHashes = new WeakMap<TrustPolicy, string>();

/**
 * sha256 of everything in a trust policy that a verification outcome depends on: the merged trusted root, the keys
 * (DER SPKI), the keyless identities (matcher sources) and the thresholds. Computed once per policy object.
 */
export function trustPolicyHash(policy: TrustPolicy): string {
  let h = trustHashes.get(policy);
  if (h === undefined) {
    const matcher = (m: TrustPolicy['identities'][number]['subject']): string => (m.$case === 'exact' ? `=${m.value}` : `~${m.source}`);
    h = createHash('sha256').update(stableStringify({
      root: TrustedRoot.toJSON(policy.trustedRoot),
      keys: policy.keys.map((k) => ({ id: k.id, algorithm: k.algorithm, spki: k.spki.toString('base64') })),
      identities: policy.identities.map((i) => ({ subject: matcher(i.subject), issuer: matcher(i.issuer), extensions: i.extensions.map((e) => [e.name, matcher(e.matcher)]) })),
      thresholds: policy.thresholds,
      keyThresholds: policy.keyThresholds,
    })).digest('hex');
    trustHashes.set(policy, h);
  }
  return h;
}

/**
 * The cache key of one verification: the evidence's bytes (its layer digest: the collector checked the payload
 * against it) and every descriptor field the verifier reads (the layer annotations carry cosign's signature,
 * certificate, chain and bundle), the digests it is bound to (manifest, index, wasm layer), and the trust hash.
 */
export function verificationKey(raw: RawEvidence, module: ModuleTarget, trustHash: string): string {
  const { payload: _payload, ...described } = raw;
  return createHash('sha256').update(stableStringify({
    evidence: described,
    subject: [module.digest, module.indexDigest ?? '', module.wasmLayer?.digest ?? ''],
    trust: trustHash,
  })).digest('base64url');
}

export interface VerificationCacheStats {
  hits: number;
  misses: number;
  /** times the trust changed and every cached result was dropped */
  invalidations: number;
}

export interface VerificationCache {
  /** verifyEvidence with every outcome that depends only on content answered from (and stored in) the store */
  verify(collected: CollectedEvidence, trust: TrustPolicy, opts?: VerifyOptions): Promise<VerifiedEvidence>;
  /** drops every cached result */
  clear(): Promise<void>;
  stats(): VerificationCacheStats;
}

/**
 * Verification results cached by content. Verifying one piece of evidence is a pure function of its bytes, the
 * subject digests and the trust material, except when a certificate has no proven signing time (then it depends
 * on the clock and is never stored). A different trust hash than the last one seen drops every entry first.
 * Failures to verify are results like any other (the bytes will not verify tomorrow either); a thrown error is
 * never stored. Cached entries are shared between decisions: nothing downstream may mutate them.
 */
export function createVerificationCache(options: { store?: VerificationStore; maxEntries?: number; onLookup?: (hit: boolean) => void } = {}): VerificationCache {
  const store = options.store ?? createMemoryVerificationStore(options.maxEntries);
  let currentTrust: string | undefined;
  const stats: VerificationCacheStats = { hits: 0, misses: 0, invalidations: 0 };

  return {
    async verify(collected, trust, opts = {}) {
      const trustHash = trustPolicyHash(trust);
      if (currentTrust !== trustHash) {
        if (currentTrust !== undefined) {
          stats.invalidations++;
          await store.clear();
        }
        currentTrust = trustHash;
      }
      const out: VerifiedEvidence = { signatures: [], sbom_attestations: [], provenance_attestations: [], other_attestations: [] };
      for (const raw of collected.evidence) {
        const key = verificationKey(raw, collected.module, trustHash);
        let result = await store.get(key);
        options.onLookup?.(result !== undefined);
        if (result !== undefined) {
          stats.hits++;
        } else {
          stats.misses++;
          const fresh = verifyOne(raw, collected.module, trust, opts);
          result = { route: fresh.route, evidence: fresh.evidence };
          // the trust may have changed while we verified: store only under the trust still current
          if (!fresh.timeDependent && currentTrust === trustHash) await store.set(key, result);
        }
        out[result.route].push(result.evidence);
      }
      return out;
    },
    clear: () => store.clear(),
    stats: () => ({ ...stats }),
  };
}
