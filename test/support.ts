/**
 * Shared helpers of the integration tests: where things are, running the `flowlens` command (always with an
 * argument array, never through a shell), free loopback ports, polling, HTTP, temporary directories and a
 * small parser of the Prometheus text exposition.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import assert from 'node:assert/strict';
import { after, before } from 'node:test';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

/** The repository root, from the compiled file in test/dist/. */
export const REPO_ROOT = resolve(__dirname, '..', '..');
export const FLOWLENS_BIN = join(REPO_ROOT, 'exporter', 'bin', 'flowlens.js');
export const FIXTURES = join(REPO_ROOT, 'test', 'fixtures');
export const CALICO_FIXTURE = join(FIXTURES, 'calico-flows.ndjson');
export const HUBBLE_FIXTURE = join(FIXTURES, 'hubble-flows.ndjson');

/**
 * The environment for a child process: this one's, without FLOWLENS_* variables (the exporter rejects unknown
 * ones and would pick up known ones), plus `extra`.
 */
export function childEnvironment(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const environment: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (!name.startsWith('FLOWLENS_')) environment[name] = value;
  }
  return { ...environment, ...extra };
}

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** A spawned process whose output is kept in memory. */
export class Spawned {
  readonly exited: Promise<Exit>;
  private stdoutChunks: Buffer[] = [];
  private stderrChunks: Buffer[] = [];
  private exit: Exit | undefined;

  constructor(
    readonly description: string,
    readonly child: ChildProcess,
  ) {
    child.stdout?.on('data', (chunk: Buffer) => this.stdoutChunks.push(chunk));
    child.stderr?.on('data', (chunk: Buffer) => this.stderrChunks.push(chunk));
    this.exited = new Promise((resolveExit, rejectExit) => {
      child.once('error', rejectExit);
      // 'close', not 'exit': by then stdout and stderr have been read to their end.
      child.once('close', (code: number | null, signal: NodeJS.Signals | null) => {
        this.exit = { code, signal };
        resolveExit(this.exit);
      });
    });
    // Callers await `exited` when they care; an unobserved spawn failure must not crash the test process.
    this.exited.catch(() => undefined);
  }

  get stdout(): string {
    return Buffer.concat(this.stdoutChunks).toString('utf8');
  }

  get stderr(): string {
    return Buffer.concat(this.stderrChunks).toString('utf8');
  }

  /** The exit status, or undefined while the process runs. */
  get exitStatus(): Exit | undefined {
    return this.exit;
  }

  /** Sends `signal`; after `graceMs` without exiting, SIGKILL. Resolves when the process is gone. */
  async stop(signal: NodeJS.Signals = 'SIGTERM', graceMs = 10_000): Promise<Exit> {
    if (this.exit !== undefined) return this.exit;
    this.child.kill(signal);
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    try {
      return await this.exited;
    } finally {
      clearTimeout(timer);
    }
  }
}

/**
 * Starts and remembers processes so that a test file's `after()` hook can stop whatever is still running:
 * `const processes = new Processes(); after(() => processes.stopAll());`
 */
export class Processes {
  private readonly running = new Set<Spawned>();

  start(
    command: string,
    args: readonly string[],
    options: { env?: NodeJS.ProcessEnv; cwd?: string; input?: string | Buffer } = {},
  ): Spawned {
    const child = spawn(command, [...args], {
      cwd: options.cwd ?? REPO_ROOT,
      env: options.env ?? childEnvironment(),
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const spawned = new Spawned(`${command} ${args.join(' ')}`, child);
    this.running.add(spawned);
    void spawned.exited.finally(() => this.running.delete(spawned)).catch(() => undefined);
    // A child that exits before reading all its input must not fail the test with EPIPE.
    child.stdin?.on('error', () => undefined);
    if (options.input !== undefined) child.stdin?.end(options.input);
    else child.stdin?.end();
    return spawned;
  }

  /** `node exporter/bin/flowlens.js ...args`. */
  startFlowlens(args: readonly string[], options: { env?: NodeJS.ProcessEnv } = {}): Spawned {
    return this.start(process.execPath, [FLOWLENS_BIN, ...args], options);
  }

  async stopAll(): Promise<void> {
    await Promise.all([...this.running].map((spawned) => spawned.stop('SIGTERM', 5_000).catch(() => undefined)));
  }
}

export interface RunResult extends Exit {
  stdout: string;
  stderr: string;
}

/**
 * Runs a command to its end and returns its exit status and output. A command still running after
 * `timeoutMs` is killed and the returned promise rejects, naming the command and its stderr.
 */
export async function run(
  processes: Processes,
  command: string,
  args: readonly string[],
  options: { env?: NodeJS.ProcessEnv; input?: string | Buffer; timeoutMs?: number } = {},
): Promise<RunResult> {
  const spawned = processes.start(command, args, options);
  const timeoutMs = options.timeoutMs ?? 60_000;
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<'timeout'>((resolveTimeout) => {
    timer = setTimeout(() => resolveTimeout('timeout'), timeoutMs);
  });
  try {
    const outcome = await Promise.race([spawned.exited, timedOut]);
    if (outcome === 'timeout') {
      await spawned.stop('SIGKILL');
      throw new Error(`${spawned.description} still running after ${timeoutMs} ms; stderr:\n${tail(spawned.stderr)}`);
    }
    return { ...outcome, stdout: spawned.stdout, stderr: spawned.stderr };
  } finally {
    clearTimeout(timer);
  }
}

/** Runs `node exporter/bin/flowlens.js ...args` to its end. */
export function runFlowlens(
  processes: Processes,
  args: readonly string[],
  options: { env?: NodeJS.ProcessEnv; input?: string | Buffer; timeoutMs?: number } = {},
): Promise<RunResult> {
  return run(processes, process.execPath, [FLOWLENS_BIN, ...args], options);
}

/** The last `lines` lines of a text, for failure messages. */
export function tail(text: string, lines = 40): string {
  return text.split('\n').slice(-lines).join('\n');
}

/** A loopback port that was free a moment ago: listen on port 0, note the port, close. */
export function freePort(): Promise<number> {
  return new Promise((resolvePort, rejectPort) => {
    const server = createServer();
    server.unref();
    server.once('error', rejectPort);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      if (address === null || typeof address === 'string') {
        server.close();
        rejectPort(new Error(`unexpected server address ${String(address)}`));
        return;
      }
      server.close(() => resolvePort(address.port));
    });
  });
}

export interface WaitOptions {
  /** Default 100 ms. */
  intervalMs?: number;
  /** What is awaited, for the timeout message. */
  description?: string;
  /** A process the wait depends on: when it exits, waiting stops with an error showing its stderr. */
  process?: Spawned;
}

/**
 * Polls `predicate` until it returns true; rejects after `timeoutMs`. A predicate that throws counts as false
 * (a server that is not listening yet), and its last error is part of the timeout message.
 */
export async function waitFor(
  predicate: () => boolean | Promise<boolean>,
  timeoutMs: number,
  options: WaitOptions = {},
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const what = options.description ?? 'condition';
  let lastError: unknown;
  for (;;) {
    try {
      if (await predicate()) return;
      lastError = undefined;
    } catch (error) {
      lastError = error;
    }
    const exit = options.process?.exitStatus;
    if (exit !== undefined && options.process !== undefined) {
      throw new Error(
        `waiting for ${what}: ${options.process.description} exited (code ${exit.code}, signal ${exit.signal}); stderr:\n${tail(options.process.stderr)}`,
      );
    }
    if (Date.now() >= deadline) {
      const reason = lastError === undefined ? '' : ` (last error: ${String(lastError)})`;
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${reason}`);
    }
    await new Promise((resolveSleep) => setTimeout(resolveSleep, options.intervalMs ?? 100));
  }
}

export interface FetchedText {
  status: number;
  headers: Headers;
  body: string;
}

/** GET (by default) with the global fetch; bounded by `timeoutMs`. */
export async function fetchText(url: string, init: RequestInit = {}, timeoutMs = 10_000): Promise<FetchedText> {
  const response = await fetch(url, { ...init, signal: AbortSignal.timeout(timeoutMs) });
  return { status: response.status, headers: response.headers, body: await response.text() };
}

/** A temporary directory; remove it with `removeDir` (typically in `after()`). */
export function makeTempDir(prefix = 'flowlens-test-'): Promise<string> {
  return mkdtemp(join(tmpdir(), prefix));
}

export function removeDir(path: string): Promise<void> {
  return rm(path, { recursive: true, force: true });
}

/** One sample of a text exposition. */
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

const SAMPLE_NAME = /^([a-zA-Z_:][a-zA-Z0-9_:]*)/;
const LABEL_PAIR = /\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*=\s*"((?:[^"\\]|\\.)*)"\s*(,|(?=\}))/y;

function unescapeLabelValue(value: string): string {
  return value.replace(/\\(.)/g, (_match, character: string) => (character === 'n' ? '\n' : character));
}

function parseValue(text: string): number {
  if (text === '+Inf') return Infinity;
  if (text === '-Inf') return -Infinity;
  if (text === 'NaN') return NaN;
  const value = Number(text);
  if (text === '' || Number.isNaN(value)) throw new Error(`not a sample value: "${text}"`);
  return value;
}

/**
 * Parses the samples of a Prometheus text (or OpenMetrics) exposition; comment lines are skipped. Throws on a
 * line it cannot read, so a broken exposition fails the test that reads it.
 */
export function parseExposition(text: string): Sample[] {
  const samples: Sample[] = [];
  text.split('\n').forEach((line, index) => {
    if (line === '' || line.startsWith('#')) return;
    const fail = (why: string): never => {
      throw new Error(`exposition line ${index + 1} ${why}: ${line}`);
    };
    const name = SAMPLE_NAME.exec(line)?.[1] ?? fail('has no metric name');
    let position = name.length;
    const labels: Record<string, string> = {};
    if (line[position] === '{') {
      position++;
      while (line[position] !== '}') {
        LABEL_PAIR.lastIndex = position;
        const pair = LABEL_PAIR.exec(line) ?? fail(`has a bad label at column ${position + 1}`);
        const labelName = pair[1]!;
        if (labelName in labels) fail(`repeats label ${labelName}`);
        labels[labelName] = unescapeLabelValue(pair[2]!);
        position = LABEL_PAIR.lastIndex;
        if (position >= line.length) fail('has no closing brace');
      }
      position++;
    }
    const fields = line.slice(position).trim().split(/\s+/);
    if (fields.length < 1 || fields.length > 2) fail('does not end with a value (and timestamp)');
    samples.push({ name, labels, value: parseValue(fields[0]!) });
  });
  return samples;
}

function matches(sample: Sample, name: string, labels: Record<string, string>): boolean {
  return sample.name === name && Object.entries(labels).every(([label, value]) => sample.labels[label] === value);
}

/** The sum of the samples named `name` whose labels include `labels`. */
export function sumSamples(samples: readonly Sample[], name: string, labels: Record<string, string> = {}): number {
  return samples.filter((sample) => matches(sample, name, labels)).reduce((sum, sample) => sum + sample.value, 0);
}

/** The samples named `name` whose labels include `labels`. */
export function findSamples(samples: readonly Sample[], name: string, labels: Record<string, string> = {}): Sample[] {
  return samples.filter((sample) => matches(sample, name, labels));
}

/** The value of the one sample named `name` with exactly these labels; throws if there is none. */
export function sampleValue(samples: readonly Sample[], name: string, labels: Record<string, string> = {}): number {
  const wanted = Object.keys(labels).length;
  const found = samples.filter(
    (sample) => matches(sample, name, labels) && Object.keys(sample.labels).length === wanted,
  );
  if (found.length !== 1) {
    throw new Error(`expected one sample ${name}${JSON.stringify(labels)}, found ${found.length}`);
  }
  return found[0]!.value;
}

/**
 * A test file's workspace: a temporary directory and the processes its tests start, made before the file's
 * tests and cleaned up after them (processes stopped first, then the directory removed).
 */
export function testWorkspace(prefix: string): { processes: Processes; dir: () => string } {
  const processes = new Processes();
  let dir = '';
  before(async () => {
    dir = await makeTempDir(prefix);
  });
  after(async () => {
    await processes.stopAll();
    await removeDir(dir);
  });
  return { processes, dir: () => dir };
}

/** `flowlens replay ...args`, which must exit 0, with its exposition parsed. */
export async function replayFlowlens(
  processes: Processes,
  args: readonly string[],
): Promise<{ result: RunResult; stdout: string; samples: Sample[] }> {
  const result = await runFlowlens(processes, ['replay', ...args], { timeoutMs: 120_000 });
  assert.equal(result.code, 0, `flowlens replay ${args.join(' ')} failed; stderr:\n${result.stderr}`);
  return { result, stdout: result.stdout, samples: parseExposition(result.stdout) };
}

/** `flowlens_ingest_errors_total` of one source, by reason. */
export function errorsByReason(samples: readonly Sample[], source: string): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const sample of findSamples(samples, 'flowlens_ingest_errors_total', { source })) {
    counts[sample.labels['reason'] ?? '?'] = sample.value;
  }
  return counts;
}

/**
 * `promtool check metrics` must exit 0 and print nothing: it prints lint problems (a counter without `_total`,
 * say) and still exits 0 for some of them, so silence is the real test.
 */
export async function promtoolAccepts(processes: Processes, exposition: string): Promise<void> {
  const checked = await run(processes, 'promtool', ['check', 'metrics'], { input: exposition });
  const output = `${checked.stdout}${checked.stderr}`;
  assert.equal(checked.code, 0, `promtool check metrics exited ${checked.code}:\n${output}`);
  assert.equal(output, '', `promtool check metrics reported problems:\n${output}`);
}
