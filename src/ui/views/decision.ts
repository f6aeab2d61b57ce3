import type { Evidence, InputV1, VulnerabilityMatch, WasmFactsV1 } from '../../contract/input-v1.ts';
import { componentsFromSbom, type Component } from '../../analyse/sbom/index.ts';
import { html, urlPart, type SafeHtml } from '../html.ts';
import type { DecisionRecord } from '../ring.ts';
import { page, shortDigest, verdict } from './layout.ts';

type Group = 'signatures' | 'sbom_attestations' | 'provenance_attestations' | 'other_attestations';

const GROUPS: ReadonlyArray<{ key: Group; title: string; one: string }> = [
  { key: 'signatures', title: 'Signatures', one: 'signature' },
  { key: 'sbom_attestations', title: 'SBOM attestations', one: 'SBOM attestation' },
  { key: 'provenance_attestations', title: 'Provenance attestations', one: 'provenance attestation' },
  { key: 'other_attestations', title: 'Other attestations', one: 'attestation' },
];

const FOUND_VIA: Record<string, string> = {
  'referrers-api': 'OCI 1.1 referrers API',
  'referrers-tag': 'referrers tag fallback (sha256-… tag)',
  'cosign-legacy-tag': "cosign's legacy .sig/.att tag",
  'oci-layout': 'OCI image layout on disk',
};

/** Where a deny reason points: the section of the page that holds its cause. */
export function reasonTarget(reason: string): 'vulnerabilities' | Group | 'binary' | 'errors' {
  if (/vulnerab/i.test(reason)) return 'vulnerabilities';
  if (/SBOM attestation/i.test(reason)) return 'sbom_attestations';
  if (/provenance/i.test(reason)) return 'provenance_attestations';
  if (/signature/i.test(reason)) return 'signatures';
  if (/embeds|import|toolchain|producer|binary/i.test(reason)) return 'binary';
  return 'errors';
}

/** A link to the advisory, only to https (an advisory's own URL is data, never a `javascript:` link). */
export function advisoryUrl(id: string, url?: string): string | null {
  if (/^RUSTSEC-\d{4}-\d{4}$/.test(id)) return `https://rustsec.org/advisories/${id}.html`;
  if (/^GHSA(-[23456789cfghjmpqrvwx]{4}){3}$/.test(id)) return `https://github.com/advisories/${id}`;
  if (/^CVE-\d{4}-\d{4,}$/.test(id)) return `https://nvd.nist.gov/vuln/detail/${id}`;
  if (url !== undefined && /^https:\/\/[^\s"'<>]+$/.test(url)) return url;
  return `https://osv.dev/vulnerability/${encodeURIComponent(id)}`;
}

export interface Disagreement {
  name: string;
  embedded: string;
  /** the SBOM's version, or null when the SBOM does not list the crate */
  sbom: string | null;
}

function sbomComponents(input: InputV1): Component[] {
  const out: Component[] = [];
  for (const ev of input.sbom_attestations) {
    if (!ev.verified) continue;
    try {
      out.push(...componentsFromSbom(ev.predicate));
    } catch {
      // an unreadable SBOM is reported by the pipeline as an error; nothing to list here
    }
  }
  return out;
}

/** Where the binary's own dependency list (cargo-auditable) disagrees with the verified SBOMs. */
export function disagreements(wasm: WasmFactsV1 | null, components: readonly Component[]): Disagreement[] {
  if (!wasm?.embedded_dependencies || components.length === 0) return [];
  const bySbom = new Map<string, Set<string>>();
  for (const c of components) {
    const s = bySbom.get(c.name) ?? new Set<string>();
    s.add(c.version);
    bySbom.set(c.name, s);
  }
  const out: Disagreement[] = [];
  for (const d of wasm.embedded_dependencies) {
    if (d.source !== 'crates.io' && d.source !== 'registry') continue;
    const versions = bySbom.get(d.name);
    if (versions === undefined) out.push({ name: d.name, embedded: d.version, sbom: null });
    else if (!versions.has(d.version)) out.push({ name: d.name, embedded: d.version, sbom: [...versions].join(', ') });
  }
  return out;
}

const yes = (ok: boolean, good: string, bad: string): SafeHtml => (ok ? html`<span class="ok">✓ ${good}</span>` : html`<span class="bad">✗ ${bad}</span>`);

function evidenceCard(ev: Evidence, group: Group, i: number, one: string, moduleDigest: string): SafeHtml {
  const via = ev.found_via;
  const signer = ev.certificate
    ? html`<dt>signer</dt><dd><span class="mono">${ev.certificate.subject}</span><div class="muted">issuer ${ev.certificate.issuer}</div></dd>`
    : ev.key ? html`<dt>key</dt><dd class="mono">${ev.key.id}</dd>` : html`<dt>signer</dt><dd class="muted">unknown (the signature did not verify far enough to say)</dd>`;
  const mismatch = ev.errors.some((e) => e.code === 'subject_mismatch');
  return html`<li class="ev ${ev.verified ? 'ev-good' : 'ev-bad'}" id="ev-${group}-${i}">
<div class="ev-head"><strong>${one}</strong> ${yes(ev.verified, 'verified', 'not verified')}</div>
<dl>${ev.predicate_type ? html`<dt>predicate</dt><dd class="mono">${ev.predicate_type}</dd>` : ''}
<dt>format</dt><dd>${ev.format}</dd>
<dt>found via</dt><dd>${via ? FOUND_VIA[via] ?? via : '—'}<div class="muted mono">manifest ${ev.manifest_digest}</div></dd>
${signer}
<dt>transparency log</dt><dd>${ev.tlog ? html`entry ${ev.tlog.log_index}, integrated ${ev.tlog.integrated_time}` : html`<span class="muted">no entry</span>`}</dd>
<dt>subject</dt><dd>${ev.subject_matches ? yes(true, `names this module (${shortDigest(moduleDigest)})`, '') : yes(false, '', mismatch ? 'names another artifact (subject_mismatch below)' : 'not bound to this module')}</dd></dl>
${ev.errors.length > 0 ? html`<ul class="errors">${ev.errors.map((e) => html`<li><code>${e.code}</code> ${e.message}</li>`)}</ul>` : ''}</li>`;
}

function chain(input: InputV1): SafeHtml {
  const m = input.module;
  return html`<section id="chain"><h2>Evidence chain</h2>
<div class="chain"><div class="node module"><strong>module</strong> <span class="mono">${m.ref}</span><div class="mono">manifest ${m.digest}</div>${m.wasm ? html`<div class="mono">wasm layer ${m.wasm.digest}</div>` : ''}</div>
${GROUPS.map(({ key, title, one }) => {
    const list = input[key];
    return html`<div class="group" id="${key}"><h3>${title} <span class="count">${list.length}</span></h3>${list.length === 0 ? html`<p class="muted">nothing of this kind is attached</p>` : html`<ol class="evidence">${list.map((ev, i) => evidenceCard(ev, key, i, one, m.digest))}</ol>`}</div>`;
  })}</div></section>`;
}

const SEVERITY_RANK: Record<string, number> = { Critical: 0, High: 1, Medium: 2, Low: 3, Negligible: 4, Unknown: 5 };

function severityClass(s: string): string {
  return s.toLowerCase().replace(/[^a-z]/g, '');
}

function vulnerabilities(input: InputV1, components: readonly Component[]): SafeHtml {
  const scan = input.vulnerability_scan;
  const vulnerable = new Set(scan.matches.map((x) => `${x.artifact.name}@${x.artifact.version}`));
  const vrow = (x: VulnerabilityMatch): SafeHtml => {
    const link = advisoryUrl(x.vulnerability.id, x.vulnerability.url);
    return html`<tr><td>${link ? html`<a href="${link}" rel="noreferrer noopener">${x.vulnerability.id}</a>` : x.vulnerability.id}${x.vulnerability.aliases.length ? html`<div class="muted">${x.vulnerability.aliases.join(', ')}</div>` : ''}</td><td><span class="sev ${severityClass(x.vulnerability.severity)}">${x.vulnerability.severity}</span>${x.vulnerability.informational ? html`<div class="muted">${x.vulnerability.informational}</div>` : ''}</td><td class="mono">${x.artifact.name}@${x.artifact.version}</td><td>${x.vulnerability.fixed_in.length ? x.vulnerability.fixed_in.join(', ') : html`<span class="muted">no fix</span>`}</td><td>${x.vulnerability.summary ?? ''}</td></tr>`;
  };
  return html`<section id="vulnerabilities"><h2>Vulnerabilities <span class="count">${scan.matches.length}</span></h2>
<p class="muted">source ${scan.source}; database ${scan.database.name}${scan.database.version ? ` ${scan.database.version}` : ''}, ${scan.database.records} records${scan.database.built ? `, built ${scan.database.built}` : ''}</p>
${scan.matches.length === 0 ? html`<p>No known vulnerability matches the components.</p>` : html`<div class="scroll"><table><thead><tr><th>advisory</th><th>severity</th><th>package</th><th>fixed in</th><th>summary</th></tr></thead><tbody>${[...scan.matches].sort((a, b) => (SEVERITY_RANK[a.vulnerability.severity] ?? 9) - (SEVERITY_RANK[b.vulnerability.severity] ?? 9)).map(vrow)}</tbody></table></div>`}
${scan.not_applicable?.length ? html`<details><summary>${scan.not_applicable.length} not applicable to wasm</summary><ul>${scan.not_applicable.map((n) => html`<li>${n.id} ${n.name}@${n.version}: ${n.reason}</li>`)}</ul></details>` : ''}
${scan.unmatched?.length ? html`<details><summary>${scan.unmatched.length} components not matched</summary><ul>${scan.unmatched.map((n) => html`<li>${n.name}@${n.version}: ${n.reason}</li>`)}</ul></details>` : ''}
<details id="components"><summary>${components.length} SBOM components (from verified SBOMs)</summary><div class="scroll"><table><thead><tr><th>name</th><th>version</th><th>purl</th></tr></thead><tbody>${components.map((c) => html`<tr class="${vulnerable.has(`${c.name}@${c.version}`) ? 'vuln' : ''}"><td>${c.name}</td><td>${c.version}</td><td class="mono">${c.purl ?? '—'}</td></tr>`)}</tbody></table></div></details></section>`;
}

function binary(wasm: WasmFactsV1 | null, diffs: readonly Disagreement[], sbomCount: number): SafeHtml {
  if (!wasm) return html`<section id="binary"><h2>What the binary says</h2><p class="muted">The wasm layer was not inspected.</p></section>`;
  const p = wasm.producers;
  const list = (xs: readonly string[]): SafeHtml => (xs.length === 0 ? html`<span class="muted">none</span>` : html`<ul class="mono">${xs.map((x) => html`<li>${x}</li>`)}</ul>`);
  return html`<section id="binary"><h2>What the binary says</h2>
<dl><dt>kind</dt><dd>${wasm.kind}</dd><dt>imports</dt><dd>${list(wasm.imports)}</dd><dt>exports</dt><dd>${list(wasm.exports)}</dd>
<dt>producers</dt><dd>${p ? html`language: ${p.language.join(', ') || '—'}<br>processed-by: ${p['processed-by'].join(', ') || '—'}<br>sdk: ${p.sdk.join(', ') || '—'}` : html`<span class="muted">no producers section</span>`}</dd>
<dt>embedded dependencies</dt><dd>${wasm.embedded_dependencies === null ? html`<span class="muted">no cargo-auditable .dep-v0 section</span>` : html`${wasm.embedded_dependencies.length} crates`}</dd></dl>
${diffs.length > 0 ? html`<h3 class="bad">Where the binary disagrees with its SBOM</h3><ul class="errors">${diffs.map((d) => html`<li>embeds <code>${d.name} ${d.embedded}</code>, ${d.sbom === null ? 'which the verified SBOM does not list' : html`but the verified SBOM says <code>${d.sbom}</code>`}</li>`)}</ul>` : wasm.embedded_dependencies === null ? '' : sbomCount === 0 ? html`<p class="bad">No verified SBOM to compare the embedded dependencies with.</p>` : html`<p class="ok">The embedded dependencies agree with the verified SBOM.</p>`}
${wasm.embedded_dependencies?.length ? html`<details><summary>embedded dependency list</summary><ul class="mono">${wasm.embedded_dependencies.map((d) => html`<li>${d.name} ${d.version} (${d.source})</li>`)}</ul></details>` : ''}</section>`;
}

/** The causes shown under one deny reason: the evidence, advisories or errors it points at. */
function causes(reason: string, record: DecisionRecord, diffs: readonly Disagreement[]): SafeHtml {
  const input = record.input;
  const target = reasonTarget(reason);
  if (input === null) return html``;
  if (target === 'vulnerabilities') {
    const sev = /critical/i.test(reason) ? 'Critical' : /high/i.test(reason) ? 'High' : null;
    const hits = input.vulnerability_scan.matches.filter((x) => sev === null || x.vulnerability.severity === sev);
    return html`<ul class="causes">${hits.map((x) => html`<li><code>${x.vulnerability.id}</code> in ${x.artifact.name}@${x.artifact.version}${x.vulnerability.fixed_in.length ? `, fixed in ${x.vulnerability.fixed_in.join(', ')}` : ', no fixed version'}</li>`)}</ul>`;
  }
  if (target === 'binary') return html`<ul class="causes">${diffs.map((d) => html`<li>${d.name}: binary ${d.embedded}, SBOM ${d.sbom ?? 'absent'}</li>`)}</ul>`;
  if (target === 'errors') return html`<ul class="causes">${[...record.errors, ...(input.errors ?? [])].map((e) => html`<li><code>${e.code}</code> ${e.message}</li>`)}</ul>`;
  const list = input[target];
  if (list.length === 0) return html`<ul class="causes"><li>nothing of this kind is attached to the module</li></ul>`;
  return html`<ul class="causes">${list.map((ev, i) => ev.verified ? '' : html`<li><a href="#ev-${target}-${i}">${ev.predicate_type ?? 'evidence'} in ${shortDigest(ev.manifest_digest)}</a>: ${ev.errors.map((e) => html`<code>${e.code}</code> `)}${ev.certificate ? html`signed by <span class="mono">${ev.certificate.subject}</span>` : ev.key ? html`key <span class="mono">${ev.key.id}</span>` : ''}</li>`)}</ul>`;
}

/** The body of one decision (shared by the served page and the standalone report). */
export function decisionBody(record: DecisionRecord, mode: 'served' | 'standalone'): SafeHtml {
  const input = record.input;
  const components = input ? sbomComponents(input) : [];
  const diffs = input ? disagreements(input.module.wasm, components) : [];
  const undecided = record.errors.length > 0;
  const inputJson = input ? JSON.stringify(input, null, 2) : '';
  const opaPath = record.path.split('/').filter(Boolean).join('.');
  return html`<h1>${verdict(record.allow, undecided)} <span class="mono">${record.ref}</span></h1>
<dl class="facts"><dt>digest</dt><dd class="mono">${record.digest ?? '—'}</dd><dt>decided</dt><dd><time datetime="${record.time}">${record.time}</time> in ${record.latency_ms.toFixed(1)} ms${record.cached ? ' (cached)' : ''}</dd><dt>policy</dt><dd>revision ${record.revision ?? '—'}, path <code>${record.path}</code></dd><dt>decision id</dt><dd class="mono">${record.decision_id}</dd></dl>
<section id="why"><h2>Why</h2>${record.allow ? html`<p class="ok">Every rule of the policy holds: no deny reason.</p>` : html`<ol class="reasons">${record.deny.map((d) => html`<li><a href="#${reasonTarget(d)}">${d}</a>${causes(d, record, diffs)}</li>`)}${record.deny.length === 0 && undecided ? html`<li><a href="#errors">the decision failed closed</a>${causes('', record, diffs)}</li>` : ''}</ol>`}</section>
${record.errors.length > 0 || (input?.errors?.length ?? 0) > 0 ? html`<section id="errors"><h2>Errors (fail closed)</h2><ul class="errors">${[...record.errors, ...(input?.errors ?? [])].map((e) => html`<li><code>${e.code}</code> ${e.message}</li>`)}</ul></section>` : ''}
${input ? html`${chain(input)}${vulnerabilities(input, components)}${binary(input.module.wasm, diffs, components.length)}
<section id="input"><h2>Input document</h2><p>What the policy was evaluated on. Reproduce the decision with OPA: save it as <code>input.json</code>${mode === 'served' ? html` (<a href="/ui/decisions/${urlPart(record.decision_id)}/input.json" download="input.json">download</a>)` : ''}, then <code>opa eval --data policies/ --input input.json 'data.${opaPath}'</code>.</p><pre class="input" id="input-doc" data-copyable="input">${inputJson}</pre></section>` : html`<p class="muted">No input document was assembled: the decision failed before evidence could be collected.</p>`}`;
}

export function decisionPage(record: DecisionRecord): string {
  return page({ title: `${record.allow ? 'allow' : 'deny'} ${record.ref}`, body: decisionBody(record, 'served'), mode: 'served', script: 'decision' });
}

/** `wasmgate check <ref> --html report.html`: one file, no script, no remote loads. */
export function standaloneReport(record: DecisionRecord): string {
  return page({ title: `${record.allow ? 'allow' : 'deny'} ${record.ref}`, body: decisionBody(record, 'standalone'), mode: 'standalone' });
}
