/**
 * `conntrack`: network flows from the kernel's connection tracking table, for clusters whose dataplane writes no
 * flow logs. Reads /proc/net/nf_conntrack (or `conntrack -L -o extended,id` where the file is absent: kernels that
 * build nf_conntrack without its /proc interface), keeps the connections it saw (table.ts) and turns each poll's
 * changes into flow records carrying IPs only; the enrich stage finds pods and services and the policy stage the
 * deciding policy.
 *
 * serve: a poll at start (a baseline: what connections carried before the exporter ran is not counted), then one
 * per interval, never two at once. replay: one read of a file (a saved nf_conntrack snapshot or `conntrack -L -o
 * extended` output), each connection in it counted once with everything it carried.
 *
 * The file is read as a stream, one entry at a time: its text is never held whole.
 */
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import { createReadStream, existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import type { Readable } from 'node:stream';
import { RateLimitedLog } from '../../log';
import type { FlowRecord, Reporter } from '../../model/flow';
import { parseCidr, type Cidr } from '../../policy/kubernetes/cidr';
import { DecodeError, type GeneratorContext, type GeneratorSourceKind, type RunningSource } from '../types';
import { MAX_ENTRY_BYTES, parseConntrackEntry } from './grammar';
import { readLines } from './read-lines';
import { ConnectionTable, type PollSummary } from './table';

export const CONNTRACK_SOURCE_KIND = 'conntrack';
export const DEFAULT_CONNTRACK_PATH = '/proc/net/nf_conntrack';
/** The sysctl that turns accounting on, as its /proc file; per network namespace, like the table. */
const ACCOUNTING_SYSCTL_PATH = '/proc/sys/net/netfilter/nf_conntrack_acct';
const TOOL = 'conntrack';
/** The tool lists one address family per run. */
const TOOL_FAMILIES = ['ipv4', 'ipv6'] as const;
/** What the tool may say on stderr that the log keeps; its usual output there is one line of counts. */
const MAX_TOOL_STDERR_BYTES = 4096;

export interface ConntrackOptions {
  /** The file to read; undefined to run the `conntrack` tool. */
  path: string | undefined;
  intervalSeconds: number;
  maxConnections: number;
  reporter: Reporter;
  /** The node's pod CIDRs (`local-cidr=`, repeatable): which ends of a connection are this node's (see table.ts). */
  localCidrs: Cidr[];
}

export const DEFAULT_CONNTRACK_OPTIONS: Readonly<ConntrackOptions> = Object.freeze({
  path: DEFAULT_CONNTRACK_PATH,
  intervalSeconds: 10,
  // About 250 bytes a connection (npm run bench): some 64 MiB at the default.
  maxConnections: 262_144,
  reporter: 'dst',
  localCidrs: [],
});

const USAGE =
  'use a file path (or path=PATH), tool, interval=S, max-connections=N, reporter=src|dst and local-cidr=CIDR (repeatable), comma-separated (e.g. conntrack:/proc/net/nf_conntrack,interval=10,local-cidr=10.244.1.0/24)';

interface NumberRule {
  key: string;
  field: 'intervalSeconds' | 'maxConnections';
  min: number;
  max: number;
  meaning: string;
}

const NUMBER_RULES: readonly NumberRule[] = [
  { key: 'interval', field: 'intervalSeconds', min: 1, max: 3600, meaning: 'whole seconds from 1 to 3600' },
  {
    key: 'max-connections',
    field: 'maxConnections',
    min: 1,
    max: 16_777_216,
    meaning: 'a whole number from 1 to 16777216',
  },
];

/**
 * Parses the text after `conntrack:`. Without a path or `tool`, the default file is read if it exists, else the
 * tool is run. Errors name the offending part and how to write it.
 */
export function parseConntrackArgument(argument: string, fileExists = existsSync): ConntrackOptions {
  const options: ConntrackOptions = { ...DEFAULT_CONNTRACK_OPTIONS, localCidrs: [] };
  const seen = new Set<string>();
  let input: 'default' | 'file' | 'tool' = 'default';
  const once = (key: string): void => {
    if (seen.has(key)) throw new Error(`conntrack source: "${key}" is given twice; give it once (${USAGE})`);
    seen.add(key);
  };
  for (const rawPart of argument.split(',')) {
    const part = rawPart.trim();
    if (part === '') continue;
    const equals = part.indexOf('=');
    const key = equals < 0 ? part : part.slice(0, equals).trim();
    const value = equals < 0 ? '' : part.slice(equals + 1).trim();
    if (equals < 0 && (part.startsWith('/') || part.startsWith('.'))) {
      once('path');
      options.path = resolve(part);
      input = 'file';
      continue;
    }
    if (key === 'local-cidr') {
      const cidr = parseCidr(value);
      if (cidr === undefined) {
        throw new Error(`conntrack source: local-cidr must be a CIDR such as 10.244.1.0/24, got "${value}"`);
      }
      options.localCidrs.push(cidr);
      continue;
    }
    once(key === 'tool' ? 'path' : key);
    if (key === 'tool' && equals < 0) {
      options.path = undefined;
      input = 'tool';
    } else if (key === 'path') {
      if (value === '') throw new Error(`conntrack source: path= needs a file (${USAGE})`);
      options.path = resolve(value);
      input = 'file';
    } else if (key === 'reporter') {
      if (value !== 'src' && value !== 'dst') {
        throw new Error(`conntrack source: reporter must be src or dst, got "${value}" (e.g. reporter=src)`);
      }
      options.reporter = value;
    } else {
      const rule = NUMBER_RULES.find((candidate) => candidate.key === key);
      if (rule === undefined) throw new Error(`conntrack source: unknown option "${key}"; ${USAGE}`);
      const number = /^\d+$/.test(value) ? Number(value) : Number.NaN;
      if (!Number.isSafeInteger(number) || number < rule.min || number > rule.max) {
        throw new Error(`conntrack source: ${key} must be ${rule.meaning}, got "${value}"`);
      }
      options[rule.field] = number;
    }
  }
  if (input === 'default' && !fileExists(DEFAULT_CONNTRACK_PATH)) options.path = undefined;
  return options;
}

/** Where a poll reads its entries from: a file, or the tool's output (one stream per address family). */
export interface EntryInput {
  /** How logs and rejected-line positions name the input. */
  readonly description: string;
  /** Streams to read one after the other; `finish` reports a tool's failure after its stream ended. */
  open(): { stream: Readable; finish: () => Promise<void>; cancel: () => void }[];
}

export function fileInput(path: string): EntryInput {
  return {
    description: path,
    open: () => {
      const stream = createReadStream(path, { highWaterMark: 64 * 1024 });
      return [{ stream, finish: async () => undefined, cancel: () => stream.destroy() }];
    },
  };
}

export function toolInput(command = TOOL): EntryInput {
  return {
    description: `${command} -L -o extended,id`,
    open: () =>
      TOOL_FAMILIES.map((family) => {
        // An argument array, never a shell: nothing here is parsed by one.
        const child = spawn(command, ['-L', '-f', family, '-o', 'extended,id'], {
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        // Listen for the exit at once: it can come before the last of stdout has been read.
        const exited = toolExit(child, command, family);
        exited.catch(() => undefined);
        return { stream: child.stdout, finish: () => exited, cancel: () => child.kill() };
      }),
  };
}

/** Resolves once the tool exited well; rejects with what it said on stderr otherwise. */
function toolExit(
  child: ChildProcessByStdio<null, Readable, Readable>,
  command: string,
  family: string,
): Promise<void> {
  let said = '';
  child.stderr.on('data', (chunk: Buffer) => {
    if (said.length < MAX_TOOL_STDERR_BYTES) said += chunk.toString('utf8').slice(0, MAX_TOOL_STDERR_BYTES);
  });
  return new Promise((resolveExit, rejectExit) => {
    child.once('error', (error) => rejectExit(new Error(`cannot run ${command}: ${error.message}`)));
    child.once('close', (code, signal) => {
      if (code === 0) resolveExit();
      else {
        const how = signal ?? `exit ${code}`;
        rejectExit(new Error(`${command} -L -f ${family} failed (${how}): ${said.trim().slice(0, 500)}`));
      }
    });
  });
}

export class ConntrackPoller implements RunningSource {
  private readonly table: ConnectionTable;
  private readonly failures: RateLimitedLog;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private cancelRead: (() => void) | undefined;
  private accounting: boolean | undefined;
  private started = false;
  private stopped = false;

  constructor(
    private readonly options: ConntrackOptions,
    private readonly input: EntryInput,
    private readonly context: GeneratorContext,
    private readonly nowSeconds: () => number = () => Math.floor(Date.now() / 1000),
  ) {
    this.table = new ConnectionTable({
      maxConnections: options.maxConnections,
      reporter: options.reporter,
      localCidrs: options.localCidrs,
      node: hostname(),
      countExisting: context.mode === 'replay',
    });
    this.failures = new RateLimitedLog(context.logger, nowSeconds);
  }

  async start(): Promise<void> {
    if (this.started) throw new Error('conntrack source: already started');
    this.started = true;
    this.context.logger.log('info', 'conntrack source polling', {
      source: CONNTRACK_SOURCE_KIND,
      input: this.input.description,
      interval_seconds: this.options.intervalSeconds,
      max_connections: this.options.maxConnections,
      reporter: this.options.reporter,
      local_cidrs: this.options.localCidrs.length,
    });
    await this.checkAccountingSysctl();
    if (this.context.mode === 'replay') {
      // A file that cannot be read is the whole input of a replay: fail it rather than report an empty table.
      await this.poll(true);
      return;
    }
    await this.poll(false);
    this.schedule();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.cancelRead?.();
    await this.running;
  }

  /** One poll: read every entry, emit what changed, publish the table's state. */
  async poll(failHard: boolean): Promise<PollSummary | undefined> {
    const work = this.read();
    // Only for stop() to wait on; the failure itself is handled below.
    this.running = work.then(
      () => undefined,
      () => undefined,
    );
    try {
      const summary = await work;
      this.publish(summary);
      return summary;
    } catch (error) {
      if (failHard) {
        throw new Error(`conntrack source: cannot read ${this.input.description}: ${(error as Error).message}`);
      }
      // stop() cuts a read short on purpose.
      if (this.stopped) return undefined;
      this.failures.log('warn', 'conntrack poll failed', {
        source: CONNTRACK_SOURCE_KIND,
        input: this.input.description,
        error: (error as Error).message,
      });
      return undefined;
    } finally {
      this.running = undefined;
      this.cancelRead = undefined;
    }
  }

  private async read(): Promise<PollSummary> {
    const sink = this.context.sink;
    const emit = sink.flow.bind(sink);
    this.table.beginPoll(this.nowSeconds());
    const reads = this.input.open();
    this.cancelRead = () => reads.forEach((read) => read.cancel());
    let failure: unknown;
    for (const { stream, finish } of reads) {
      const where = this.input.description;
      try {
        await readLines(stream, MAX_ENTRY_BYTES, {
          line: (text, lineNumber) =>
            observeEntryLine(this.table, text, emit, (error) => this.context.rejected(error, where, lineNumber)),
          oversized: (lineNumber, bytes) =>
            this.context.rejected(
              new DecodeError('oversized', `entry of ${bytes} bytes or more is over the ${MAX_ENTRY_BYTES} limit`),
              where,
              lineNumber,
            ),
          truncated: (lineNumber, bytes) =>
            this.context.rejected(
              new DecodeError('truncated', `the input ends with a partial entry of ${bytes} bytes`),
              where,
              lineNumber,
            ),
        });
        await finish();
      } catch (error) {
        failure ??= error;
      }
    }
    // A failed read saw only part of the table: ending the connections it missed would be wrong.
    if (failure !== undefined) throw failure;
    return this.table.finishPoll(emit);
  }

  private publish(summary: PollSummary): void {
    this.context.gauge('conntrackConnections', summary.tracked);
    this.context.gauge('conntrackUntracked', summary.untracked);
    if (summary.untracked > 0) {
      this.failures.log('warn', 'conntrack table over budget: connections not counted', {
        source: CONNTRACK_SOURCE_KIND,
        untracked: summary.untracked,
        max_connections: this.options.maxConnections,
      });
    }
    if (summary.accounting !== undefined) this.noteAccounting(summary.accounting, 'entries');
  }

  /** The sysctl says whether accounting is on before any entry does (an empty table, a first quiet poll). */
  private async checkAccountingSysctl(): Promise<void> {
    if (this.options.path !== DEFAULT_CONNTRACK_PATH && this.options.path !== undefined) return;
    try {
      const text = (await readFile(ACCOUNTING_SYSCTL_PATH, 'utf8')).trim();
      if (text === '0' || text === '1') this.noteAccounting(text === '1', 'sysctl');
    } catch {
      // Not every kernel has the file; the entries will tell.
    }
  }

  private noteAccounting(on: boolean, from: 'sysctl' | 'entries'): void {
    this.context.gauge('conntrackAccounting', on ? 1 : 0);
    if (this.accounting === on) return;
    this.accounting = on;
    if (on) {
      this.context.logger.log('info', 'conntrack accounting is on: flows count bytes and packets', {
        source: CONNTRACK_SOURCE_KIND,
        from,
      });
    } else {
      this.context.logger.log(
        'warn',
        'conntrack accounting is off: flows are counted, bytes and packets are not; set net.netfilter.nf_conntrack_acct=1 to count them (connections made before that never carry counters)',
        { source: CONNTRACK_SOURCE_KIND, from },
      );
    }
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.poll(false).then(() => this.schedule());
    }, this.options.intervalSeconds * 1000);
    // The HTTP server keeps a serving exporter alive; the poller must not keep a stopping one alive.
    this.timer.unref();
  }
}

/**
 * One line of a table read: its entry goes into the table (which emits what changed), or the line is rejected with
 * the grammar's reason. Blank lines are no entries. The demo's nodes (demo/conntrack.ts) poll through this too.
 */
export function observeEntryLine(
  table: ConnectionTable,
  text: string,
  emit: (record: FlowRecord) => void,
  reject: (error: DecodeError) => void,
): void {
  if (text.trim() === '') return;
  let entry;
  try {
    entry = parseConntrackEntry(text);
  } catch (error) {
    reject(asDecodeError(error));
    return;
  }
  table.observe(entry, emit);
}

function asDecodeError(error: unknown): DecodeError {
  return error instanceof DecodeError ? error : new DecodeError('malformed', `parser failed: ${String(error)}`);
}

export function createConntrackSource(argument: string, context: GeneratorContext): ConntrackPoller {
  const options = parseConntrackArgument(argument);
  if (context.mode === 'replay' && options.path === undefined) {
    context.logger.log('info', 'conntrack source: no conntrack file; replay reads the conntrack tool once', {
      source: CONNTRACK_SOURCE_KIND,
    });
  }
  const input = options.path === undefined ? toolInput() : fileInput(options.path);
  return new ConntrackPoller(options, input, context);
}

export const conntrackSource: GeneratorSourceKind = {
  kind: CONNTRACK_SOURCE_KIND,
  description:
    'connections from the kernel conntrack table (a file such as /proc/net/nf_conntrack, or the conntrack tool), polled into flows',
  input: 'generator',
  create: (argument, context) => createConntrackSource(argument, context),
};
