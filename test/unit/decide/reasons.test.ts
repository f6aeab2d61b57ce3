/**
 * The error vocabulary, class and code together: every error class of src/ is constructed with each code of its
 * union and classified. The expectations are written here independently of decide/reasons.ts, and each class's
 * expectation table is typed `Record<ItsCodeUnion, …>`: a code added to a union without a row here (or a row for a
 * code the union does not declare) does not compile.
 */
import { ComponentStartError, LifecycleError, type LifecycleErrorCode } from '../../../src/status/error.ts';
import { ServiceError, type ServiceErrorCode } from '../../../src/services/error.ts';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { CommonError, WasmgateError, type CommonErrorCode } from '../../../src/common/error.ts';
import { ConfigError, type ConfigErrorCode } from '../../../src/config/error.ts';
import { InvalidReferenceError, type ResolveErrorCode } from '../../../src/resolve/error.ts';
import { RegistryError, type RegistryErrorCode } from '../../../src/registry/error.ts';
import { VerifyError, type VerifyErrorCode } from '../../../src/verify/error.ts';
import { SbomError, type SbomErrorCode } from '../../../src/analyse/sbom/error.ts';
import { VulnError, type VulnErrorCode } from '../../../src/analyse/vulns/error.ts';
import { WasmInspectError, type WasmInspectErrorCode } from '../../../src/common/wasm/error.ts';
import { AssembleError, type AssembleErrorCode } from '../../../src/assemble/error.ts';
import { BundleError, type BundleErrorCode } from '../../../src/policy/bundles/error.ts';
import { EngineError, type EngineErrorCode } from '../../../src/policy/engine/error.ts';
import { EvaluationPoolError, type EvaluationPoolErrorCode } from '../../../src/policy/pool/error.ts';
import { CallerError, DecideError, type CallerErrorCode, type DecideErrorCode } from '../../../src/decide/error.ts';
import { classifyError, type CallerErrorKind, type DenyReason } from '../../../src/decide/reasons.ts';
import { LogsError, type LogsErrorCode } from '../../../src/logs/error.ts';
import { WasmcloudError, type WasmcloudErrorCode } from '../../../src/integrations/wasmcloud/error.ts';
import { ListenError, type ListenErrorCode } from '../../../src/server/transports/error.ts';
import { ApiError } from '../../../src/server/opa-api/errors.ts';
import { CliError, type CliErrorCode } from '../../../src/cli/error.ts';

type Reason = DenyReason | CallerErrorKind;
const CALLER_KINDS: readonly Reason[] = ['invalid_ref', 'host_not_allowed'] satisfies CallerErrorKind[];

interface ClassRows {
  /** the class, for instanceof and its name */
  cls: abstract new (...args: never[]) => WasmgateError;
  /** the reason each code maps to */
  rows: ReadonlyArray<readonly [code: string, reason: Reason]>;
  make: (code: string, message: string) => WasmgateError;
}

/** One class: `expected` must name every code of the class's union, and nothing else. */
function table<C extends string>(
  cls: abstract new (...args: never[]) => WasmgateError<C>,
  make: (code: C, message: string) => WasmgateError<C>,
  expected: Record<NoInfer<C>, Reason>,
): ClassRows {
  const rows = Object.entries(expected) as Array<[C, Reason]>;
  return { cls, rows, make: (code, message) => make(code as C, message) };
}

const TIMEOUT = 'timeout';
const NO_POLICY = 'no_trusted_policy';
const INTERNAL = 'internal_error';

/** Layers at and below decide: what a Decider is built from. */
const DECISION_PATH: Record<string, ClassRows> = {
  CommonError: table(CommonError, (c, m) => new CommonError(c, m), { VERSION_UNKNOWN: INTERNAL } satisfies Record<CommonErrorCode, Reason>),
  ConfigError: table(ConfigError, (c, m) => new ConfigError(c, m), {
    CONFIG_INVALID: INTERNAL, CONFIG_UNREADABLE: INTERNAL, CONFIG_PARSE_ERROR: INTERNAL,
  } satisfies Record<ConfigErrorCode, Reason>),
  InvalidReferenceError: table(InvalidReferenceError, (_c, m) => new InvalidReferenceError(m), { INVALID_REFERENCE: 'invalid_ref' } satisfies Record<ResolveErrorCode, Reason>),
  RegistryError: table(RegistryError, (c, m) => new RegistryError(c, m), {
    REGISTRY_UNREACHABLE: 'registry_unreachable',
    REGISTRY_PROTOCOL_ERROR: 'registry_unreachable',
    REGISTRY_UNAUTHORIZED: 'registry_auth_failed',
    MANIFEST_UNKNOWN: 'module_not_found',
    BLOB_UNKNOWN: 'module_not_found',
    LAYOUT_INVALID: 'module_not_found',
    DIGEST_MISMATCH: 'digest_mismatch',
    SIZE_LIMIT_EXCEEDED: 'evidence_too_large',
    DEADLINE_EXCEEDED: TIMEOUT,
    ABORTED: TIMEOUT,
    HOST_NOT_ALLOWED: 'host_not_allowed',
    LAYOUT_NOT_ALLOWED: 'host_not_allowed',
    MANIFEST_INVALID: 'invalid_manifest',
    REGISTRY_REDIRECT_REFUSED: 'registry_refused',
    REGISTRY_REALM_REFUSED: 'registry_refused',
    INVALID_ARGUMENT: INTERNAL,
  } satisfies Record<RegistryErrorCode, Reason>),
  VerifyError: table(VerifyError, (c, m) => new VerifyError(c, m), {
    TRUST_CONFIG_INVALID: INTERNAL, TRUST_KEY_INVALID: INTERNAL, TRUSTED_ROOT_INVALID: INTERNAL, TUF_REFRESH_FAILED: INTERNAL,
  } satisfies Record<VerifyErrorCode, Reason>),
  SbomError: table(SbomError, (c, m) => new SbomError(c, m), {
    SBOM_INVALID: INTERNAL, SBOM_UNSUPPORTED: INTERNAL, CARGO_LOCK_INVALID: INTERNAL,
  } satisfies Record<SbomErrorCode, Reason>),
  VulnError: table(VulnError, (c, m) => new VulnError(c, m), {
    VULN_DB_LOAD_ERROR: 'vulnerability_db_unavailable',
    VULN_DB_EMPTY: 'vulnerability_db_unavailable',
    VULN_DB_REFRESH_ERROR: 'vulnerability_db_unavailable',
    VULN_REPORT_INVALID: 'vulnerability_db_unavailable',
  } satisfies Record<VulnErrorCode, Reason>),
  // the pipeline turns an inspection failure into an input error (wasm_inspection_failed); thrown, it is a bug
  WasmInspectError: table(WasmInspectError, (c, m) => new WasmInspectError(c, m), {
    WASM_TOO_LARGE: INTERNAL, WASM_BAD_MAGIC: INTERNAL, WASM_UNSUPPORTED_VERSION: INTERNAL, WASM_TRUNCATED: INTERNAL,
    WASM_LEB128_OVERFLOW: INTERNAL, WASM_SECTION_PAST_END: INTERNAL, WASM_SECTION_SIZE_MISMATCH: INTERNAL,
    WASM_MALFORMED: INTERNAL, WASM_BAD_NAME: INTERNAL, WASM_NESTING_TOO_DEEP: INTERNAL, WASM_TOO_MANY_ENTRIES: INTERNAL,
    WASM_BAD_PRODUCERS: INTERNAL, WASM_DEP_V0_TOO_LARGE: INTERNAL, WASM_DEP_V0_INVALID: INTERNAL,
  } satisfies Record<WasmInspectErrorCode, Reason>),
  AssembleError: table(AssembleError, (c, m) => new AssembleError(c, m), { INPUT_SCHEMA_INVALID: 'invalid_evidence' } satisfies Record<AssembleErrorCode, Reason>),
  BundleError: table(BundleError, (c, m) => new BundleError(c, m), {
    BUNDLE_SOURCE_INVALID: NO_POLICY, BUNDLE_DOWNLOAD_FAILED: NO_POLICY, BUNDLE_HTTP_ERROR: NO_POLICY,
    BUNDLE_SIGNATURE_MISSING: NO_POLICY, BUNDLE_SIGNATURE_UNEXPECTED: NO_POLICY, BUNDLE_SIGNATURE_INVALID: NO_POLICY,
    BUNDLE_KEY_INVALID: NO_POLICY, BUNDLE_ROOTS_OVERLAP: NO_POLICY, BUNDLE_ROOTS_INVALID: NO_POLICY,
    BUNDLE_SELFTEST_INVALID: NO_POLICY, BUNDLE_SELFTEST_FAILED: NO_POLICY, BUNDLE_PERSIST_FAILED: NO_POLICY,
    BUNDLE_SIGN_FAILED: NO_POLICY, BUNDLE_DELTA_INVALID: NO_POLICY,
  } satisfies Record<BundleErrorCode, Reason>),
  EngineError: table(EngineError, (c, m) => new EngineError(c, m), {
    BUNDLE_UNREADABLE: NO_POLICY, BUNDLE_NOT_GZIP: NO_POLICY, BUNDLE_TOO_LARGE: NO_POLICY, BUNDLE_TAR_INVALID: NO_POLICY,
    BUNDLE_PATH_UNSAFE: NO_POLICY, BUNDLE_LINK_FORBIDDEN: NO_POLICY, BUNDLE_MANIFEST_MISSING: NO_POLICY,
    BUNDLE_MANIFEST_INVALID: NO_POLICY, BUNDLE_DATA_INVALID: NO_POLICY, BUNDLE_WASM_MISSING: NO_POLICY,
    BUNDLE_ENTRYPOINT_MISSING: NO_POLICY,
    WASM_COMPILE_FAILED: INTERNAL, WASM_ABI_UNSUPPORTED: INTERNAL, WASM_INSTANTIATE_FAILED: INTERNAL,
    BUILTIN_UNAVAILABLE: INTERNAL, EVAL_ERROR: INTERNAL,
  } satisfies Record<EngineErrorCode, Reason>),
  EvaluationPoolError: table(EvaluationPoolError, (c, m) => new EvaluationPoolError(c, m), {
    EVALUATION_OVERLOADED: 'overloaded', EVALUATION_WORKER_CRASHED: INTERNAL,
  } satisfies Record<EvaluationPoolErrorCode, Reason>),
  DecideError: table(DecideError, (c, m) => new DecideError(c, m), {
    NO_TRUSTED_POLICY: NO_POLICY, DECISION_OVERLOADED: 'overloaded', DECISION_TIMEOUT: TIMEOUT,
  } satisfies Record<DecideErrorCode, Reason>),
};

/** Layers above decide: never inside a Decider; if one got there it would fail closed. */
const ABOVE_DECIDE: Record<string, ClassRows> = {
  LogsError: table(LogsError, (c, m) => new LogsError(c, m), {
    REPLAY_EVENT_NOT_FOUND: INTERNAL, REPLAY_NOT_REPLAYABLE: INTERNAL, REPLAY_EVIDENCE_CHANGED: INTERNAL,
  } satisfies Record<LogsErrorCode, Reason>),
  WasmcloudError: table(WasmcloudError, (c, m) => new WasmcloudError(c, m), {
    WASMCLOUD_CONFIG_INVALID: INTERNAL, WASMCLOUD_CONNECT_FAILED: INTERNAL, WASMCLOUD_REQUEST_INVALID: INTERNAL,
  } satisfies Record<WasmcloudErrorCode, Reason>),
  ListenError: table(ListenError, (c, m) => new ListenError(c, m), {
    LISTEN_FAILED: INTERNAL, SOCKET_PATH_OCCUPIED: INTERNAL, SOCKET_IN_USE: INTERNAL, LISTEN_ADDRESS_INVALID: INTERNAL,
  } satisfies Record<ListenErrorCode, Reason>),
  LifecycleError: table(LifecycleError, (c, m) => new LifecycleError(c, m), {
    COMPONENT_START_FAILED: INTERNAL, COMPONENT_DEPENDENCY_UNKNOWN: INTERNAL, COMPONENT_DEPENDENCY_CYCLE: INTERNAL, COMPONENT_DUPLICATE: INTERNAL,
  } satisfies Record<LifecycleErrorCode, Reason>),
  // the services layer sits below decide, but its errors reach no Decider: bundle and log status report them
  ServiceError: table(ServiceError, (c, m) => new ServiceError(c, m), {
    SERVICE_CONFIG_INVALID: INTERNAL, SERVICE_TOKEN_UNREADABLE: INTERNAL, SERVICE_TIMEOUT: INTERNAL, SERVICE_REQUEST_FAILED: INTERNAL,
  } satisfies Record<ServiceErrorCode, Reason>),
  ApiError: table(ApiError, (_c, m) => new ApiError(400, 'invalid_parameter', m), { API_ERROR: INTERNAL } satisfies Record<ApiError['code'], Reason>),
  CliError: table(CliError, (c, m) => new CliError(c, m), {
    CLI_USAGE: INTERNAL, INVALID_ARGUMENT: INTERNAL, INSPECT_BAD_OPTION: INTERNAL, INSPECT_NO_WASM_LAYER: INTERNAL,
    INSPECT_NOT_A_FILE: INTERNAL, INSPECT_READ_FAILED: INTERNAL, NO_INPUT: INTERNAL, BUNDLE_NOT_FOUND: INTERNAL,
    BUNDLE_DATA_MOVED: INTERNAL, BUNDLE_OUTPUT_EXISTS: INTERNAL, OPA_NOT_FOUND: INTERNAL, BUNDLE_BUILD_FAILED: INTERNAL,
  } satisfies Record<CliErrorCode, Reason>),
};

const ALL = { ...DECISION_PATH, ...ABOVE_DECIDE };
const cases = Object.entries(ALL).flatMap(([name, t]) => t.rows.map(([code, reason]) => ({ name, t, code, reason })));

describe('classifyError: every error class with each of its codes', () => {
  it.each(cases)('$name $code → $reason', ({ name, t, code, reason }) => {
    const message = `${code} happened: do the thing`;
    const err = t.make(code, message);
    expect(err).toBeInstanceOf(t.cls);
    expect(err).toBeInstanceOf(WasmgateError);
    expect(err.name).toBe(name);
    expect(err.code).toBe(code);
    const kind = CALLER_KINDS.includes(reason) ? 'caller' : 'deny';
    expect(classifyError(err)).toEqual({ kind, reason, message });
  });

  it.each(['invalid_ref', 'host_not_allowed'] satisfies CallerErrorKind[])('a CallerError (%s) stays the caller\'s mistake', (reason) => {
    const err = new CallerError(reason, 'bad ref');
    expect(err.code).toBe('CALLER_ERROR' satisfies CallerErrorCode);
    expect(classifyError(err)).toEqual({ kind: 'caller', reason, message: 'bad ref' });
  });
});

describe('classifyError: a component that failed to start', () => {
  it('keeps the component\'s code, and fails closed as that code would', () => {
    const err = new ComponentStartError('server', new ListenError('SOCKET_IN_USE', 'in use'));
    expect(err).toMatchObject({ name: 'ComponentStartError', code: 'SOCKET_IN_USE', component: 'server' });
    expect(classifyError(err)).toMatchObject({ kind: 'deny', reason: 'internal_error' });
    expect(new ComponentStartError('bundle', new Error('boom')).code).toBe('COMPONENT_START_FAILED');
  });
});

describe('classifyError: fails closed on what it does not know', () => {
  class AnyCodeError extends WasmgateError<string> {}

  it.each(['REGISTRY_SOMETHING_NEW', 'BUNDLE_SOMETHING_NEW', 'VULN_SOMETHING_NEW', 'ENGINE_SOMETHING_NEW', 'toString', '__proto__', 'constructor'])(
    'an undeclared code (%s) is internal_error, not a guess from its prefix',
    (code) => {
      expect(classifyError(new AnyCodeError(code, 'm'))).toEqual({ kind: 'deny', reason: 'internal_error', message: 'm' });
    },
  );

  it('a foreign error or a non-Error throw is internal_error', () => {
    expect(classifyError(new TypeError('x is undefined'))).toEqual({ kind: 'deny', reason: 'internal_error', message: 'x is undefined' });
    expect(classifyError('a string')).toEqual({ kind: 'deny', reason: 'internal_error', message: 'a string' });
    expect(classifyError({ code: 'REGISTRY_UNREACHABLE', message: 'a look-alike' })).toEqual({ kind: 'deny', reason: 'internal_error', message: 'a look-alike' });
  });
});

describe('the error classes of src/', () => {
  const SRC = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'src');
  const files = (dir: string): string[] => readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : [];
  });
  const declared = files(SRC).flatMap((f) => [...readFileSync(f, 'utf8').matchAll(/\bclass\s+(\w+)\s+extends\s+WasmgateError\b/g)].map((m) => m[1]!));

  it('each has its table above', () => {
    expect(declared.length).toBeGreaterThan(10);
    expect([...declared].sort()).toEqual([...Object.keys(ALL), 'CallerError', 'ComponentStartError'].sort());
  });

  it('live in an error.ts (or errors.ts) of their area', () => {
    for (const f of files(SRC)) {
      if (/\bclass\s+\w+\s+extends\s+WasmgateError\b/.test(readFileSync(f, 'utf8'))) expect(f).toMatch(/\/errors?\.ts$/);
    }
  });
});
