import type { LoadedBundle } from '../../policy/engine/types.ts';
import type { StatusSnapshot } from '../../status/types.ts';
import { html, type SafeHtml } from '../html.ts';
import { page } from './layout.ts';

export interface PolicyView {
  bundle: LoadedBundle | null;
  status: StatusSnapshot;
  /** the config's `trust:` section as written (key material is summarised, never shown) */
  trust: Record<string, unknown>;
}

const asArray = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const asRecord = (v: unknown): Record<string, unknown> => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {});
const text = (v: unknown): string => (typeof v === 'string' ? v : v === undefined ? '' : JSON.stringify(v));

/** Keys are named by id and by where they come from; the PEM itself is never echoed. */
function trustSummary(trust: Record<string, unknown>): SafeHtml {
  const keys = asArray(trust.keys).map(asRecord);
  const keyless = asArray(trust.keyless).map(asRecord);
  const roots = trust.trusted_roots ?? 'public-good';
  return html`<dl><dt>keys</dt><dd>${keys.length === 0 ? html`<span class="muted">none</span>` : html`<ul>${keys.map((k) => html`<li><span class="mono">${text(k.id) || '(fingerprint id)'}</span> ${k.path ? html`from <span class="mono">${text(k.path)}</span>` : k.pem ? '(inline PEM)' : ''}${k.roles ? html` roles ${asArray(k.roles).map(text).join(', ')}` : ''}</li>`)}</ul>`}</dd>
<dt>keyless identities</dt><dd>${keyless.length === 0 ? html`<span class="muted">none</span>` : html`<ul>${keyless.map((k) => html`<li><span class="mono">${text(k.subject ?? k.subject_regexp)}</span>${k.subject_regexp ? ' (pattern)' : ''}<div class="muted">issuer ${text(k.issuer ?? k.issuer_regexp)}${k.roles ? html`; roles ${asArray(k.roles).map(text).join(', ')}` : ''}</div></li>`)}</ul>`}</dd>
<dt>trusted roots</dt><dd class="mono">${Array.isArray(roots) ? roots.map(text).join(', ') : text(roots)}</dd></dl>`;
}

function details(d: Record<string, unknown> | undefined): SafeHtml {
  if (!d || Object.keys(d).length === 0) return html``;
  return html`<dl>${Object.entries(d).map(([k, v]) => html`<dt>${k}</dt><dd class="mono">${text(v)}</dd>`)}</dl>`;
}

export function policyPage(v: PolicyView): string {
  const b = v.bundle;
  const bundles = Object.values(v.status.bundles);
  const db = v.status.plugins.vulnerability_db;
  const body = html`<h1>Policy</h1>
<section id="bundle"><h2>Active bundle</h2>${b ? html`<dl><dt>name</dt><dd>${b.name}</dd><dt>revision</dt><dd class="mono">${b.revision}</dd><dt>digest</dt><dd class="mono">${b.digest}</dd><dt>roots</dt><dd class="mono">${(b.manifest.roots ?? []).join(', ') || '(all)'}</dd><dt>entrypoints</dt><dd class="mono">${b.entrypoints.join(', ')}</dd></dl>` : html`<p class="bad">No bundle is active: every decision is denied (no_trusted_policy).</p>`}
${bundles.length > 0 ? html`<h3>Bundle status</h3><div class="scroll"><table><thead><tr><th>bundle</th><th>active revision</th><th>last activation</th><th>last download</th><th>state</th></tr></thead><tbody>${bundles.map((s) => html`<tr><td>${s.name}</td><td class="mono">${s.active_revision ?? '—'}</td><td>${s.last_successful_activation ?? '—'}</td><td>${s.last_successful_download ?? '—'}</td><td>${s.code ? html`<span class="bad"><code>${s.code}</code> ${s.message ?? ''}</span>${s.errors?.length ? html`<ul class="errors">${s.errors.map((e) => html`<li><code>${e.code}</code> ${e.message}</li>`)}</ul>` : ''}` : html`<span class="ok">OK</span>`}</td></tr>`)}</tbody></table></div>` : ''}</section>
<section id="trust"><h2>Trust</h2>${trustSummary(v.trust)}</section>
<section id="db"><h2>Vulnerability database</h2>${db ? html`<p>state <strong>${db.state}</strong>${db.message ? html` — ${db.message}` : ''}</p>${details(db.details)}` : html`<p class="muted">No vulnerability database component is registered.</p>`}</section>
<section id="components"><h2>Components</h2><div class="scroll"><table><thead><tr><th>component</th><th>state</th><th>message</th></tr></thead><tbody>${Object.entries(v.status.plugins).map(([name, s]) => html`<tr><td>${name}</td><td>${s.state}</td><td>${s.message ?? ''}</td></tr>`)}</tbody></table></div></section>`;
  return page({ title: 'Policy', body, mode: 'served' });
}
