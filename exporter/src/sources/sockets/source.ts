/**
 * `sockets` (Linux): every interval, the sockets of each pod network namespace on the node, read from /proc
 * by the scanner and handed to the pipeline as one scan. `serve` scans at start and then every interval;
 * `replay` scans once, so a copy of a /proc tree (or a directory built to look like one) can be replayed.
 *
 * Argument: `[PROC_ROOT][,interval=S][,host=true]`, e.g. `sockets`, `sockets:/host/proc`, `sockets:/host/proc,interval=30`;
 * `host=true` scans the host's own network namespace too, as workload `host`.
 */
import { resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { GeneratorContext, GeneratorSourceKind, RunningSource } from '../types';
import { SocketScanner } from './scanner';
import { RateLimitedLog } from '../../log';

export const SOCKETS_SOURCE_KIND = 'sockets';

export interface SocketSourceOptions {
  procRoot: string;
  intervalSeconds: number;
  /** Whether the host's own network namespace is scanned too (workload `host`). */
  host: boolean;
}

export const DEFAULT_SOCKET_SOURCE_OPTIONS: Readonly<SocketSourceOptions> = Object.freeze({
  procRoot: '/proc',
  intervalSeconds: 15,
  host: false,
});

const USAGE =
  'use sockets[:PROC_ROOT][,interval=S][,host=true] (e.g. sockets:/host/proc,interval=15; the path may not hold a comma)';

/** Parses the text after `sockets:`. Errors name the part at fault and how to write it. */
export function parseSocketsArgument(argument: string): SocketSourceOptions {
  const options: SocketSourceOptions = { ...DEFAULT_SOCKET_SOURCE_OPTIONS };
  let pathSeen = false;
  let intervalSeen = false;
  let hostSeen = false;
  for (const rawPart of argument.split(',')) {
    const part = rawPart.trim();
    if (part === '') continue;
    const equals = part.indexOf('=');
    if (equals < 0) {
      if (pathSeen) throw new Error(`sockets source: a second proc root "${part}"; ${USAGE}`);
      pathSeen = true;
      options.procRoot = resolve(part);
      continue;
    }
    const key = part.slice(0, equals).trim();
    const text = part.slice(equals + 1).trim();
    if (key === 'host') {
      if (hostSeen) throw new Error('sockets source: option "host" is given twice; give it once (e.g. host=true)');
      hostSeen = true;
      if (text !== 'true' && text !== 'false') {
        throw new Error(`sockets source: option "host" must be true or false, got "${text}" (e.g. host=true)`);
      }
      options.host = text === 'true';
      continue;
    }
    if (key !== 'interval') throw new Error(`sockets source: unknown option "${key}"; ${USAGE}`);
    if (intervalSeen)
      throw new Error('sockets source: option "interval" is given twice; give it once (e.g. interval=15)');
    intervalSeen = true;
    const value = /^\d+$/.test(text) ? Number(text) : Number.NaN;
    if (!Number.isSafeInteger(value) || value < 1 || value > 3600) {
      throw new Error(
        `sockets source: option "interval" must be whole seconds from 1 to 3600, got "${text}" (e.g. interval=15)`,
      );
    }
    options.intervalSeconds = value;
  }
  return options;
}

class SocketRunningSource implements RunningSource {
  private readonly scanner: SocketScanner;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  /** A proc root that stays unreadable would otherwise log every interval. */
  private readonly failures: RateLimitedLog;

  constructor(
    private readonly options: SocketSourceOptions,
    private readonly context: GeneratorContext,
  ) {
    this.scanner = new SocketScanner({
      procRoot: options.procRoot,
      includeHost: options.host,
      onRejected: (error, file, line) => context.rejected(error, file, line),
    });
    this.failures = new RateLimitedLog(context.logger, () => Date.now() / 1000);
  }

  async start(): Promise<void> {
    if (process.platform !== 'linux' && this.options.procRoot === '/proc') {
      throw new Error('sockets source: needs Linux /proc; on this system give a copied proc root');
    }
    if (this.context.mode === 'replay') {
      // Replay has one chance: a proc root that cannot be read fails the run.
      await this.scanOnce();
      return;
    }
    // Serve keeps trying every interval (a host /proc mounted late, say), saying why each time it fails.
    await this.scanOrWarn();
    this.scheduleNext();
  }

  stop(): Promise<void> {
    this.stopped = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    return Promise.resolve();
  }

  private async scanOnce(): Promise<void> {
    const started = performance.now();
    const scan = await this.scanner.scanInSlices(Date.now() / 1000);
    scan.durationSeconds = (performance.now() - started) / 1000;
    // A scan that ends after stop() is dropped: the pipeline may be gone.
    if (!this.stopped) this.context.sink.sockets(scan);
  }

  private async scanOrWarn(): Promise<void> {
    try {
      await this.scanOnce();
    } catch (error) {
      this.failures.log('warn', 'socket scan failed', {
        procRoot: this.options.procRoot,
        error: error instanceof Error ? error.message : String(error),
      });
    }
  }

  private scheduleNext(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      void this.scanOrWarn().then(() => this.scheduleNext());
    }, this.options.intervalSeconds * 1000);
    // The HTTP server keeps a serving exporter alive; the scan timer must not keep a stopping one alive.
    this.timer.unref();
  }
}

export function createSocketsSource(argument: string, context: GeneratorContext): RunningSource {
  return new SocketRunningSource(parseSocketsArgument(argument), context);
}

export const socketsSource: GeneratorSourceKind = {
  kind: SOCKETS_SOURCE_KIND,
  description: 'Linux /proc: sockets, queues, listening ports and TCP counters of each pod network namespace',
  input: 'generator',
  create: createSocketsSource,
};
