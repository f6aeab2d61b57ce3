/**
 * Which builtins a compiled policy.wasm may call. A builtin the module lists in
 * `builtins()` is a host import: the opa-wasm SDK implements a few of them in JS;
 * anything else would fail at call time, so the engine rejects it at load time.
 */

/** Builtins implemented in JS by @open-policy-agent/opa-wasm 1.10 (src/builtins/*). */
export const SDK_BUILTINS: readonly string[] = Object.freeze([
  'sprintf',
  'json.is_valid',
  'yaml.is_valid',
  'yaml.marshal',
  'yaml.unmarshal',
  'regex.split',
]);

/**
 * Builtins OPA's wasm compiler implements inside the module (`builtinsFunctions`
 * in OPA's internal/compiler/wasm/wasm.go). They never reach the host.
 */
export const NATIVE_WASM_BUILTINS: readonly string[] = Object.freeze([
  'plus', 'minus', 'mul', 'div', 'abs', 'round', 'ceil', 'floor', 'rem',
  'array.concat', 'array.reverse', 'array.slice',
  'set_diff', 'and', 'or', 'intersection', 'union',
  'is_number', 'is_string', 'is_boolean', 'is_array', 'is_set', 'is_object', 'is_null', 'type_name',
  'bits.or', 'bits.and', 'bits.negate', 'bits.xor', 'bits.lsh', 'bits.rsh',
  'count', 'sum', 'product', 'max', 'min', 'sort', 'all', 'any',
  'base64.is_valid', 'base64.decode', 'base64.encode', 'base64url.encode', 'base64url.decode',
  'net.cidr_contains', 'net.cidr_overlap', 'net.cidr_intersects',
  'equal', 'gt', 'gte', 'lt', 'lte', 'neq',
  'glob.match', 'json.marshal', 'json.unmarshal', 'json.is_valid',
  'object.filter', 'object.get', 'object.remove', 'object.union',
  'concat', 'format_int', 'indexof', 'substring', 'lower', 'upper', 'contains', 'startswith', 'endswith',
  'strings.reverse', 'split', 'replace', 'strings.replace_n',
  'trim', 'trim_left', 'trim_prefix', 'trim_right', 'trim_suffix', 'trim_space',
  'numbers.range', 'to_number', 'walk', 'graph.reachable',
  'regex.is_valid', 'regex.match', 're_match', 'regex.find_all_string_submatch_n',
  'json.remove', 'json.filter', 'internal.member_2', 'internal.member_3',
]);

/** Host-provided builtins available to every bundle (the SDK's). */
export function availableBuiltins(custom: Iterable<string> = []): ReadonlySet<string> {
  return new Set<string>([...SDK_BUILTINS, ...custom]);
}
