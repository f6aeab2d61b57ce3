/**
 * The explorer's only static assets, served from memory under /ui/assets/ (no CDN,
 * no build step). The scripts are progressive: every page reads fully without them.
 */

export const STYLE = `
:root{--fg:#1d2430;--muted:#5b6472;--bg:#f7f8fa;--card:#fff;--line:#d9dde3;--ok:#11703a;--okbg:#e5f5eb;--bad:#a4161a;--badbg:#fdeaea;--accent:#2454a6;color-scheme:light}
*{box-sizing:border-box}
body{margin:0;font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--fg);background:var(--bg)}
header{display:flex;flex-wrap:wrap;gap:.5rem 1.5rem;align-items:center;padding:.6rem 1rem;background:#16202e;color:#fff}
header a,header span{color:#fff;text-decoration:none}
.brand{font-weight:700;letter-spacing:.02em}
nav{display:flex;gap:1rem}
main{max-width:72rem;margin:0 auto;padding:1rem}
h1{font-size:1.35rem;margin:.4rem 0 1rem;overflow-wrap:anywhere}
h2{font-size:1.1rem;margin:1.6rem 0 .6rem;border-bottom:1px solid var(--line);padding-bottom:.25rem}
h3{font-size:1rem;margin:1rem 0 .4rem}
a{color:var(--accent)}
code,.mono{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:.88em;overflow-wrap:anywhere}
.muted{color:var(--muted)}
.ok{color:var(--ok)}
.bad{color:var(--bad)}
.verdict{display:inline-block;padding:.1rem .5rem;border-radius:.3rem;font-weight:700;font-size:.85em}
.verdict.allow{background:var(--okbg);color:var(--ok)}
.verdict.deny{background:var(--badbg);color:var(--bad)}
.count{display:inline-block;min-width:1.5em;padding:0 .35em;border-radius:1em;background:var(--line);font-size:.8em;text-align:center}
.tag{font-size:.75em;color:var(--muted)}
.scroll{overflow-x:auto}
table{border-collapse:collapse;width:100%;background:var(--card)}
th,td{text-align:left;vertical-align:top;padding:.4rem .5rem;border-bottom:1px solid var(--line)}
th{font-size:.8em;text-transform:uppercase;letter-spacing:.03em;color:var(--muted)}
td.num{white-space:nowrap;text-align:right}
td.ref{min-width:12rem;overflow-wrap:anywhere}
td.reasons ul{margin:0;padding-left:1rem}
.digest{font-family:ui-monospace,monospace;font-size:.8em;color:var(--muted)}
tr.vuln td{background:var(--badbg)}
.filter{display:flex;flex-wrap:wrap;gap:.5rem 1rem;align-items:end;margin-bottom:.5rem}
.filter input,.filter select,.filter button{font:inherit;padding:.25rem .4rem}
dl{display:grid;grid-template-columns:max-content 1fr;gap:.2rem .9rem;margin:.4rem 0}
dt{color:var(--muted)}
dd{margin:0;min-width:0;overflow-wrap:anywhere}
dd ul{margin:0;padding-left:1rem}
@media (max-width:40rem){dl{grid-template-columns:1fr}dt{margin-top:.4rem}}
.reasons>li{margin-bottom:.6rem}
.causes{margin:.2rem 0 0;padding-left:1.1rem;font-size:.92em}
.errors{margin:.4rem 0;padding-left:1.1rem;color:var(--bad)}
.chain{position:relative;padding-left:1.1rem;border-left:3px solid var(--line)}
.node,.ev{background:var(--card);border:1px solid var(--line);border-radius:.4rem;padding:.6rem .8rem;margin:.5rem 0;position:relative}
.node::before,.ev::before{content:"";position:absolute;left:-1.2rem;top:1rem;width:1.1rem;border-top:3px solid var(--line)}
.node.module{border-left:4px solid var(--accent)}
.ev.ev-good{border-left:4px solid var(--ok)}
.ev.ev-bad{border-left:4px solid var(--bad)}
.evidence{list-style:none;margin:0;padding:0}
.group h3{margin-top:1rem}
.sev{font-weight:600}
.sev.critical,.sev.high{color:var(--bad)}
pre.input{max-height:28rem;overflow:auto;background:#0f1720;color:#e6edf3;padding:.8rem;border-radius:.4rem;font-size:.8em}
button.copy{font:inherit;font-size:.85em;padding:.2rem .6rem;margin:.3rem 0}
.empty{padding:1rem;background:var(--card);border:1px dashed var(--line)}
`;

/** Live list: new decisions arrive as server-rendered (escaped) rows over server-sent events. */
export const LIVE_SCRIPT = `'use strict';
(function () {
  var table = document.querySelector('table.decisions');
  var rows = document.getElementById('rows');
  var state = document.getElementById('live-state');
  if (!table || !rows || !window.EventSource) return;
  var q = new URLSearchParams({ ref: table.getAttribute('data-ref') || '', verdict: table.getAttribute('data-verdict') || 'all' });
  var es = new EventSource('/ui/events?' + q.toString());
  es.addEventListener('decision', function (ev) {
    rows.insertAdjacentHTML('afterbegin', ev.data);
    while (rows.children.length > 500) rows.removeChild(rows.lastElementChild);
    var empty = document.querySelector('.empty');
    if (empty) empty.remove();
  });
  es.addEventListener('open', function () { if (state) state.setAttribute('data-live', 'on'); });
  es.addEventListener('error', function () { if (state) state.setAttribute('data-live', 'reconnecting'); });
})();
`;

/** One decision: a button to copy the input document for \`opa eval\`. */
export const DECISION_SCRIPT = `'use strict';
(function () {
  var pre = document.querySelector('pre[data-copyable]');
  if (!pre || !navigator.clipboard) return;
  var b = document.createElement('button');
  b.type = 'button';
  b.className = 'copy';
  b.textContent = 'Copy input for opa eval';
  b.addEventListener('click', function () {
    navigator.clipboard.writeText(pre.textContent || '').then(function () { b.textContent = 'Copied'; }, function () { b.textContent = 'Copy failed: select the text instead'; });
  });
  pre.parentNode.insertBefore(b, pre);
})();
`;
