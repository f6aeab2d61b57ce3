import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { escapeHtml, html, SafeHtml } from '../../../src/ui/html.ts';

const unescape = (s: string): string => s.replace(/&(amp|lt|gt|quot|#39|#96);/g, (_m, e: string) => ({ amp: '&', lt: '<', gt: '>', quot: '"', '#39': "'", '#96': '`' })[e] ?? '');

describe('html templates', () => {
  it('escapes every interpolated string so that no character of it can open a tag or leave an attribute', () => {
    fc.assert(fc.property(fc.string({ unit: 'binary' }), (s) => {
      const out = html`<p title="${s}">${s}</p>`.text;
      const inner = out.slice('<p title="'.length, out.indexOf('">'));
      expect(inner).not.toMatch(/[<>"'`]/);
      expect(unescape(inner)).toBe(s);
      expect(out.match(/</g)?.length).toBe(2);
    }));
  });

  it('keeps SafeHtml made by html itself, flattens arrays, drops null/undefined/false', () => {
    const inner = html`<b>${'<i>'}</b>`;
    expect(html`<p>${inner}${[html`<br>`, '<x>']}${null}${undefined}${false}${0}</p>`.text).toBe('<p><b>&lt;i&gt;</b><br>&lt;x&gt;0</p>');
    expect(inner).toBeInstanceOf(SafeHtml);
  });

  it('escapes the five HTML specials and the backtick', () => {
    expect(escapeHtml(`&<>"'\``)).toBe('&amp;&lt;&gt;&quot;&#39;&#96;');
  });
});
