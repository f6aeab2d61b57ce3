/**
 * A dependency-free SVG plot of latency distributions: one row per series, a
 * log-scale time axis, the distribution drawn as a box from p50 to p99 with a
 * whisker to p99.9 (and a tick at p2.5 when known).
 */
export interface LatencySeries {
  label: string;
  /** milliseconds */
  p2_5?: number;
  p50: number;
  p99: number;
  p99_9: number;
  /** fill colour */
  colour?: string;
}

const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

export function latencySvg(title: string, series: readonly LatencySeries[]): string {
  const rowH = 22;
  const left = 250;
  const width = 820;
  const plotW = width - left - 30;
  const top = 40;
  const height = top + series.length * rowH + 50;
  const values = series.flatMap((s) => [s.p2_5 ?? s.p50, s.p50, s.p99, s.p99_9]).filter((v) => v > 0 && Number.isFinite(v));
  const lo = Math.pow(10, Math.floor(Math.log10(Math.max(1e-3, Math.min(...values)))));
  const hi = Math.pow(10, Math.ceil(Math.log10(Math.max(...values))));
  const x = (v: number): number => left + (Math.log10(Math.max(lo, v) / lo) / Math.log10(hi / lo)) * plotW;
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="11">`);
  out.push(`<rect width="${width}" height="${height}" fill="white"/>`);
  out.push(`<text x="${width / 2}" y="18" text-anchor="middle" font-size="13">${esc(title)}</text>`);
  for (let d = lo; d <= hi * 1.0001; d *= 10) {
    const gx = x(d).toFixed(1);
    out.push(`<line x1="${gx}" y1="${top - 6}" x2="${gx}" y2="${top + series.length * rowH}" stroke="#ddd"/>`);
    out.push(`<text x="${gx}" y="${top + series.length * rowH + 14}" text-anchor="middle">${d >= 1 ? `${d} ms` : `${d * 1000} µs`}</text>`);
  }
  series.forEach((s, i) => {
    const y = top + i * rowH;
    const mid = y + rowH / 2;
    const colour = s.colour ?? '#4c78a8';
    out.push(`<text x="${left - 8}" y="${mid + 4}" text-anchor="end">${esc(s.label)}</text>`);
    out.push(`<line x1="${x(s.p99).toFixed(1)}" y1="${mid}" x2="${x(s.p99_9).toFixed(1)}" y2="${mid}" stroke="${colour}"/>`);
    out.push(`<line x1="${x(s.p99_9).toFixed(1)}" y1="${mid - 5}" x2="${x(s.p99_9).toFixed(1)}" y2="${mid + 5}" stroke="${colour}"/>`);
    if (s.p2_5 !== undefined) out.push(`<line x1="${x(s.p2_5).toFixed(1)}" y1="${mid}" x2="${x(s.p50).toFixed(1)}" y2="${mid}" stroke="${colour}" stroke-dasharray="2,2"/>`);
    const bx = x(s.p50);
    out.push(`<rect x="${bx.toFixed(1)}" y="${y + 4}" width="${Math.max(2, x(s.p99) - bx).toFixed(1)}" height="${rowH - 8}" fill="${colour}" fill-opacity="0.6" stroke="${colour}"/>`);
    out.push(`<line x1="${bx.toFixed(1)}" y1="${y + 2}" x2="${bx.toFixed(1)}" y2="${y + rowH - 2}" stroke="black" stroke-width="2"/>`);
  });
  const ly = top + series.length * rowH + 34;
  out.push(`<text x="${left}" y="${ly}">black bar = p50 · box = p50 to p99 · whisker = p99.9 · dashed = p2.5 to p50 (log scale)</text>`);
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}
