/**
 * What the report says about the machine: CPUs, memory, kernel, Node.js,
 * and the filesystem the logs were written to (ceilings and results only
 * compare within one machine and filesystem).
 */
import { execFileSync } from 'node:child_process';
import os from 'node:os';

export interface MachineInfo {
  cpus: number;
  cpuModel: string;
  memoryBytes: number;
  kernel: string;
  os: string;
  arch: string;
  node: string;
  v8: string;
  hostname: string;
  loadAverage: number[];
  dataDir: string;
  filesystem: { type: string | null; device: string | null };
}

function filesystemOf(dir: string): { type: string | null; device: string | null } {
  try {
    const lines = execFileSync('df', ['-PT', dir], { encoding: 'utf8' }).trim().split('\n');
    const fields = lines[lines.length - 1].split(/\s+/);
    return { device: fields[0] ?? null, type: fields[1] ?? null };
  } catch {
    return { type: null, device: null };
  }
}

export function machineInfo(dataDir: string): MachineInfo {
  const cpus = os.cpus();
  return {
    cpus: cpus.length,
    cpuModel: cpus[0]?.model ?? 'unknown',
    memoryBytes: os.totalmem(),
    kernel: os.release(),
    os: `${os.type()} ${os.version()}`,
    arch: os.arch(),
    node: process.version,
    v8: process.versions.v8,
    hostname: os.hostname(),
    loadAverage: os.loadavg(),
    dataDir,
    filesystem: filesystemOf(dataDir),
  };
}
