/**
 * `demo`: the embedded demo cluster as a generator source. It writes Calico flow, DNS and L7 log lines and
 * Kubernetes audit events into the pipeline through the `calico-flows`, `calico-dns`, `calico-l7` and `audit`
 * decoders, exactly as if they had been read from a flows.log, a dns.log, an l7.log and the API server's audit log,
 * so a demo run exercises the same code as production. Each window also ends with a socket scan of the demo's pods
 * (sockets.ts), handed to the pipeline as the `sockets` source's would be, and a poll of each node's conntrack table
 * (conntrack.ts: the host network's connections, as nf_conntrack lines through the `conntrack` source's grammar and
 * connection table), which adds host flows and publishes the `flowlens_conntrack_*` gauges.
 *
 * serve: the window ending now at start (metrics appear at once), then one window per interval, aligned to
 * wall-clock boundaries so every instance of the demo agrees on window edges. replay: the last hour of windows,
 * so an offline run still has a day-shaped, incident-bearing sample.
 */
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import type { GeneratorContext, GeneratorSourceKind, RunningSource } from '../sources/types';
import { DEFAULT_INCIDENT_PERIOD_SECONDS, DemoCluster } from './traffic';
import { DemoSockets } from './sockets';
import { DemoConntrack, DemoHostConnections } from './conntrack';

export interface DemoSourceOptions {
  seed: number;
  /** Seconds per flow log window (Calico's flush interval). */
  intervalSeconds: number;
  incidentPeriodSeconds: number;
}

export const DEFAULT_DEMO_OPTIONS: Readonly<DemoSourceOptions> = Object.freeze({
  seed: 1,
  intervalSeconds: 5,
  incidentPeriodSeconds: DEFAULT_INCIDENT_PERIOD_SECONDS,
});

/** How much history a replay produces. */
export const REPLAY_SECONDS = 3600;
/** How much audit log history serve mode starts with, and in what steps it is generated. */
const AUDIT_HISTORY_SECONDS = 3600;
const AUDIT_HISTORY_STEP_SECONDS = 300;
/** After a longer stall (a suspended laptop) serve mode skips ahead instead of generating the gap. */
const MAX_CATCH_UP_SECONDS = 300;
/** Replay yields to the event loop every this many windows, so a stop or a signal gets through. */
const REPLAY_WINDOWS_PER_YIELD = 12;
const FLOW_LOG_KIND = 'calico-flows';
const DNS_LOG_KIND = 'calico-dns';
const L7_LOG_KIND = 'calico-l7';
const AUDIT_LOG_KIND = 'audit';

const USAGE = 'use seed=N, interval=S and incident-period=S, comma-separated (e.g. demo:seed=7,interval=5)';

interface OptionRule {
  key: string;
  field: keyof DemoSourceOptions;
  min: number;
  max: number;
  meaning: string;
  example: string;
}

const OPTION_RULES: readonly OptionRule[] = [
  {
    key: 'seed',
    field: 'seed',
    min: 0,
    max: 0xffffffff,
    meaning: 'a whole number from 0 to 4294967295',
    example: 'seed=42',
  },
  {
    key: 'interval',
    field: 'intervalSeconds',
    min: 1,
    max: 3600,
    meaning: 'whole seconds from 1 to 3600',
    example: 'interval=5',
  },
  {
    key: 'incident-period',
    field: 'incidentPeriodSeconds',
    min: 60,
    max: 7 * 86400,
    meaning: 'whole seconds from 60 to 604800',
    example: 'incident-period=3600',
  },
];

/** Parses the text after `demo:`. Errors name the offending key and how to write it. */
export function parseDemoArgument(argument: string): DemoSourceOptions {
  const options: DemoSourceOptions = { ...DEFAULT_DEMO_OPTIONS };
  const seen = new Set<string>();
  for (const rawPart of argument.split(',')) {
    const part = rawPart.trim();
    if (part === '') continue;
    const equals = part.indexOf('=');
    const key = (equals < 0 ? part : part.slice(0, equals)).trim();
    const rule = OPTION_RULES.find((candidate) => candidate.key === key);
    if (rule === undefined) throw new Error(`demo source: unknown option "${key}"; ${USAGE}`);
    if (equals < 0)
      throw new Error(`demo source: option "${key}" needs a value, ${rule.meaning} (e.g. ${rule.example})`);
    if (seen.has(key))
      throw new Error(`demo source: option "${key}" is given twice; give it once (e.g. ${rule.example})`);
    seen.add(key);
    const text = part.slice(equals + 1).trim();
    const value = /^\d+$/.test(text) ? Number(text) : Number.NaN;
    if (!Number.isSafeInteger(value) || value < rule.min || value > rule.max) {
      throw new Error(`demo source: option "${key}" must be ${rule.meaning}, got "${text}" (e.g. ${rule.example})`);
    }
    options[rule.field] = value;
  }
  return options;
}

/** Time and timers, injectable so tests can drive serve mode without waiting. */
export interface DemoClock {
  /** Milliseconds since the epoch. */
  now(): number;
  /** Calls `callback` after `delayMs`; returns a function that cancels it. */
  schedule(callback: () => void, delayMs: number): () => void;
}

export const SYSTEM_CLOCK: DemoClock = {
  now: () => Date.now(),
  schedule(callback, delayMs) {
    const timer = setTimeout(callback, delayMs);
    // The HTTP server keeps a serving exporter alive; the demo's timer must not keep a stopping one alive.
    timer.unref();
    return () => clearTimeout(timer);
  },
};

class DemoRunningSource implements RunningSource {
  private readonly cluster: DemoCluster;
  private readonly sockets: DemoSockets;
  private readonly conntrack: DemoConntrack;
  private cancelTimer: (() => void) | undefined;
  private emittedUntil = 0;
  private started = false;
  private stopped = false;

  constructor(
    private readonly options: DemoSourceOptions,
    private readonly context: GeneratorContext,
    private readonly clock: DemoClock,
  ) {
    this.cluster = new DemoCluster({ seed: options.seed, incidentPeriodSeconds: options.incidentPeriodSeconds });
    this.sockets = new DemoSockets(this.cluster.topology, this.cluster, options.seed);
    this.conntrack = new DemoConntrack(
      this.cluster.topology,
      new DemoHostConnections(this.cluster.topology, options.seed, options.incidentPeriodSeconds),
    );
  }

  async start(): Promise<void> {
    if (this.started) throw new Error('demo source: already started');
    this.started = true;
    if (this.context.mode === 'replay') {
      await this.replay();
      return;
    }
    const now = this.nowSeconds();
    this.emitAuditHistory(now - this.options.intervalSeconds);
    this.emit(now - this.options.intervalSeconds, now);
    this.scheduleNextTick();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.cancelTimer?.();
    this.cancelTimer = undefined;
  }

  private async replay(): Promise<void> {
    const interval = this.options.intervalSeconds;
    const end = Math.floor(this.nowSeconds() / interval) * interval;
    const windows = Math.ceil(REPLAY_SECONDS / interval);
    for (let index = 0; index < windows && !this.stopped; index++) {
      const windowStart = end - (windows - index) * interval;
      this.emit(windowStart, windowStart + interval);
      if ((index + 1) % REPLAY_WINDOWS_PER_YIELD === 0) await yieldToEventLoop();
    }
  }

  /**
   * The audit log's recent past, before the first window: an `audit` file source without a checkpoint reads the log
   * from its beginning, so a real exporter starts with the history the file holds. The demo starts with the last
   * incident period (at most an hour), so every kind of notable request has its series from the start.
   */
  private emitAuditHistory(until: number): void {
    const from = until - Math.min(this.options.incidentPeriodSeconds, AUDIT_HISTORY_SECONDS);
    for (let start = from; start < until; start += AUDIT_HISTORY_STEP_SECONDS) {
      const seconds = Math.min(AUDIT_HISTORY_STEP_SECONDS, until - start);
      for (const line of this.cluster.auditLinesFor(start, seconds)) this.context.feedLine(AUDIT_LOG_KIND, line);
    }
  }

  private scheduleNextTick(): void {
    if (this.stopped) return;
    const interval = this.options.intervalSeconds;
    const nextBoundary = (Math.floor(this.emittedUntil / interval) + 1) * interval;
    const delayMs = Math.max(0, nextBoundary * 1000 - this.clock.now());
    this.cancelTimer = this.clock.schedule(() => this.tick(), delayMs);
  }

  /** Emits every whole interval that ended since the last emission (one normally; more after a stall). */
  private tick(): void {
    this.cancelTimer = undefined;
    if (this.stopped) return;
    const interval = this.options.intervalSeconds;
    const boundary = Math.floor(this.nowSeconds() / interval) * interval;
    if (boundary - this.emittedUntil > MAX_CATCH_UP_SECONDS) this.emittedUntil = boundary - interval;
    while (this.emittedUntil < boundary && !this.stopped) {
      // The first window after start may be short: from the start time to the first boundary.
      const windowEnd = Math.min(boundary, (Math.floor(this.emittedUntil / interval) + 1) * interval);
      this.emit(this.emittedUntil, windowEnd);
    }
    this.scheduleNextTick();
  }

  private emit(windowStart: number, windowEnd: number): void {
    for (const line of this.cluster.linesFor(windowStart, windowEnd - windowStart)) {
      this.context.feedLine(FLOW_LOG_KIND, line);
    }
    for (const line of this.cluster.dnsLinesFor(windowStart, windowEnd - windowStart)) {
      this.context.feedLine(DNS_LOG_KIND, line);
    }
    for (const line of this.cluster.httpLinesFor(windowStart, windowEnd - windowStart)) {
      this.context.feedLine(L7_LOG_KIND, line);
    }
    for (const line of this.cluster.auditLinesFor(windowStart, windowEnd - windowStart)) {
      this.context.feedLine(AUDIT_LOG_KIND, line);
    }
    // What the `sockets` source would see on the nodes at the window's end.
    this.context.sink.sockets(this.sockets.scanAt(windowEnd, windowEnd - windowStart));
    // What the `conntrack` source would find in the nodes' tables at the window's end: host flows, and its gauges.
    const conntrack = this.conntrack.poll(windowEnd, this.context);
    this.context.gauge('conntrackConnections', conntrack.tracked);
    this.context.gauge('conntrackUntracked', conntrack.untracked);
    if (conntrack.entries > 0) this.context.gauge('conntrackAccounting', 1);
    this.emittedUntil = windowEnd;
  }

  private nowSeconds(): number {
    return Math.floor(this.clock.now() / 1000);
  }
}

/** Builds the running source; `clock` is for tests. */
export function createDemoSource(
  argument: string,
  context: GeneratorContext,
  clock: DemoClock = SYSTEM_CLOCK,
): RunningSource {
  return new DemoRunningSource(parseDemoArgument(argument), context, clock);
}

export const demoSource: GeneratorSourceKind = {
  kind: 'demo',
  description:
    'embedded demo cluster: synthetic Calico flow, DNS and L7 logs, API server audit events, socket scans and the nodes’ conntrack tables, with a daily shape and hourly incidents',
  input: 'generator',
  create: (argument, context) => createDemoSource(argument, context),
};
