import { html, urlPart, type SafeHtml } from '../html.ts';
import type { DecisionRecord } from '../ring.ts';
import { page, shortDigest, verdict } from './layout.ts';

export interface ListFilter {
  /** substring of the ref (case-sensitive, as refs are) */
  ref: string;
  verdict: 'all' | 'allow' | 'deny';
}

export function parseFilter(q: URLSearchParams): ListFilter {
  const v = q.get('verdict');
  return { ref: (q.get('ref') ?? '').slice(0, 512), verdict: v === 'allow' || v === 'deny' ? v : 'all' };
}

export function matches(r: DecisionRecord, f: ListFilter): boolean {
  if (f.verdict === 'allow' && !r.allow) return false;
  if (f.verdict === 'deny' && r.allow) return false;
  return f.ref === '' || r.ref.includes(f.ref);
}

/** One table row; also sent alone over the live event stream. */
export function row(r: DecisionRecord): SafeHtml {
  const reasons = r.deny.length > 0 ? r.deny : r.errors.map((e) => `${e.code}: ${e.message}`);
  return html`<tr class="${r.allow ? 'allow' : 'deny'}"><td><time datetime="${r.time}">${r.time.slice(11, 23)}</time></td><td>${verdict(r.allow, r.errors.length > 0)}</td><td class="ref"><a href="/ui/decisions/${urlPart(r.decision_id)}">${r.ref}</a><div class="digest">${shortDigest(r.digest)}</div></td><td class="reasons">${reasons.length === 0 ? '—' : html`<ul>${reasons.map((d) => html`<li>${d}</li>`)}</ul>`}</td><td class="num">${r.latency_ms.toFixed(1)} ms${r.cached ? html`<div class="tag">cached</div>` : ''}</td><td class="rev">${r.revision ?? '—'}</td></tr>`;
}

export function listPage(records: readonly DecisionRecord[], f: ListFilter, capacity: number): string {
  const shown = records.filter((r) => matches(r, f));
  const opt = (v: ListFilter['verdict'], label: string): SafeHtml => html`<option value="${v}"${f.verdict === v ? html` selected` : ''}>${label}</option>`;
  const body = html`<h1>Recent decisions</h1>
<form class="filter" method="get" action="/ui/"><label>ref contains <input name="ref" value="${f.ref}" placeholder="e.g. payments"></label><label>verdict <select name="verdict">${opt('all', 'all')}${opt('allow', 'allow')}${opt('deny', 'deny')}</select></label><button type="submit">Filter</button></form>
<p class="muted" id="live-state">${shown.length} of the last ${capacity} decisions kept in memory; new decisions appear here as they are made.</p>
<div class="scroll"><table class="decisions" data-ref="${f.ref}" data-verdict="${f.verdict}"><thead><tr><th>time (UTC)</th><th>verdict</th><th>module</th><th>reasons</th><th>latency</th><th>policy revision</th></tr></thead><tbody id="rows">${shown.map(row)}</tbody></table></div>
${shown.length === 0 ? html`<p class="empty">No decisions yet${f.ref !== '' || f.verdict !== 'all' ? ' match this filter' : ''}. Ask one: <code>curl -X POST http://127.0.0.1:8181/v1/data/wasm/sbom -d '{"input":{"module":{"ref":"…"}}}'</code></p>` : ''}`;
  return page({ title: 'Decisions', body, mode: 'served', script: 'live' });
}
