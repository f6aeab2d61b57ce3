/**
 * deploy/systemd: the shipped units pass `systemd-analyze verify` with no
 * complaint at all, and the exposure level the README states is the one
 * `systemd-analyze security` computes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { chmod, cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { missingOutsideCi, requireTool } from '../../support/tools.ts';

const run = promisify(execFile);
const UNITS = join(import.meta.dirname, '../../../deploy/systemd');

describe.skipIf(missingOutsideCi('systemd-analyze'))('deploy/systemd units', () => {
  let root: string;
  let analyze: string;

  beforeAll(async () => {
    analyze = requireTool('systemd-analyze');
    // An image root: the distribution's units, stand-ins for /usr/bin/wasmgate and /bin/kill (ExecReload), and ours in /etc.
    root = await mkdtemp(join(tmpdir(), 'wasmgate-systemd-'));
    await mkdir(join(root, 'usr/lib/systemd'), { recursive: true });
    await cp('/usr/lib/systemd/system', join(root, 'usr/lib/systemd/system'), { recursive: true });
    await mkdir(join(root, 'usr/bin'), { recursive: true });
    await writeFile(join(root, 'usr/bin/wasmgate'), '#!/bin/sh\n');
    await chmod(join(root, 'usr/bin/wasmgate'), 0o755);
    await mkdir(join(root, 'bin'), { recursive: true });
    await writeFile(join(root, 'bin/kill'), '#!/bin/sh\n');
    await chmod(join(root, 'bin/kill'), 0o755);
    await mkdir(join(root, 'etc/systemd/system'), { recursive: true });
    for (const u of ['wasmgate.service', 'wasmgate.socket']) await cp(join(UNITS, u), join(root, 'etc/systemd/system', u));
  });
  afterAll(() => (root ? rm(root, { recursive: true, force: true }) : undefined));

  it('passes systemd-analyze verify without a single warning', async () => {
    const { stdout, stderr } = await run(analyze, ['verify', `--root=${root}`, 'wasmgate.socket', 'wasmgate.service']);
    expect(stderr).toBe('');
    expect(stdout).toBe('');
  });

  it('catches a misspelt directive (the check is real)', async () => {
    const broken = join(root, 'etc/systemd/system/wasmgate.service');
    const text = await readFile(broken, 'utf8');
    await writeFile(broken, text.replace('ProtectSystem=strict', 'ProtectSytem=strict'));
    try {
      const { stderr } = await run(analyze, ['verify', `--root=${root}`, 'wasmgate.service']);
      expect(stderr).toMatch(/Unknown key 'ProtectSytem'/);
    } finally {
      await writeFile(broken, text);
    }
  });

  it('has the hardening the README promises', async () => {
    const unit = await readFile(join(UNITS, 'wasmgate.service'), 'utf8');
    for (const line of ['DynamicUser=yes', 'ProtectSystem=strict', 'NoNewPrivileges=yes', 'RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6', 'StateDirectory=wasmgate', 'CapabilityBoundingSet=']) {
      expect(unit.split('\n')).toContain(line);
    }
  });

  it('reaches the exposure level written in deploy/systemd/README.md', async () => {
    const { stdout } = await run(analyze, ['security', '--offline=yes', `--root=${root}`, '--no-pager', 'wasmgate.service']);
    const level = /Overall exposure level for wasmgate\.service: (\d+\.\d) (\w+)/.exec(stdout);
    expect(level).not.toBeNull();
    const readme = await readFile(join(UNITS, 'README.md'), 'utf8');
    expect(readme).toContain(`exposure level: **${level?.[1]} ${level?.[2]}**`);
    expect(Number(level?.[1])).toBeLessThanOrEqual(2);
  });
});
