/**
 * Test support: a directory laid out as /proc for the `sockets` source (namespace links, cgroup and comm files,
 * descriptor links, net/ tables), the way a copied proc tree is replayed.
 */
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const TABLE_HEADER =
  '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n';
export const TABLE6_HEADER =
  '  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n';

export function entry(
  slot: number,
  local: string,
  remote: string,
  state: string,
  queues: string,
  inode: number,
): string {
  return `${String(slot).padStart(4)}: ${local} ${remote} ${state} ${queues} 00:00000000 00000000     0        0 ${inode} 1 0000000000000000 100 0 0 10 0\n`;
}

export function snmp(retrans: number, outRsts: number, estabResets: number): string {
  return (
    'Ip: Forwarding DefaultTTL\nIp: 1 64\n' +
    `Tcp: RtoAlgorithm RtoMin MaxConn EstabResets RetransSegs InErrs OutRsts\nTcp: 1 200 -1 ${estabResets} ${retrans} 0 ${outRsts}\n`
  );
}

export function netstat(overflows: number, drops: number): string {
  return `TcpExt: SyncookiesSent ListenOverflows ListenDrops\nTcpExt: 0 ${overflows} ${drops}\n`;
}

export interface FakeProcess {
  pid: number;
  netns: number;
  cgroup?: string;
  comm?: string;
  fds?: Record<string, string>;
  net?: Partial<Record<'tcp' | 'tcp6' | 'udp' | 'udp6' | 'snmp' | 'netstat' | 'sockstat' | 'sockstat6', string>>;
}

export function buildProc(root: string, processes: readonly FakeProcess[]): void {
  for (const process of processes) {
    const base = join(root, String(process.pid));
    mkdirSync(join(base, 'ns'), { recursive: true });
    symlinkSync(`net:[${process.netns}]`, join(base, 'ns', 'net'));
    if (process.cgroup !== undefined) writeFileSync(join(base, 'cgroup'), process.cgroup);
    if (process.comm !== undefined) writeFileSync(join(base, 'comm'), process.comm);
    mkdirSync(join(base, 'fd'));
    for (const [fd, target] of Object.entries(process.fds ?? {})) symlinkSync(target, join(base, 'fd', fd));
    if (process.net !== undefined) {
      mkdirSync(join(base, 'net'));
      for (const [file, text] of Object.entries(process.net)) writeFileSync(join(base, 'net', file), text);
    }
  }
}

export function withProc(processes: readonly FakeProcess[], body: (root: string) => void): void {
  const root = mkdtempSync(join(tmpdir(), 'flowlens-proc-'));
  try {
    buildProc(root, processes);
    body(root);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}
