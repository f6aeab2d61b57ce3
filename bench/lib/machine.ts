import { execFile } from 'node:child_process';
import { cpus, loadavg, totalmem } from 'node:os';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Facts about the machine a benchmark ran on, recorded next to every result. */
export interface MachineFacts {
  date: string;
  node: string;
  cpus: number;
  cpu: string;
  total_mem_mb: number;
  /** 1, 5 and 15 minute load averages when the benchmark started */
  load_avg: number[];
  opa?: string;
  cosign?: string;
}

export async function machineFacts(tools: { opa?: boolean; cosign?: boolean } = {}): Promise<MachineFacts> {
  const facts: MachineFacts = {
    date: new Date().toISOString(),
    node: process.version,
    cpus: cpus().length,
    cpu: cpus()[0]?.model ?? 'unknown',
    total_mem_mb: Math.round(totalmem() / 2 ** 20),
    load_avg: loadavg().map((n) => Math.round(n * 100) / 100),
  };
  if (tools.opa) {
    const { stdout } = await run('opa', ['version']);
    facts.opa = /Version: (\S+)/.exec(stdout)?.[1] ?? 'unknown';
  }
  if (tools.cosign) {
    const { stdout } = await run('cosign', ['version']).catch(() => ({ stdout: '' }));
    facts.cosign = /GitVersion:\s+(\S+)/.exec(stdout)?.[1] ?? 'unknown';
  }
  return facts;
}

export function describeMachine(m: MachineFacts): string {
  const tools = [m.opa ? `opa ${m.opa}` : '', m.cosign ? `cosign ${m.cosign}` : ''].filter(Boolean).join(', ');
  return `Node ${m.node}, ${m.cpus} × ${m.cpu}, ${m.total_mem_mb} MiB RAM, load average ${m.load_avg.join(' / ')} at start${tools ? `, ${tools}` : ''}`;
}
