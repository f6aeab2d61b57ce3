import { messageOf, WasmgateError } from '../../common/error.ts';
import { loadBundle } from '../../policy/engine/engine.ts';
import { parseSelfTests, runSelfTests, type SelfTestReport } from '../../policy/bundles/selftest.ts';
import { SIGNATURES_FILE, verifyBundleSignatures } from '../../policy/bundles/signatures.ts';
import { readBundleArg, readKeyArg } from './bundle-sign.ts';

export interface InspectCommandOptions {
  bundle: string;
  verificationKey?: string;
  verificationKeyId?: string;
  signingAlg?: string;
  scope?: string;
}

export interface BundleInspection {
  path: string;
  revision: string;
  roots: string[];
  entrypoints: string[];
  builtins: string[];
  digest: string;
  files: string[];
  signature: { status: 'unsigned' | 'signed' | 'verified' | 'invalid'; message?: string; keyid?: string };
  selftest: SelfTestReport & { error?: string };
  /** true when the bundle loads, its signature (if checked) verifies and every self-test passes */
  ok: boolean;
}

/** Loads a bundle and reports what an operator needs before publishing it. */
export async function inspectBundleCommand(o: InspectCommandOptions): Promise<BundleInspection> {
  const disk = await readBundleArg(o.bundle);
  const bundle = await loadBundle(disk.bytes, { name: 'inspect', maxDecompressedBytes: 1024 * 1024 * 1024 });
  const signed = disk.files.has(SIGNATURES_FILE);
  let signature: BundleInspection['signature'];
  if (o.verificationKey === undefined) {
    signature = signed ? { status: 'signed', message: 'not verified: pass --verification-key to check it' } : { status: 'unsigned' };
  } else {
    const keyid = o.verificationKeyId ?? 'default';
    try {
      const r = await verifyBundleSignatures(disk.files, {
        keys: { [keyid]: { algorithm: o.signingAlg ?? 'RS256', key: await readKeyArg(o.verificationKey) } },
        keyid,
        ...(o.scope !== undefined && { scope: o.scope }),
      });
      signature = r.status === 'verified' ? { status: 'verified', keyid: r.keyid } : { status: 'unsigned' };
    } catch (err) {
      signature = { status: 'invalid', message: messageOf(err) };
    }
  }
  let selftest: BundleInspection['selftest'];
  try {
    selftest = runSelfTests(bundle, parseSelfTests(disk.files));
  } catch (err) {
    selftest = { total: 0, passed: 0, failures: [], error: WasmgateError.isWasmgateError(err) ? `${err.code}: ${err.message}` : messageOf(err) };
  }
  const ok = signature.status !== 'invalid' && selftest.failures.length === 0 && selftest.error === undefined
    && !(o.verificationKey !== undefined && signature.status !== 'verified');
  return {
    path: disk.path,
    revision: bundle.revision,
    roots: [...bundle.manifest.roots],
    entrypoints: [...bundle.entrypoints],
    builtins: [...bundle.builtins].sort(),
    digest: bundle.digest,
    files: [...disk.files.keys()].sort(),
    signature,
    selftest,
    ok,
  };
}

export function formatInspection(r: BundleInspection): string {
  const lines = [
    `bundle:      ${r.path}`,
    `revision:    ${r.revision === '' ? '(none)' : r.revision}`,
    `digest:      ${r.digest}`,
    `roots:       ${r.roots.map((x) => JSON.stringify(x)).join(', ')}`,
    `entrypoints: ${r.entrypoints.join(', ')}`,
    `builtins:    ${r.builtins.length === 0 ? '(none)' : r.builtins.join(', ')}`,
    `signature:   ${r.signature.status}${r.signature.keyid !== undefined ? ` (key ${r.signature.keyid})` : ''}${r.signature.message !== undefined ? `: ${r.signature.message}` : ''}`,
    `self-tests:  ${r.selftest.error ?? (r.selftest.total === 0 ? 'none shipped (add tests/*.json)' : `${r.selftest.passed}/${r.selftest.total} passed`)}`,
    ...r.selftest.failures.map((f) => `  FAIL ${f.name}: ${f.message}`),
  ];
  return `${lines.join('\n')}\n`;
}
