/**
 * The `flowlens` command. Subcommands parse their flags strictly (an unknown flag is an error naming it),
 * build the configuration (file < environment < flags) and run the pipeline.
 */
import { parseArgs } from 'node:util';
import type { Server } from 'node:net';
import { ConfigError, DEFAULT_PORT, loadConfig, overridesFromEnvironment, type ConfigOverrides } from './config';
import { buildExporter } from './exporter';
import type { LiveClusterView } from './cluster/live-view';
import { createExporterServer } from './server/http';
import { readTlsMaterial, secureContextOptions, TlsFiles } from './server/tls';
import { JsonLogger } from './log';
import { SOURCE_KINDS } from './sources/registry';
import { catalogueMarkdown } from './metrics/catalogue-doc';
import { readResourcesFile } from './cluster/resources-file';
import { buildPolicySnapshot } from './policy/snapshot';
import { CHECK_PROTOCOLS, CheckInputError, checkConnection } from './policy/check';
import { VERSION } from './version';

/** A mistake in how the command was called: printed as one line, exit code 2. */
class UsageError extends Error {}

type OptionSpec = { type: 'string' | 'boolean'; multiple?: boolean };

const SOURCE_HELP = SOURCE_KINDS.map((kind) => `    ${kind.kind.padEnd(14)} ${kind.description}`).join('\n');

const COMMANDS = {
  serve: {
    summary: 'run the exporter: follow the sources and serve /metrics',
    usage:
      'flowlens serve [--config FILE] [--listen HOST:PORT] [--source KIND:PATH ...] [--demo] [--kubernetes] [--state-dir DIR] [--tls-cert-file FILE --tls-key-file FILE [--tls-client-ca-file FILE]]',
    options: {
      config: { type: 'string' },
      listen: { type: 'string' },
      'tls-cert-file': { type: 'string' },
      'tls-key-file': { type: 'string' },
      'tls-client-ca-file': { type: 'string' },
      source: { type: 'string', multiple: true },
      demo: { type: 'boolean' },
      kubernetes: { type: 'boolean' },
      'state-dir': { type: 'string' },
      'log-level': { type: 'string' },
      help: { type: 'boolean' },
    },
    flags: `  --config FILE          YAML configuration file (see docs/configuration.md); env FLOWLENS_CONFIG
  --listen HOST:PORT     where to serve /metrics, /healthz, /readyz (default 0.0.0.0:${DEFAULT_PORT}); env FLOWLENS_LISTEN
  --source KIND:PATH     a source to follow, repeatable; env FLOWLENS_SOURCES (comma-separated)
  --demo                 add the embedded demo cluster as a source; env FLOWLENS_DEMO=true
  --kubernetes           watch the Kubernetes API for workload context (KUBECONFIG, ~/.kube/config or in-cluster);
                         /readyz answers 503 until every watched kind is listed; env FLOWLENS_KUBERNETES=true
  --state-dir DIR        where read offsets are checkpointed, so a restart neither loses nor repeats lines
  --tls-cert-file FILE   serve HTTPS with this PEM certificate (re-read when it changes); env FLOWLENS_TLS_CERT_FILE
  --tls-key-file FILE    the certificate's PEM private key; env FLOWLENS_TLS_KEY_FILE
  --tls-client-ca-file FILE
                         verify client certificates against these PEM CAs (requested, not required: the audit
                         webhook can require them); env FLOWLENS_TLS_CLIENT_CA_FILE
  --log-level LEVEL      debug, info, warn or error (default info); env FLOWLENS_LOG_LEVEL`,
  },
  replay: {
    summary: 'read files to their end through the pipeline, print the exposition to stdout, exit',
    usage:
      'flowlens replay --source KIND:PATH [--source ...] [--resources FILE] [--config FILE] [--format prometheus|openmetrics]',
    options: {
      config: { type: 'string' },
      source: { type: 'string', multiple: true },
      resources: { type: 'string' },
      'state-dir': { type: 'string' },
      format: { type: 'string' },
      'log-level': { type: 'string' },
      help: { type: 'boolean' },
    },
    flags: `  --source KIND:PATH     a file to read, repeatable (at least one)
  --resources FILE       Kubernetes objects (YAML or JSON, as kubectl get -A -o yaml writes them) for workload context
  --config FILE          YAML configuration file (metric aggregation, budgets, exclusions)
  --state-dir DIR        resume from (and save) read offsets, to replay only what is new
  --format FORMAT        prometheus (text 0.0.4, default) or openmetrics
  --log-level LEVEL      rejected lines are logged to stderr at warn (default)`,
  },
  'policy check': {
    summary: 'would a connection be allowed, by which policy, and what would staged policies change (JSON)',
    usage: 'flowlens policy check --resources FILE --from A --to B --port N [--protocol TCP|UDP|SCTP]',
    options: {
      resources: { type: 'string' },
      from: { type: 'string' },
      to: { type: 'string' },
      port: { type: 'string' },
      protocol: { type: 'string' },
      help: { type: 'boolean' },
    },
    flags: `  --resources FILE       namespaces, pods and policies (Kubernetes, Admin, Calico, staged; YAML or JSON)
  --from A, --to B       namespace/pod, or an IP address (a pod that has it, else an address outside the cluster)
  --port N               destination port
  --protocol PROTOCOL    TCP (default), UDP or SCTP`,
  },
  catalogue: {
    summary: 'print the metric catalogue as Markdown (docs/metrics.md is this output)',
    usage: 'flowlens catalogue',
    options: { help: { type: 'boolean' } },
    flags: '',
  },
} satisfies Record<string, { summary: string; usage: string; options: Record<string, OptionSpec>; flags: string }>;

type CommandName = keyof typeof COMMANDS;

function mainHelp(): string {
  const commands = (Object.keys(COMMANDS) as CommandName[])
    .map((name) => `  ${name.padEnd(13)} ${COMMANDS[name].summary}`)
    .join('\n');
  return `flowlens ${VERSION}: Kubernetes network flows with workload and policy context, as Prometheus metrics.

Usage: flowlens <command> [flags]

Commands:
${commands}
  version       print the version

Run flowlens <command> --help for a command's flags.

Source kinds (--source KIND:PATH):
${SOURCE_HELP}
`;
}

function commandHelp(name: CommandName): string {
  const command = COMMANDS[name];
  return `${command.summary}\n\nUsage: ${command.usage}\n${command.flags ? `\nFlags:\n${command.flags}\n  --help                 show this help\n` : ''}${
    name === 'catalogue' || name === 'policy check' ? '' : `\nSource kinds:\n${SOURCE_HELP}\n`
  }`;
}

function parseFlags(name: CommandName, args: string[]): Record<string, string | boolean | string[] | undefined> {
  try {
    const { values } = parseArgs({ args, options: COMMANDS[name].options, strict: true, allowPositionals: false });
    return values as Record<string, string | boolean | string[] | undefined>;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const message = error instanceof Error ? error.message : String(error);
    const flag = /'(-[^' ]+)/.exec(message)?.[1];
    if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION')
      throw new UsageError(`unknown flag ${flag ?? message} for flowlens ${name}`);
    if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') throw new UsageError(`flag ${flag ?? ''} needs a value`.trim());
    if (code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL') {
      throw new UsageError(
        `unexpected argument ${/'([^']+)'/.exec(message)?.[1] ?? ''}: flowlens ${name} takes flags only`,
      );
    }
    throw new UsageError(message);
  }
}

function flagOverrides(flags: Record<string, string | boolean | string[] | undefined>): ConfigOverrides {
  const overrides: ConfigOverrides = {};
  if (typeof flags['listen'] === 'string') overrides.listen = flags['listen'];
  if (typeof flags['state-dir'] === 'string') overrides.stateDir = flags['state-dir'];
  if (typeof flags['resources'] === 'string') overrides.resources = flags['resources'];
  if (Array.isArray(flags['source'])) overrides.sources = flags['source'];
  if (flags['demo'] === true) overrides.demo = true;
  if (flags['kubernetes'] === true) overrides.kubernetes = true;
  if (typeof flags['log-level'] === 'string') overrides.logLevel = flags['log-level'];
  if (typeof flags['tls-cert-file'] === 'string') overrides.tlsCertFile = flags['tls-cert-file'];
  if (typeof flags['tls-key-file'] === 'string') overrides.tlsKeyFile = flags['tls-key-file'];
  if (typeof flags['tls-client-ca-file'] === 'string') overrides.tlsClientCAFile = flags['tls-client-ca-file'];
  return overrides;
}

function configFrom(flags: Record<string, string | boolean | string[] | undefined>, defaults: ConfigOverrides = {}) {
  const environment = overridesFromEnvironment(process.env);
  const configFile = typeof flags['config'] === 'string' ? flags['config'] : environment.configFile;
  return loadConfig({
    configFile,
    environment: { ...defaults, ...environment.overrides },
    flags: flagOverrides(flags),
    problems: environment.problems,
  });
}

export async function main(args: string[]): Promise<void> {
  try {
    process.exitCode = await run(args);
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(`flowlens: ${error.message} (see flowlens --help)\n`);
      process.exitCode = 2;
    } else if (error instanceof ConfigError) {
      for (const problem of error.problems) process.stderr.write(`flowlens: ${problem}\n`);
      process.exitCode = 2;
    } else {
      process.stderr.write(`flowlens: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exitCode = 1;
    }
  }
}

async function run(args: string[]): Promise<number> {
  const [command, ...rest] = args;
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    process.stdout.write(mainHelp());
    return command === undefined ? 2 : 0;
  }
  if (command === 'version' || command === '--version') {
    process.stdout.write(`flowlens ${VERSION} (node ${process.versions.node})\n`);
    return 0;
  }
  // `policy` has subcommands; `policy check` is the one so far.
  const [commandName, commandArgs] =
    command === 'policy' && rest[0] === 'check' ? ['policy check', rest.slice(1)] : [command, rest];
  if (command === 'policy' && commandName === 'policy') {
    throw new UsageError(`flowlens policy needs a subcommand: check (got ${rest[0] ?? 'none'})`);
  }
  if (!(commandName in COMMANDS)) {
    throw new UsageError(`unknown command "${command}"; commands are ${Object.keys(COMMANDS).join(', ')}, version`);
  }
  const name = commandName as CommandName;
  const flags = parseFlags(name, commandArgs);
  if (flags['help'] === true) {
    process.stdout.write(commandHelp(name));
    return 0;
  }
  switch (name) {
    case 'serve':
      return serve(flags);
    case 'replay':
      return replay(flags);
    case 'policy check':
      return policyCheck(flags);
    case 'catalogue':
      process.stdout.write(catalogueMarkdown());
      return 0;
  }
}

function policyCheck(flags: Record<string, string | boolean | string[] | undefined>): number {
  const required = (flag: 'resources' | 'from' | 'to' | 'port'): string => {
    const value = flags[flag];
    if (typeof value !== 'string' || value === '') throw new UsageError(`policy check needs --${flag}`);
    return value;
  };
  const resources = required('resources');
  const from = required('from');
  const to = required('to');
  const portText = required('port');
  const port = Number(portText);
  if (!/^\d+$/.test(portText) || port < 1 || port > 65535) {
    throw new UsageError(`--port "${portText}" must be a port number from 1 to 65535`);
  }
  const protocolText = typeof flags['protocol'] === 'string' ? flags['protocol'].toUpperCase() : 'TCP';
  const protocol = CHECK_PROTOCOLS.find((candidate) => candidate === protocolText);
  if (protocol === undefined) {
    throw new UsageError(`--protocol "${String(flags['protocol'])}" must be one of ${CHECK_PROTOCOLS.join(', ')}`);
  }
  const snapshot = buildPolicySnapshot(readResourcesFile(resources).map((document) => document.object));
  for (const problem of snapshot.problems) process.stderr.write(`flowlens: skipped: ${problem}\n`);
  try {
    process.stdout.write(`${JSON.stringify(checkConnection(snapshot, from, to, port, protocol), null, 2)}\n`);
  } catch (error) {
    if (error instanceof CheckInputError) throw new UsageError(error.message);
    throw error;
  }
  return 0;
}

async function replay(flags: Record<string, string | boolean | string[] | undefined>): Promise<number> {
  if (!Array.isArray(flags['source']) || flags['source'].length === 0) {
    throw new UsageError('replay needs at least one --source KIND:PATH');
  }
  const format = flags['format'] ?? 'prometheus';
  if (format !== 'prometheus' && format !== 'openmetrics') {
    throw new UsageError(`--format "${String(format)}" must be prometheus or openmetrics`);
  }
  const config = configFrom(flags, { logLevel: 'warn' });
  const logger = new JsonLogger(config.logLevel);
  const exporter = await buildExporter(config, 'replay', logger);
  try {
    // `kubernetes: true` in the config file: read the files against a synced view.
    if (exporter.liveView !== undefined) await waitUntilSynced(exporter.liveView, REPLAY_SYNC_TIMEOUT_MS);
    for (const source of exporter.sources) {
      try {
        await source.start();
      } finally {
        await source.stop();
      }
    }
  } finally {
    await exporter.liveView?.stop();
  }
  // Everything is read: the anomaly detectors judge the windows still waiting for stragglers.
  exporter.pipeline.anomaly?.flush();
  process.stdout.write(exporter.registry.render(format));
  return 0;
}

async function serve(flags: Record<string, string | boolean | string[] | undefined>): Promise<number> {
  const config = configFrom(flags);
  const logger = new JsonLogger(config.logLevel);
  if (config.sources.length === 0 && config.auditWebhook === undefined) {
    throw new UsageError(
      'serve needs a source: --source KIND:PATH, --demo, sources or audit.webhook in the config file',
    );
  }
  // Read before anything starts, so a bad certificate path stops `serve` with the key to fix.
  const tls = config.tls === undefined ? undefined : readTlsMaterial(config.tls);
  const exporter = await buildExporter(config, 'serve', logger);
  let startedSources = 0;
  const server = createExporterServer({
    registry: exporter.registry,
    logger,
    tls,
    auditWebhook: exporter.auditWebhook,
    notReadyReason: () =>
      exporter.liveView?.notSyncedReason() ??
      (startedSources < exporter.sources.length
        ? `${exporter.sources.length - startedSources} source(s) starting`
        : undefined),
  });
  try {
    await listen(server, config.listenHost, config.listenPort);
  } catch (error) {
    // Its open watches would keep the process alive.
    await exporter.liveView?.stop();
    throw error;
  }
  let tlsReloader: NodeJS.Timeout | undefined;
  if (config.tls !== undefined && 'setSecureContext' in server) {
    const files = new TlsFiles(config.tls);
    tlsReloader = setInterval(() => {
      try {
        const material = files.check();
        if (material === undefined) return;
        server.setSecureContext(secureContextOptions(material));
        logger.log('info', 'TLS certificate reloaded', { certFile: config.tls?.certFile });
      } catch (error) {
        // Mid-rotation (a new certificate before its key): keep the old context until the files change again.
        logger.log('warn', 'TLS files changed but cannot be used yet; serving the previous certificate', {
          error: error instanceof ConfigError ? error.problems.join('; ') : String(error),
        });
      }
    }, TLS_RELOAD_INTERVAL_MS);
    tlsReloader.unref();
  }
  logger.log('info', 'serving', {
    listen: `${config.listenHost}:${config.listenPort}`,
    scheme: tls === undefined ? 'http' : 'https',
    sources: config.sources
      .map((source) => (source.argument ? `${source.kind}:${source.argument}` : source.kind))
      .join(','),
    version: VERSION,
  });
  let stopping = false;
  const startSources = (): void => {
    if (stopping) return;
    for (const source of exporter.sources) {
      source.start().then(
        () => startedSources++,
        (error: unknown) =>
          logger.log('error', 'source failed to start', { source: source.spec.id, error: String(error) }),
      );
    }
  };
  if (exporter.liveView === undefined) {
    startSources();
  } else {
    // Records read before the view is listed would be attributed by pod names alone: wait for it, a while.
    waitUntilSynced(exporter.liveView, SERVE_SYNC_WAIT_MS, () => stopping).then(startSources, (error: unknown) => {
      logger.log('warn', 'starting sources before the Kubernetes view synced', { error: String(error) });
      startSources();
    });
  }
  // Expire idle series even when nobody scrapes, so memory stays bounded.
  const sweeper = setInterval(() => exporter.registry.sweep(Date.now() / 1000), 30_000);
  sweeper.unref();

  return new Promise<number>((resolve) => {
    const shutdown = (signal: string): void => {
      if (stopping) return;
      stopping = true;
      logger.log('info', 'shutting down', { signal });
      clearInterval(sweeper);
      clearInterval(tlsReloader);
      void (async () => {
        await Promise.allSettled([...exporter.sources.map((source) => source.stop()), exporter.liveView?.stop()]);
        await exporter.checkpoints?.flush();
        await new Promise<void>((closed) => {
          server.close(() => closed());
          server.closeIdleConnections();
        });
        logger.log('info', 'stopped', { signal });
        resolve(0);
      })();
    };
    process.once('SIGTERM', () => shutdown('SIGTERM'));
    process.once('SIGINT', () => shutdown('SIGINT'));
  });
}

const REPLAY_SYNC_TIMEOUT_MS = 60_000;
/** How often the TLS files are stat'ed for a renewal; cert-manager renews well ahead of expiry. */
const TLS_RELOAD_INTERVAL_MS = 10_000;
const SERVE_SYNC_WAIT_MS = 60_000;

/** Resolves when the view has synced (or `cancelled()` holds); rejects after `timeoutMs`. */
async function waitUntilSynced(view: LiveClusterView, timeoutMs: number, cancelled = () => false): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!view.synced() && !cancelled()) {
    if (Date.now() >= deadline)
      throw new Error(`the Kubernetes API did not sync in ${timeoutMs / 1000}s: ${view.notSyncedReason()}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

function listen(server: Server, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException): void => {
      reject(
        new Error(
          `cannot listen on ${host}:${port}: ${error.code === 'EADDRINUSE' ? 'address in use' : error.message}`,
        ),
      );
    };
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve();
    });
  });
}
