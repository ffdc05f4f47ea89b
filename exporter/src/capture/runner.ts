/**
 * Runs one capture on this node: one tcpdump per pod interface (`tcpdump -i DEV -s SNAP -U --immediate-mode -n -w -
 * EXPR`, spawned with an argument array), whose pcap stream this process reads, checks record by record and writes
 * into its own files. Owning the files lets the runner enforce the limits exactly and count what it keeps:
 *
 * - size: the capture's files (headers included) never exceed `maxBytes` in total; the record that would cross the
 *   limit is not written and the capture ends (`stopReason: 'maxBytes'`);
 * - duration: the capture ends after `durationMs`;
 * - rotation: a file is closed and a new one started (with its own header) before it would pass `fileBytes`;
 * - one writer per folder: a lock file (`.capture.lock`, created exclusively, holding the pid) keeps a second
 *   capture out of a folder while a live process holds it, and files are created exclusively (`wx`), never reused;
 * - a vanishing interface (the pod deleted mid-capture) ends that pod's tcpdump: its files stay, complete, and
 *   the others go on.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  unlinkSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { bpfExpression, type CaptureFilter } from './filters';
import type { PodInterface } from './interface';
import {
  encodePcapHeader,
  encodePcapRecord,
  PCAP_GLOBAL_HEADER_BYTES,
  PcapFormatError,
  PcapStreamParser,
  type PcapHeader,
} from './pcap';

export interface CaptureTarget {
  /** `namespace/name` of the pod, for status and errors. */
  readonly pod: string;
  /** File-name stem (the pod's name: a DNS label, checked again here). */
  readonly fileStem: string;
  readonly address: string;
  readonly iface: PodInterface;
}

export interface CaptureLimits {
  readonly durationMs: number;
  readonly maxBytes: number;
  readonly snapLength: number;
  readonly fileBytes: number;
}

export const DEFAULT_SNAP_LENGTH = 262_144;
export const DEFAULT_FILE_BYTES = 64 * 1024 * 1024;

export type TargetState = 'Starting' | 'Listening' | 'Stopped' | 'InterfaceGone' | 'Error';
export type StopReason = 'duration' | 'maxBytes' | 'stopped' | 'targetsEnded';

export interface TargetStatus {
  readonly pod: string;
  readonly device: string;
  readonly state: TargetState;
  readonly packets: number;
  readonly bytes: number;
  readonly files: readonly string[];
  readonly error: string | undefined;
}

export interface CaptureResult {
  readonly stopReason: StopReason;
  readonly packets: number;
  readonly bytes: number;
  readonly files: readonly string[];
  readonly targets: readonly TargetStatus[];
}

export interface RunnerOptions {
  readonly directory: string;
  readonly targets: readonly CaptureTarget[];
  readonly filters: readonly CaptureFilter[];
  readonly limits: CaptureLimits;
  /** The command that runs tcpdump, before its arguments (default `['tcpdump']`; tests prefix `ip netns exec NS`). */
  readonly tcpdump?: readonly string[];
  /** Whether a network device still exists (default: /sys/class/net/<device>); tells a vanished pod from a failure. */
  readonly interfaceExists?: (device: string) => Promise<boolean>;
  /** Called after each batch of records written (for status and metrics), with the packets and bytes just added. */
  readonly onProgress?: (addedPackets: number, addedBytes: number) => void;
}

const FILE_STEM = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;
const LOCK_FILE = '.capture.lock';
/** Folders this process writes into now. */
const FOLDERS_HELD = new Set<string>();
/** Tells this process from an earlier one with the same pid (containers restart as pid 1). */
const PROCESS_TOKEN = randomBytes(8).toString('hex');

class TargetCapture {
  state: TargetState = 'Starting';
  packets = 0;
  bytes = 0;
  error: string | undefined;
  readonly files: string[] = [];
  child: ChildProcess | undefined;
  private fd: number | undefined;
  private fileBytes = 0;
  private header: PcapHeader | undefined;
  private stderr = '';
  readonly exited: Promise<void>;
  readonly listening: Promise<void>;
  private resolveExited: () => void = () => undefined;
  private resolveListening: () => void = () => undefined;

  constructor(
    readonly target: CaptureTarget,
    private readonly session: CaptureSession,
  ) {
    this.exited = new Promise((resolve) => (this.resolveExited = resolve));
    this.listening = new Promise((resolve) => (this.resolveListening = resolve));
  }

  start(
    tcpdump: readonly string[],
    expression: string,
    snapLength: number,
    interfaceExists: (device: string) => Promise<boolean>,
  ): void {
    const args = ['-i', this.target.iface.device, '-s', String(snapLength), '-U', '--immediate-mode', '-n', '-w', '-'];
    if (expression !== '') args.push(expression);
    const [command, ...prefix] = tcpdump;
    const child = spawn(command ?? 'tcpdump', [...prefix, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    const parser = new PcapStreamParser(`tcpdump on ${this.target.iface.device}`);
    child.stdout.on('data', (chunk: Buffer) => {
      if (this.state === 'Error') return;
      try {
        const records = parser.push(chunk);
        if (parser.header !== undefined) this.header ??= parser.header;
        this.session.write(this, records);
      } catch (error) {
        this.fail(error instanceof PcapFormatError ? error.message : String(error));
        child.kill('SIGTERM');
      }
    });
    child.stderr.on('data', (chunk: Buffer) => {
      this.stderr = (this.stderr + chunk.toString()).slice(-4096);
      // tcpdump says "listening on DEV, link-type ..." once the capture is open.
      if (this.state === 'Starting' && this.stderr.includes('listening on')) {
        this.state = 'Listening';
        this.resolveListening();
      }
    });
    child.once('error', (error) => {
      this.fail(`cannot run ${tcpdump.join(' ')}: ${error.message}; install Debian's tcpdump package`);
      this.finish();
    });
    child.once('close', (code, signal) => {
      void (async () => {
        if (this.state === 'Starting' || this.state === 'Listening') {
          if (this.session.stopping) {
            this.state = 'Stopped';
          } else if (!(await interfaceExists(this.target.iface.device).catch(() => true))) {
            // The pod went away: its veth is gone, and with it tcpdump's capture.
            this.state = 'InterfaceGone';
          } else {
            this.fail(`tcpdump on ${this.target.iface.device} exited (${code ?? signal}): ${lastLine(this.stderr)}`);
          }
        }
        this.finish();
      })();
    });
  }

  /** Writes one encoded record, rotating first when it would pass the file size. */
  append(encoded: Buffer, fileLimit: number): number {
    let written = 0;
    if (this.fd !== undefined && this.fileBytes + encoded.length > fileLimit) this.closeFile();
    if (this.fd === undefined) written += this.openFile();
    writeSync(this.fd!, encoded);
    this.fileBytes += encoded.length;
    return written + encoded.length;
  }

  /** The bytes appending `recordBytes` adds to the files: the record, and a header when it opens a file. */
  cost(recordBytes: number, fileLimit: number): number {
    const opensFile = this.fd === undefined || this.fileBytes + recordBytes > fileLimit;
    return recordBytes + (opensFile ? PCAP_GLOBAL_HEADER_BYTES : 0);
  }

  closeFile(): void {
    if (this.fd === undefined) return;
    closeSync(this.fd);
    this.fd = undefined;
  }

  linkHeader(): PcapHeader {
    return this.header!;
  }

  private openFile(): number {
    // `wx`: never append to or overwrite a file; after a restart, numbering goes on past the files already there.
    for (let index = this.files.length; ; index++) {
      const name = `${this.target.fileStem}.${String(index).padStart(4, '0')}.pcap`;
      try {
        this.fd = openSync(join(this.session.directory, name), 'wx', 0o640);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'EEXIST' && index < 100_000) continue;
        throw error;
      }
      this.files.push(name);
      break;
    }
    const header = encodePcapHeader({
      resolution: this.header!.resolution,
      snapLength: this.header!.snapLength,
      linkType: this.header!.linkType,
    });
    writeSync(this.fd, header);
    this.fileBytes = header.length;
    return header.length;
  }

  /**
   * Asks tcpdump to stop. When the signal cannot be sent (tcpdump runs as its own user and this process lacks
   * CAP_KILL), the target ends as an Error at once and its pipe is closed, so tcpdump dies at its next write.
   */
  terminate(): void {
    const child = this.child;
    if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
    if (child.kill('SIGTERM')) return;
    this.fail(
      `cannot stop tcpdump on ${this.target.iface.device} (pid ${child.pid}): no permission to signal it; the exporter needs CAP_KILL`,
    );
    child.stdout?.destroy();
    child.stderr?.destroy();
    this.finish();
  }

  fail(message: string): void {
    if (this.state === 'Error') return;
    this.state = 'Error';
    this.error = message;
  }

  private finished = false;

  private finish(): void {
    if (this.finished) return;
    this.finished = true;
    this.closeFile();
    this.resolveListening();
    this.resolveExited();
  }

  status(): TargetStatus {
    return {
      pod: this.target.pod,
      device: this.target.iface.device,
      state: this.state,
      packets: this.packets,
      bytes: this.bytes,
      files: [...this.files],
      error: this.error,
    };
  }
}

function lastLine(text: string): string {
  return (
    text
      .trim()
      .split('\n')
      .filter((line) => line !== '')
      .pop() ?? 'no message'
  );
}

/** A running capture; `run()` starts it, `listening` resolves when every tcpdump is capturing, `stop()` ends it. */
export class CaptureSession {
  readonly directory: string;
  stopping = false;
  private stopReason: StopReason | undefined;
  private stopAtNs = 0n;
  private full = false;
  private totalBytes = 0;
  private totalPackets = 0;
  private readonly captures: TargetCapture[];
  private timer: NodeJS.Timeout | undefined;
  private lockHeld = false;

  constructor(private readonly options: RunnerOptions) {
    this.directory = options.directory;
    const { limits } = options;
    for (const [name, value, min] of [
      ['durationMs', limits.durationMs, 1],
      ['maxBytes', limits.maxBytes, 1024],
      ['snapLength', limits.snapLength, 64],
      ['fileBytes', limits.fileBytes, 1024],
    ] as const) {
      if (!Number.isSafeInteger(value) || value < min) {
        throw new RangeError(`capture limit ${name} must be an integer of at least ${min}, got ${value}`);
      }
    }
    for (const target of options.targets) {
      if (!FILE_STEM.test(target.fileStem)) {
        throw new RangeError(
          `capture target ${target.pod}: "${target.fileStem}" is not a valid file stem (a DNS name)`,
        );
      }
    }
    this.captures = options.targets.map((target) => new TargetCapture(target, this));
  }

  get listening(): Promise<void> {
    return Promise.all(this.captures.map((capture) => capture.listening)).then(() => undefined);
  }

  /** Starts the tcpdumps and resolves when the capture has ended, by a limit, stop() or all targets ending. */
  async run(): Promise<CaptureResult> {
    mkdirSync(this.directory, { recursive: true, mode: 0o750 });
    this.lock();
    try {
      const tcpdump = this.options.tcpdump ?? ['tcpdump'];
      const interfaceExists =
        this.options.interfaceExists ??
        ((device: string) => Promise.resolve(existsSync(join('/sys/class/net', device))));
      for (const capture of this.captures) {
        const expression = bpfExpression(
          this.options.filters,
          capture.target.iface.shared ? capture.target.address : undefined,
        );
        capture.start(tcpdump, expression, this.options.limits.snapLength, interfaceExists);
      }
      this.timer = setTimeout(() => this.stop('duration'), this.options.limits.durationMs);
      await Promise.all(this.captures.map((capture) => capture.exited));
      clearTimeout(this.timer);
      return {
        stopReason: this.stopReason ?? 'targetsEnded',
        packets: this.totalPackets,
        bytes: this.totalBytes,
        files: this.captures.flatMap((capture) => capture.files),
        targets: this.captures.map((capture) => capture.status()),
      };
    } finally {
      clearTimeout(this.timer);
      this.unlock();
    }
  }

  /**
   * Ends the capture: every tcpdump is told to stop. Packets captured before this moment and still in the pipe are
   * written as they arrive (after a maxBytes stop, nothing more is); files close when each tcpdump has exited.
   */
  stop(reason: StopReason = 'stopped'): void {
    if (this.stopping) return;
    this.stopping = true;
    this.stopReason = reason;
    this.stopAtNs = BigInt(Date.now()) * 1_000_000n;
    for (const capture of this.captures) capture.terminate();
  }

  status(): readonly TargetStatus[] {
    return this.captures.map((capture) => capture.status());
  }

  /** Called by a target with the records its tcpdump produced. */
  write(
    capture: TargetCapture,
    records: readonly { timestampNs: bigint; originalLength: number; data: Buffer }[],
  ): void {
    let addedPackets = 0;
    let addedBytes = 0;
    for (const record of records) {
      if (this.full) break;
      if (this.stopping && record.timestampNs > this.stopAtNs) continue;
      const encoded = encodePcapRecord(record, capture.linkHeader().resolution);
      const needed = capture.cost(encoded.length, this.options.limits.fileBytes);
      if (this.totalBytes + needed > this.options.limits.maxBytes) {
        this.full = true;
        this.stop('maxBytes');
        break;
      }
      const written = capture.append(encoded, this.options.limits.fileBytes);
      capture.packets++;
      capture.bytes += written;
      this.totalPackets++;
      this.totalBytes += written;
      addedPackets++;
      addedBytes += written;
    }
    if (addedPackets > 0) this.options.onProgress?.(addedPackets, addedBytes);
  }

  private lock(): void {
    const path = join(this.directory, LOCK_FILE);
    if (FOLDERS_HELD.has(this.directory)) {
      throw new Error(`a capture of this process is already writing into ${this.directory}`);
    }
    const content = `${process.pid} ${PROCESS_TOKEN}`;
    try {
      writeFileSync(path, content, { flag: 'wx' });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const [pidText, token] = readFileSync(path, 'utf8').trim().split(' ');
      const holder = Number(pidText);
      // A container's process often has the pid its predecessor had (1): the token tells them apart.
      const earlierIncarnation = holder === process.pid && token !== PROCESS_TOKEN;
      if (Number.isInteger(holder) && holder > 0 && !earlierIncarnation && processAlive(holder)) {
        throw new Error(
          `another capture (pid ${holder}) is writing into ${this.directory}; wait for it or choose another folder`,
        );
      }
      // Left by a process that is gone: take it over.
      writeFileSync(path, content);
    }
    FOLDERS_HELD.add(this.directory);
    this.lockHeld = true;
  }

  private unlock(): void {
    if (!this.lockHeld) return;
    this.lockHeld = false;
    FOLDERS_HELD.delete(this.directory);
    try {
      unlinkSync(join(this.directory, LOCK_FILE));
    } catch {
      // Removed by retention or by hand: nothing to release.
    }
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
