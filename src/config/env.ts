/**
 * `${VAR}` substitution on the raw config text, as OPA does
 * (an undefined variable becomes ""). `$${VAR}` is left as the literal `${VAR}`.
 */
export function substituteEnv(text: string, env: NodeJS.ProcessEnv = process.env): string {
  return text.replace(/\$?\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (whole: string, name: string) => {
    if (whole.startsWith('$$')) return whole.slice(1);
    return env[name] ?? '';
  });
}
