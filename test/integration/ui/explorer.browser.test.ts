/**
 * The decision explorer in a real browser: Debian's chromium, headless, driven by puppeteer-core. The service
 * runs the real pipeline on the embedded default (demo store, demo trust, RustSec DB); a second one answers a
 * decision whose every attacker-controlled field carries an XSS payload. Screenshots go to test/output/ui/.
 */
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { check } from '../../../src/cli/commands/check.ts';
import { createSilentLogger } from '../../../src/common/logger.ts';
import { EMBEDDED_DEFAULT_CONFIG_YAML } from '../../../src/config/defaults.ts';
import { parseConfig } from '../../../src/config/load.ts';
import { startService, type RunningService } from '../../../src/server/index.ts';
import { createPipelineWiring } from '../../../src/wiring/pipeline-wiring.ts';
import { createFakeDecider } from '../../support/fake-decider.ts';
import { hostileDecision, XSS } from '../../support/hostile-decision.ts';
import { startTestService } from '../../support/service.ts';
import { requireTool } from '../../support/tools.ts';
import { ROOT } from '../server/helpers.ts';

const OUT = join(ROOT, 'test', 'output', 'ui');

describe('decision explorer in headless chromium', () => {
  let svc: RunningService;
  let url: string;
  let hostile: Awaited<ReturnType<typeof startTestService>>;
  let browser: Browser;
  let page: Page;
  let profile: string;

  const ask = async (ref: string): Promise<boolean> => {
    const res = await fetch(`${url}/v1/data/wasm/sbom/allow`, { method: 'POST', body: JSON.stringify({ input: { module: { ref } } }) });
    return ((await res.json()) as { result: boolean }).result;
  };

  beforeAll(async () => {
    const chromium = requireTool('chromium');
    await mkdir(OUT, { recursive: true });
    // a generous deadline: the first decisions load the RustSec DB on a busy 2-core machine
    const config = parseConfig(EMBEDDED_DEFAULT_CONFIG_YAML.replace('deadline_ms: 900', 'deadline_ms: 20000'), { overrides: { addr: '127.0.0.1:0' }, env: {} });
    svc = await startService({ config, wire: createPipelineWiring({ baseDir: ROOT }), logger: createSilentLogger(), env: {} });
    url = `http://${svc.addresses[0]!}`;
    hostile = await startTestService({ decider: createFakeDecider({ answer: () => hostileDecision() }) });
    profile = await mkdtemp(join(tmpdir(), 'wasmgate-chromium-'));
    browser = await puppeteer.launch({
      executablePath: chromium,
      headless: true,
      userDataDir: profile,
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    page = await browser.newPage();
    await page.setViewport({ width: 1200, height: 900 });
    expect(await ask('oci:demo/store:payments')).toBe(true);
    expect(await ask('oci:demo/store:spoofed')).toBe(false);
  });
  afterAll(async () => {
    await browser?.close();
    await svc?.stop();
    await hostile?.stop();
    if (profile) await rm(profile, { recursive: true, force: true });
  });

  const rows = (p: Page): Promise<string[]> => p.$$eval('#rows tr', (trs) => trs.map((tr) => tr.textContent ?? ''));

  it('lists recent decisions with verdict, reasons and latency, under a CSP that forbids inline script and remote loads', async () => {
    const res = await page.goto(`${url}/ui/`, { waitUntil: 'networkidle2' });
    expect(res?.status()).toBe(200);
    const csp = res?.headers()['content-security-policy'] ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("default-src 'none'");
    expect(csp).not.toContain('unsafe-inline');
    const list = await rows(page);
    expect(list).toHaveLength(2);
    expect(list[0]).toContain('oci:demo/store:spoofed');
    expect(list[0]).toContain('DENY');
    expect(list[0]).toContain('missing a valid CycloneDX SBOM attestation');
    expect(list[1]).toContain('oci:demo/store:payments');
    expect(list[1]).toContain('ALLOW');
    await page.screenshot({ path: join(OUT, 'list.png'), fullPage: true });
  });

  it('shows a new decision live, without a reload', async () => {
    await page.goto(`${url}/ui/`, { waitUntil: 'networkidle2' });
    await page.waitForFunction(`document.getElementById('live-state')?.getAttribute('data-live') === 'on'`);
    expect(await ask('oci:demo/store:vulnerable')).toBe(false);
    await page.waitForFunction(`(document.querySelector('#rows tr')?.textContent ?? '').includes('vulnerable')`, { timeout: 10_000 });
    expect(await rows(page)).toHaveLength(3);
  });

  it('filters by verdict and by ref', async () => {
    await page.goto(`${url}/ui/?verdict=deny`, { waitUntil: 'networkidle2' });
    const denied = await rows(page);
    expect(denied.length).toBe(2);
    expect(denied.every((r) => r.includes('DENY'))).toBe(true);
    await page.goto(`${url}/ui/?ref=payments&verdict=all`, { waitUntil: 'networkidle2' });
    expect(await rows(page)).toEqual([expect.stringContaining('payments')]);
  });

  it('shows an allowed decision: every piece of evidence verified, signer and subject binding', async () => {
    await page.goto(`${url}/ui/?ref=payments`, { waitUntil: 'networkidle2' });
    await Promise.all([page.waitForNavigation({ waitUntil: 'networkidle2' }), page.click('#rows tr a')]);
    const text = await page.$eval('main', (m) => m.textContent ?? '');
    expect(text).toContain('ALLOW');
    expect(text).toContain('Every rule of the policy holds');
    expect(text).toContain('https://github.com/myorg/payments-wasm/.github/workflows/build-wasm.yml@refs/heads/main');
    expect(text).toContain('OCI image layout on disk');
    expect(text).toContain('names this module');
    expect(await page.$$eval('#sbom_attestations .ev.ev-good', (e) => e.length)).toBeGreaterThan(0);
    expect(await page.$$eval('.ev.ev-bad', (e) => e.length)).toBe(0);
    // the copy button is added by the same-origin script (CSP allows it; no inline script)
    expect(await page.$eval('button.copy', (b) => b.textContent)).toContain('Copy input');
    await page.screenshot({ path: join(OUT, 'allowed.png'), fullPage: true });
  });

  it('shows a denied decision: each reason linked to its cause, the failing evidence, the advisory and the binary', async () => {
    await page.goto(`${url}/ui/?ref=spoofed`, { waitUntil: 'networkidle2' });
    await Promise.all([page.waitForNavigation({ waitUntil: 'networkidle2' }), page.click('#rows tr a')]);
    const reasons = await page.$$eval('#why ol.reasons > li', (lis) => lis.map((li) => ({ text: li.textContent ?? '', href: li.querySelector('a')?.getAttribute('href') })));
    expect(reasons.map((r) => r.href).sort()).toEqual(['#provenance_attestations', '#sbom_attestations', '#vulnerabilities']);
    const sbomReason = reasons.find((r) => r.href === '#sbom_attestations')!;
    expect(sbomReason.text).toContain('subject_mismatch');
    const vulnReason = reasons.find((r) => r.href === '#vulnerabilities')!;
    expect(vulnReason.text).toContain('RUSTSEC-2021-0003');
    expect(vulnReason.text).toContain('smallvec@1.6.0');
    const main = await page.$eval('main', (m) => m.textContent ?? '');
    expect(main).toContain('DENY');
    expect(main).toContain('it describes another artifact');
    expect(await page.$$eval('#sbom_attestations .ev.ev-bad', (e) => e.length)).toBe(1);
    // the most severe advisory first
    expect(await page.$eval('#vulnerabilities tbody tr', (tr) => tr.textContent ?? '')).toContain('Critical');
    expect(await page.$eval('#vulnerabilities a[href="https://rustsec.org/advisories/RUSTSEC-2021-0003.html"]', (a) => a.textContent)).toBe('RUSTSEC-2021-0003');
    const binary = await page.$eval('#binary', (b) => b.textContent ?? '');
    expect(binary).toContain('No verified SBOM to compare');
    expect(binary).toContain('smallvec 1.6.0 (crates.io)');
    const input = JSON.parse(await page.$eval('#input-doc', (p) => p.textContent ?? '')) as { module: { ref: string } };
    // the tag was resolved first: the input names the module by digest
    expect(input.module.ref).toBe('oci:demo/store@sha256:1656e295252950ea79bfd8d34d5ab55e3df19d3189d7f9e9aab21602656957cf');
    await page.screenshot({ path: join(OUT, 'denied.png'), fullPage: true });
    await page.screenshot({ path: join(OUT, 'denied-top.png'), clip: { x: 0, y: 0, width: 1200, height: 1250 } });
    // readable on a phone: nothing wider than the screen
    await page.setViewport({ width: 390, height: 844, isMobile: true });
    await page.reload({ waitUntil: 'networkidle2' });
    expect(await page.evaluate('document.documentElement.scrollWidth <= window.innerWidth + 1')).toBe(true);
    await page.screenshot({ path: join(OUT, 'denied-phone.png') });
    await page.setViewport({ width: 1200, height: 900 });
  });

  it('shows the active bundle, the trust summary and the vulnerability database', async () => {
    await page.goto(`${url}/ui/policy`, { waitUntil: 'networkidle2' });
    const text = await page.$eval('main', (m) => m.textContent ?? '');
    expect(text).toMatch(/revision\s*src-[0-9a-f]{16}/);
    expect(text).toContain('build-wasm.yml');
    expect(text).toContain('Vulnerability database');
  });

  it('never runs attacker-controlled markup: refs, SBOM fields and predicate fields are shown as text', async () => {
    await fetch(`${hostile.url}/v1/data/wasm/sbom/allow`, { method: 'POST', body: JSON.stringify({ input: { module: { ref: 'oci:demo/store:x' } } }) });
    const hostileUrl = `${hostile.url}/ui/decisions/${hostileDecision().decision_id}`;
    const violations: string[] = [];
    page.on('console', (m) => violations.push(m.text()));
    for (const target of [`${hostile.url}/ui/`, hostileUrl]) {
      await page.goto(target, { waitUntil: 'networkidle2' });
      expect(await page.evaluate('typeof window.__xss')).toBe('undefined');
      expect(await page.$$eval('main img, main svg, main script', (e) => e.length)).toBe(0);
      expect(await page.$eval('main', (m) => m.textContent ?? '')).toContain(XSS);
    }
    expect(await page.$$eval('a[href^="javascript:"]', (e) => e.length)).toBe(0);
  });

  it('writes the same view as one self-contained file from the CLI (check --html)', async () => {
    const file = join(OUT, 'report-spoofed.html');
    const code = await check('oci:demo/store:spoofed', { html: file }, () => undefined);
    expect(code).toBe(1);
    const html = await readFile(file, 'utf8');
    expect(html).not.toMatch(/<script|<link|src="http/i);
    const requests: string[] = [];
    page.on('request', (r) => requests.push(r.url()));
    await page.goto(`file://${file}`, { waitUntil: 'load' });
    expect(requests.filter((u) => !u.startsWith('file:') && !u.startsWith('data:'))).toEqual([]);
    const text = await page.$eval('main', (m) => m.textContent ?? '');
    expect(text).toContain('DENY');
    expect(text).toContain('RUSTSEC-2021-0003');
  });
});
