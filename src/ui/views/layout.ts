import { html, type SafeHtml } from '../html.ts';
import { STYLE } from '../assets.ts';

export interface PageOptions {
  title: string;
  body: SafeHtml;
  /** served by wasmgate: external stylesheet and script (CSP 'self'); standalone: inline CSS, no script, no links back */
  mode: 'served' | 'standalone';
  /** the script to load (served mode only) */
  script?: 'live' | 'decision';
}

const STANDALONE_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'";

/** The page shell: readable on a phone, no remote loads, one stylesheet. */
export function page(o: PageOptions): string {
  const head = o.mode === 'served'
    ? html`<link rel="stylesheet" href="/ui/assets/style.css">${o.script ? html`<script src="/ui/assets/${o.script}.js" defer></script>` : ''}`
    : html`<meta http-equiv="Content-Security-Policy" content="${STANDALONE_CSP}"><style>${STYLE}</style>`;
  const nav = o.mode === 'served'
    ? html`<nav><a href="/ui/">Decisions</a><a href="/ui/policy">Policy</a></nav>`
    : html`<nav><span>report written by wasmgate check</span></nav>`;
  return `<!doctype html>\n${html`<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><meta name="referrer" content="no-referrer"><title>${o.title} · wasmgate</title>${head}</head><body><header><span class="brand">wasmgate</span>${nav}</header><main>${o.body}</main></body></html>`.text}\n`;
}

export const verdict = (allow: boolean, undecided: boolean): SafeHtml =>
  allow ? html`<span class="verdict allow">ALLOW</span>` : html`<span class="verdict deny">${undecided ? 'UNDECIDED (deny)' : 'DENY'}</span>`;

export const shortDigest = (d: string | null | undefined): string => (d ? `${d.slice(0, 19)}…` : '—');
