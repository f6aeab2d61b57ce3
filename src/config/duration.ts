const UNIT_MS = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** A config duration ("600s", "90m", "36h", "7d", as the schema's pattern allows) in milliseconds. */
export function durationMs(text: string): number {
  const m = /^([1-9][0-9]*)(s|m|h|d)$/.exec(text);
  if (!m) throw new RangeError(`"${text}" is not a duration such as "7d", "36h", "90m" or "600s"`);
  return Number(m[1]) * UNIT_MS[m[2] as keyof typeof UNIT_MS];
}
