/**
 * The `flowlens` command. Subcommands parse their flags strictly (an unknown flag is an error naming it),
 * build the configuration (file < environment < flags) and run the pipeline.
 */
import { parseArgs } from 'node:util';
import type { Server } from 'node:net';
import { ConfigError, DEFAULT_PORT, loadConfig, overridesFromEnvironment, type ConfigOverrides } from './config';
import { buildExporter, wallClockSeconds } from './exporter';
import type { LiveClusterView } from './cluster/live-view';
import { createExporterServer } from './server/http';
import { readTlsMaterial, secureContextOptions, TlsFiles } from './server/tls';
import { JsonLogger } from './log';
import { SOURCE_KINDS } from './sources/registry';
import { catalogueMarkdown } from './metrics/catalogue-doc';
import { readResourcesFile } from './cluster/resources-file';
import { buildPolicySnapshot } from './policy/snapshot';
import { CHECK_PROTOCOLS, CheckInputError, checkConnection } from './policy/check';
import {
  DEFAULT_PROMETHEUS_RANGE,
  DEFAULT_PROMETHEUS_TIMEOUT_SECONDS,
  diffRecommendation,
  enforcedManifests,
  ObservedFlows,
  RECOMMEND_FORMATS,
  fetchPrometheusObserved,
  parsePrometheusRange,
  parsePrometheusUrl,
  renderRecommendationDiff,
  recommendClusterFromDocuments,
  recommendPolicies,
  renderRecommendationYaml,
  type PrometheusClientOptions,
} from './policy/recommend';
import { VERSION } from './version';
import { captureMerge, captureRun, CaptureUsageError } from './capture/cli';
import { CaptureSpecError } from './capture/filters';
import { parseByteCount, parseDuration } from './capture/spec';
import type { SelfMetrics } from './metrics/registry';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join, resolve as resolvePath } from 'node:path';
import { mkdirSync, writeFileSync } from 'node:fs';
import { readProfiles } from './profiles/load';
import { ProfileSpecError, type ObservabilityProfile } from './profiles/spec';
import { renderPrometheusRules, renderRuleFile } from './profiles/rules';

/** A mistake in how the command was called: printed as one line, exit code 2. */
class UsageError extends Error {}

type OptionSpec = { type: 'string' | 'boolean'; multiple?: boolean };

/** Commands that take positional arguments (file names) besides flags. */
const TAKES_POSITIONALS: ReadonlySet<string> = new Set([
  'capture merge',
  'capture create',
  'capture status',
  'capture delete',
  'capture fetch',
]);

const SOURCE_HELP = SOURCE_KINDS.map((kind) => `    ${kind.kind.padEnd(14)} ${kind.description}`).join('\n');

const COMMANDS = {
  serve: {
    summary: 'run the exporter: follow the sources and serve /metrics',
    usage:
      'flowlens serve [--config FILE] [--listen HOST:PORT] [--source KIND:PATH ...] [--demo] [--kubernetes] [--state-dir DIR] [--tls-cert-file FILE --tls-key-file FILE [--tls-client-ca-file FILE]] [--capture-dir DIR --node-name NODE]',
    options: {
      config: { type: 'string' },
      listen: { type: 'string' },
      'tls-cert-file': { type: 'string' },
      'tls-key-file': { type: 'string' },
      'tls-client-ca-file': { type: 'string' },
      source: { type: 'string', multiple: true },
      demo: { type: 'boolean' },
      kubernetes: { type: 'boolean' },
      'capture-dir': { type: 'string' },
      'node-name': { type: 'string' },
      'capture-max-age': { type: 'string' },
      'capture-max-disk': { type: 'string' },
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
  --log-level LEVEL      debug, info, warn or error (default info); env FLOWLENS_LOG_LEVEL
  --capture-dir DIR      run the packet capture controller (PacketCapture resources; needs --kubernetes, TLS,
                         tcpdump and ip): captures go to DIR/<namespace>/<name>/, served on /api/v1/captures/
  --node-name NODE       this node's name, for the captures' status (default: env NODE_NAME)
  --capture-max-age D    remove finished captures older than this (default 24h, at most 720h)
  --capture-max-disk N   remove the oldest finished captures past this total (default 1Gi)`,
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
  'policy recommend': {
    summary: 'least-privilege policies that allow exactly the observed flows (YAML for kubectl apply)',
    usage:
      'flowlens policy recommend --resources FILE (--source KIND:PATH [--source ...] | --prometheus URL [--range 7d] | both) [--namespace NS] [--format kubernetes|calico-staged] [--diff] [--config FILE]',
    options: {
      resources: { type: 'string' },
      source: { type: 'string', multiple: true },
      prometheus: { type: 'string' },
      range: { type: 'string' },
      'prometheus-token-file': { type: 'string' },
      'prometheus-user': { type: 'string' },
      'prometheus-password-file': { type: 'string' },
      'prometheus-ca-file': { type: 'string' },
      'prometheus-timeout': { type: 'string' },
      namespace: { type: 'string' },
      format: { type: 'string' },
      diff: { type: 'boolean' },
      config: { type: 'string' },
      'log-level': { type: 'string' },
      help: { type: 'boolean' },
    },
    flags: `  --resources FILE       namespaces, pods (with their owners) and Calico network sets, as kubectl get -A -o yaml writes them
  --source KIND:PATH     flows to read, repeatable; denied flows are not recommended
  --prometheus URL       also (or instead) the cluster's allowed flows Prometheus holds (flowlens_flows_total);
                         with --source, the policies allow the union of both
  --range RANGE          how far back Prometheus' flows count: 7d (default), 12h, 2w
  --prometheus-token-file FILE     a bearer token for Prometheus
  --prometheus-user USER --prometheus-password-file FILE   basic auth for Prometheus instead
  --prometheus-ca-file FILE        PEM CAs for an https Prometheus
  --prometheus-timeout DURATION    how long to wait for Prometheus' answer (default 30s)
  --namespace NS         recommend for the workloads of this namespace only (their peers may be anywhere)
  --format FORMAT        kubernetes (NetworkPolicy, default) or calico-staged (projectcalico.org/v3 StagedNetworkPolicy)
  --diff                 print, instead of the YAML, how it differs from the policies in --resources: new, changed
                         (a YAML diff) or unchanged per policy, observed flows they deny, what they allow beyond them
  --config FILE          YAML configuration file (exclusions, for the --source flows)
  --log-level LEVEL      rejected lines are logged to stderr at warn (default)`,
  },
  'capture run': {
    summary:
      'capture the packets of selected pods on this node with tcpdump, as the capture controller does, without a cluster',
    usage:
      'flowlens capture run --resources FILE --namespace NS --selector SEL [--protocol P] [--port N|N-M ...] --duration D --output-dir DIR [--snap-length N] [--max-bytes N] [--file-bytes N]',
    options: {
      resources: { type: 'string' },
      namespace: { type: 'string' },
      selector: { type: 'string' },
      protocol: { type: 'string' },
      port: { type: 'string', multiple: true },
      duration: { type: 'string' },
      'output-dir': { type: 'string' },
      'snap-length': { type: 'string' },
      'max-bytes': { type: 'string' },
      'file-bytes': { type: 'string' },
      help: { type: 'boolean' },
    },
    flags: `  --resources FILE       pods (YAML or JSON, as kubectl get pods -o yaml writes them), as policy check reads
  --namespace NS         the pods' namespace
  --selector SEL         a label selector string: app=web,tier!=db,env in (a,b),!legacy ("" selects all)
  --protocol P           TCP, UDP, ICMP or SCTP (default: any)
  --port N|N-M           a port or range, repeatable (with --protocol: that protocol's ports)
  --duration D           how long: 30s, 5m, 1h30m (at most 24h)
  --output-dir DIR       where the pcap files go (<pod>.<n>.pcap); one capture at a time per folder
  --snap-length N        bytes kept of each packet, 64 to 262144 (default 262144)
  --max-bytes N          bytes of files in all, with Ki, Mi or Gi (default 100Mi): the capture stops there
  --file-bytes N         start a new file past this size (default 64Mi)`,
  },
  'capture merge': {
    summary: 'merge pcap files into one, in time order (as the fetched files are merged)',
    usage: 'flowlens capture merge --output FILE INPUT.pcap [INPUT.pcap ...]',
    options: { output: { type: 'string' }, help: { type: 'boolean' } },
    flags: `  --output FILE          the merged file (written whole, then renamed into place)`,
  },
  'capture create': {
    summary: 'create a PacketCapture: capture the selected pods’ packets on their nodes',
    usage:
      'flowlens capture create NAMESPACE/NAME --selector SEL [--protocol P] [--port N|N-M ...] [--duration D | --end-time T] [--start-time T] [--snap-length N] [--max-bytes N]',
    options: {
      selector: { type: 'string' },
      protocol: { type: 'string' },
      port: { type: 'string', multiple: true },
      duration: { type: 'string' },
      'start-time': { type: 'string' },
      'end-time': { type: 'string' },
      'snap-length': { type: 'string' },
      'max-bytes': { type: 'string' },
      help: { type: 'boolean' },
    },
    flags: `  --selector SEL         pods of the namespace: app=web,tier!=db ("" selects all)
  --protocol P, --port N one filter: TCP, UDP, ICMP or SCTP, and ports or ranges (repeatable)
  --duration D           30s, 5m, 1h30m (default 1m), or --end-time; --start-time defaults to now (RFC 3339)
  --snap-length N        bytes kept of each packet, 64 to 262144
  --max-bytes N          bytes of files per node (Ki, Mi, Gi; default 100Mi)
The kubeconfig comes from KUBECONFIG, ~/.kube/config or the pod's service account.`,
  },
  'capture list': {
    summary: 'list PacketCaptures and their nodes’ state',
    usage: 'flowlens capture list [--namespace NS]',
    options: { namespace: { type: 'string' }, help: { type: 'boolean' } },
    flags: `  --namespace NS         one namespace (default: all the kubeconfig user may list)`,
  },
  'capture status': {
    summary: 'a PacketCapture’s status on each node: state, pods, files, packets, bytes, error',
    usage: 'flowlens capture status NAMESPACE/NAME',
    options: { help: { type: 'boolean' } },
    flags: '',
  },
  'capture delete': {
    summary: 'delete a PacketCapture: running captures stop and the nodes remove its files',
    usage: 'flowlens capture delete NAMESPACE/NAME',
    options: { help: { type: 'boolean' } },
    flags: '',
  },
  'capture fetch': {
    summary: 'download a capture’s files from every node, keep them per node and merge them into one pcap',
    usage:
      'flowlens capture fetch NAMESPACE/NAME --dest DIR [--exporter-ca FILE] [--exporter-namespace NS] [--exporter-selector SEL] [--exporter-port N] [--exporter-address NODE=HOST:PORT ...] [--concurrency N]',
    options: {
      dest: { type: 'string' },
      'exporter-ca': { type: 'string' },
      'exporter-namespace': { type: 'string' },
      'exporter-selector': { type: 'string' },
      'exporter-port': { type: 'string' },
      'exporter-address': { type: 'string', multiple: true },
      concurrency: { type: 'string' },
      help: { type: 'boolean' },
    },
    flags: `  --dest DIR             where DIR/<node>/<file>.pcap and the merged DIR/<namespace>-<name>.pcap go
  --exporter-ca FILE     the CA of the exporters' TLS certificates (default: the system's)
  --exporter-namespace NS, --exporter-selector SEL
                         where the exporter pods are (default flowlens, app.kubernetes.io/name=flowlens)
  --exporter-port N      their HTTPS port (default 9470)
  --exporter-address NODE=HOST:PORT
                         reach a node's exporter there instead (a port-forward), repeatable
  --concurrency N        downloads at once (default 4)`,
  },
  'rules generate': {
    summary: 'ObservabilityProfiles as burn-rate alerting rules (PrometheusRule YAML, or a Prometheus rule file)',
    usage: 'flowlens rules generate --profiles FILE|DIR [--output FILE] [--format prometheusrule|rules]',
    options: {
      profiles: { type: 'string' },
      output: { type: 'string' },
      format: { type: 'string' },
      help: { type: 'boolean' },
    },
    flags: `  --profiles FILE|DIR    ObservabilityProfiles (YAML or JSON; a directory's *.yaml, *.yml, *.json; other kinds skipped)
  --output FILE          write there instead of stdout
  --format FORMAT        prometheusrule (default: one PrometheusRule per profile, in its namespace) or rules
                         (one Prometheus rule file with a group per profile, for promtool and plain Prometheus)`,
  },
  'dashboards generate': {
    summary: 'ObservabilityProfiles as per-application Grafana dashboards (one JSON file per profile)',
    usage: 'flowlens dashboards generate --profiles FILE|DIR --output DIR',
    options: {
      profiles: { type: 'string' },
      output: { type: 'string' },
      help: { type: 'boolean' },
    },
    flags: `  --profiles FILE|DIR    ObservabilityProfiles (YAML or JSON; a directory's *.yaml, *.yml, *.json; other kinds skipped)
  --output DIR           where to write flowlens-profile-<hash>.json, one per profile (created if missing)`,
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
  const names = Object.keys(COMMANDS) as CommandName[];
  // The summaries line up after the longest command name, whatever commands are added.
  const width = Math.max(...names.map((name) => name.length));
  const commands = [
    ...names.map((name) => `  ${name.padEnd(width)} ${COMMANDS[name].summary}`),
    `  ${'version'.padEnd(width)} print the version`,
  ].join('\n');
  return `flowlens ${VERSION}: Kubernetes network flows with workload and policy context, as Prometheus metrics.

Usage: flowlens <command> [flags]

Commands:
${commands}

Run flowlens <command> --help for a command's flags.

Source kinds (--source KIND:PATH):
${SOURCE_HELP}
`;
}

function commandHelp(name: CommandName): string {
  const command = COMMANDS[name];
  return `${command.summary}\n\nUsage: ${command.usage}\n${command.flags ? `\nFlags:\n${command.flags}\n  --help                 show this help\n` : ''}${
    name === 'serve' || name === 'replay' ? `\nSource kinds:\n${SOURCE_HELP}\n` : ''
  }`;
}

type Flags = Record<string, string | boolean | string[] | undefined>;

function parseFlags(name: CommandName, args: string[]): Flags {
  return parseCommandLine(name, args).flags;
}

function parseCommandLine(name: CommandName, args: string[]): { flags: Flags; positionals: string[] } {
  try {
    const { values, positionals } = parseArgs({
      args,
      options: COMMANDS[name].options,
      strict: true,
      allowPositionals: TAKES_POSITIONALS.has(name),
    });
    return { flags: values as Flags, positionals };
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
  // `policy` has subcommands: check and recommend; `rules` and `dashboards`: generate.
  const [commandName, commandArgs] =
    (command === 'policy' && (rest[0] === 'check' || rest[0] === 'recommend')) ||
    ((command === 'rules' || command === 'dashboards') && rest[0] === 'generate')
      ? [`${command} ${rest[0]}`, rest.slice(1)]
      : [command, rest];
  if (command === 'policy' && commandName === 'policy') {
    throw new UsageError(`flowlens policy needs a subcommand: check or recommend (got ${rest[0] ?? 'none'})`);
  }
  if ((command === 'rules' || command === 'dashboards') && commandName === command) {
    throw new UsageError(`flowlens ${command} needs a subcommand: generate (got ${rest[0] ?? 'none'})`);
  }
  if (command === 'capture') {
    const sub = `capture ${rest[0] ?? ''}`;
    if (!(sub in COMMANDS)) {
      const subcommands = Object.keys(COMMANDS)
        .filter((key) => key.startsWith('capture '))
        .map((key) => key.slice('capture '.length));
      throw new UsageError(`flowlens capture needs a subcommand: ${subcommands.join(', ')} (got ${rest[0] ?? 'none'})`);
    }
    const captureName = sub as CommandName;
    const { flags, positionals } = parseCommandLine(captureName, rest.slice(1));
    if (flags['help'] === true) {
      process.stdout.write(commandHelp(captureName));
      return 0;
    }
    return runCaptureCommand(captureName, flags, positionals);
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
    case 'policy recommend':
      return policyRecommend(flags);
    case 'rules generate':
      return rulesGenerate(flags);
    case 'dashboards generate':
      return dashboardsGenerate(flags);
    case 'catalogue':
      process.stdout.write(catalogueMarkdown());
      return 0;
    default:
      throw new UsageError(`flowlens ${name} is a subcommand: run it as written in flowlens --help`);
  }
}

function rulesGenerate(flags: Flags): number {
  const profilesPath = flags['profiles'];
  if (typeof profilesPath !== 'string' || profilesPath === '') {
    throw new UsageError('rules generate needs --profiles FILE|DIR (ObservabilityProfile YAML)');
  }
  const format = flags['format'] ?? 'prometheusrule';
  if (format !== 'prometheusrule' && format !== 'rules') {
    throw new UsageError(`--format "${String(format)}" must be prometheusrule or rules`);
  }
  const profiles = profilesFrom(profilesPath);
  const text = format === 'rules' ? renderRuleFile(profiles) : renderPrometheusRules(profiles);
  writeOutput(flags['output'], text);
  return 0;
}

function profilesFrom(path: string): ObservabilityProfile[] {
  try {
    return readProfiles(path);
  } catch (error) {
    if (error instanceof ProfileSpecError) throw new UsageError(error.message);
    throw error;
  }
}

/**
 * What @flowlens/dashboards' profile module offers, loaded at run time: the exporter package does not depend on the
 * dashboards workspace (the image and a built checkout have both).
 */
interface ProfileDashboardModule {
  profileDashboardUid(profile: ObservabilityProfile): string;
  profileDashboardJson(profile: ObservabilityProfile): string;
}

function isProfileDashboardModule(value: unknown): value is ProfileDashboardModule {
  if (typeof value !== 'object' || value === null) return false;
  const candidate = value as Partial<Record<keyof ProfileDashboardModule, unknown>>;
  return typeof candidate.profileDashboardUid === 'function' && typeof candidate.profileDashboardJson === 'function';
}

const PROFILE_DASHBOARD_MODULE = '@flowlens/dashboards/dist/src/profile';

async function dashboardsGenerate(flags: Flags): Promise<number> {
  const profilesPath = flags['profiles'];
  const output = flags['output'];
  if (typeof profilesPath !== 'string' || profilesPath === '') {
    throw new UsageError('dashboards generate needs --profiles FILE|DIR (ObservabilityProfile YAML)');
  }
  if (typeof output !== 'string' || output === '') {
    throw new UsageError('dashboards generate needs --output DIR (where to write the dashboards)');
  }
  const profiles = profilesFrom(profilesPath);
  let loaded: unknown;
  try {
    loaded = await import(PROFILE_DASHBOARD_MODULE);
  } catch {
    throw new Error(
      `dashboards generate needs the dashboards workspace (${PROFILE_DASHBOARD_MODULE}): run it from a built checkout (npm ci && npm run build)`,
    );
  }
  if (!isProfileDashboardModule(loaded)) throw new Error(`${PROFILE_DASHBOARD_MODULE} lacks profileDashboardJson`);
  mkdirSync(output, { recursive: true });
  for (const profile of profiles) {
    const file = join(output, `${loaded.profileDashboardUid(profile)}.json`);
    writeFileSync(file, loaded.profileDashboardJson(profile));
    process.stdout.write(`${profile.namespace}/${profile.name}: ${file}\n`);
  }
  return 0;
}

/** Writes `text` to --output FILE, or to stdout without it. */
function writeOutput(output: string | boolean | string[] | undefined, text: string): void {
  if (typeof output === 'string' && output !== '') writeFileSync(output, text);
  else process.stdout.write(text);
}

async function runCaptureCommand(name: CommandName, flags: Flags, positionals: string[]): Promise<number> {
  try {
    switch (name) {
      case 'capture run':
        return await captureRun(flags, (line) => process.stderr.write(`flowlens: ${line}\n`));
      case 'capture merge':
        return await captureMerge(flags, positionals);
      case 'capture create':
      case 'capture list':
      case 'capture status':
      case 'capture delete':
      case 'capture fetch': {
        const { captureClusterCommand } = await import('./capture/cluster-commands');
        return await captureClusterCommand(name, flags, positionals);
      }
      default:
        throw new UsageError(`unknown command ${name}`);
    }
  } catch (error) {
    if (error instanceof CaptureUsageError) throw new UsageError(error.message);
    throw error;
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

async function policyRecommend(flags: Record<string, string | boolean | string[] | undefined>): Promise<number> {
  const resources = flags['resources'];
  if (typeof resources !== 'string' || resources === '') {
    throw new UsageError('policy recommend needs --resources FILE (the pods and namespaces the flows are between)');
  }
  const prometheus = prometheusFlags(flags);
  const sources = Array.isArray(flags['source']) ? flags['source'] : [];
  if (sources.length === 0 && prometheus === undefined) {
    throw new UsageError(
      'policy recommend needs at least one --source KIND:PATH or --prometheus URL (the observed flows)',
    );
  }
  const format = RECOMMEND_FORMATS.find((candidate) => candidate === (flags['format'] ?? 'kubernetes'));
  if (format === undefined) {
    throw new UsageError(`--format "${String(flags['format'])}" must be one of ${RECOMMEND_FORMATS.join(', ')}`);
  }
  const namespace = typeof flags['namespace'] === 'string' ? flags['namespace'] : undefined;
  if (namespace !== undefined && !/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(namespace)) {
    throw new UsageError(`--namespace "${namespace}" must be a namespace name (lower-case letters, digits and -)`);
  }
  const documents = readResourcesFile(resources);
  const { cluster, problems } = recommendClusterFromDocuments(documents);
  for (const problem of problems) process.stderr.write(`flowlens: skipped: ${problem}\n`);
  if (namespace !== undefined && !cluster.workloads.some((workload) => workload.namespace === namespace)) {
    throw new UsageError(`--namespace "${namespace}": no pods in namespace ${namespace} in ${resources}`);
  }
  const observed = new ObservedFlows();
  if (sources.length > 0) await observeSources(flags, observed);
  if (prometheus !== undefined) {
    const local = observed.size;
    const fromPrometheus = await fetchPrometheusObserved(
      prometheus.client,
      { range: prometheus.range, namespace },
      cluster.networkSets,
      observed.maxEntries,
    ).catch((error: unknown) => {
      throw new Error(`observed flows from Prometheus: ${error instanceof Error ? error.message : String(error)}`);
    });
    for (const warning of fromPrometheus.warnings) process.stderr.write(`flowlens: warning: ${warning}\n`);
    for (const flow of fromPrometheus.observed.flows()) observed.add(flow);
    observed.dropped += fromPrometheus.observed.dropped;
    if (sources.length > 0) {
      // Say what the policies stand on: both sources, as one set.
      process.stderr.write(
        `flowlens: observed flows: ${local} from --source, ${fromPrometheus.observed.size} from Prometheus over ${prometheus.range}; the policies allow their union (${observed.size})\n`,
      );
    }
  }
  if (observed.dropped > 0) {
    process.stderr.write(
      `flowlens: warning: ${observed.dropped} distinct flows past the first ${observed.maxEntries} were not kept; the policies miss them\n`,
    );
  }
  const recommendation = recommendPolicies(cluster, observed.flows(), { format, namespace });
  for (const warning of recommendation.warnings) process.stderr.write(`flowlens: warning: ${warning}\n`);
  if (flags['diff'] === true) {
    // What is enforced is what `policy check` evaluates: the policies of the same resources file.
    const objects = documents.map((document) => document.object);
    const enforced = { snapshot: buildPolicySnapshot(objects).engine, manifests: enforcedManifests(objects) };
    const diff = diffRecommendation(cluster, observed.flows(), recommendation, enforced, { format, namespace });
    process.stdout.write(renderRecommendationDiff(recommendation, diff, resources));
    return 0;
  }
  process.stdout.write(renderRecommendationYaml(recommendation));
  return 0;
}

/** Runs the `--source`s as `replay` does, into `observed`. */
async function observeSources(
  flags: Record<string, string | boolean | string[] | undefined>,
  observed: ObservedFlows,
): Promise<void> {
  const config = configFrom(flags, { logLevel: 'warn' });
  const logger = new JsonLogger(config.logLevel);
  const exporter = await buildExporter(config, 'replay', logger, wallClockSeconds, { observedFlows: observed });
  try {
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
}

const PROMETHEUS_ONLY_FLAGS = [
  'range',
  'prometheus-token-file',
  'prometheus-user',
  'prometheus-password-file',
  'prometheus-ca-file',
  'prometheus-timeout',
] as const;

/** `--prometheus URL` and its companions, checked; undefined without `--prometheus`. */
function prometheusFlags(
  flags: Record<string, string | boolean | string[] | undefined>,
): { client: PrometheusClientOptions; range: string } | undefined {
  const text = (flag: string): string | undefined => {
    const value = flags[flag];
    if (value === undefined) return undefined;
    if (typeof value !== 'string' || value === '') throw new UsageError(`--${flag} needs a value`);
    return value;
  };
  const urlText = text('prometheus');
  if (urlText === undefined) {
    const stray = PROMETHEUS_ONLY_FLAGS.find((flag) => flags[flag] !== undefined);
    if (stray !== undefined) throw new UsageError(`--${stray} is for --prometheus URL; add --prometheus or drop it`);
    return undefined;
  }
  const url = parsePrometheusUrl(urlText);
  if (!(url instanceof URL)) {
    throw new UsageError(
      `--prometheus ${url.problem}${/basic auth/.test(url.problem) ? ' (--prometheus-user and --prometheus-password-file)' : ''}`,
    );
  }
  const range = parsePrometheusRange(text('range') ?? DEFAULT_PROMETHEUS_RANGE);
  if ('problem' in range) throw new UsageError(`--range ${range.problem}`);
  const tokenFile = text('prometheus-token-file');
  const username = text('prometheus-user');
  const passwordFile = text('prometheus-password-file');
  if ((username === undefined) !== (passwordFile === undefined)) {
    throw new UsageError('--prometheus-user and --prometheus-password-file go together (basic auth)');
  }
  if (username !== undefined && username.includes(':')) {
    throw new UsageError(`--prometheus-user "${username}" must not contain ":"`);
  }
  if (tokenFile !== undefined && username !== undefined) {
    throw new UsageError('give --prometheus-token-file or --prometheus-user with --prometheus-password-file, not both');
  }
  const caFile = text('prometheus-ca-file');
  if (caFile !== undefined && url.protocol !== 'https:') {
    throw new UsageError(`--prometheus-ca-file is for an https:// --prometheus URL; the URL is ${url.protocol}//`);
  }
  const timeoutText = text('prometheus-timeout');
  let timeoutSeconds = DEFAULT_PROMETHEUS_TIMEOUT_SECONDS;
  if (timeoutText !== undefined) {
    try {
      timeoutSeconds = parseDuration(timeoutText, '--prometheus-timeout', 3_600_000) / 1000;
    } catch (error) {
      if (error instanceof CaptureSpecError) throw new UsageError(error.message);
      throw error;
    }
  }
  return {
    client: {
      url,
      tokenFile: tokenFile === undefined ? undefined : resolvePath(tokenFile),
      basicAuth:
        username === undefined || passwordFile === undefined
          ? undefined
          : { username, passwordFile: resolvePath(passwordFile) },
      caFile: caFile === undefined ? undefined : resolvePath(caFile),
      timeoutSeconds,
    },
    range: range.text,
  };
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

async function serve(flags: Flags): Promise<number> {
  const config = configFrom(flags);
  const logger = new JsonLogger(config.logLevel);
  if (config.sources.length === 0 && config.auditWebhook === undefined) {
    throw new UsageError(
      'serve needs a source: --source KIND:PATH, --demo, sources or audit.webhook in the config file',
    );
  }
  const captureOptions = captureOptionsFrom(flags, config.kubernetes, config.tls !== undefined);
  // Read before anything starts, so a bad certificate path stops `serve` with the key to fix.
  const tls = config.tls === undefined ? undefined : readTlsMaterial(config.tls);
  const exporter = await buildExporter(config, 'serve', logger);
  const capture =
    captureOptions === undefined || exporter.liveView === undefined
      ? undefined
      : await startCaptureController(captureOptions, exporter.liveView, exporter.registry.self, logger);
  let startedSources = 0;
  const server = createExporterServer({
    registry: exporter.registry,
    logger,
    tls,
    auditWebhook: exporter.auditWebhook,
    recommendations: exporter.recommendations,
    hotspots: exporter.hotspots,
    captureFiles: capture?.fileApi,
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
        await Promise.allSettled([
          ...exporter.sources.map((source) => source.stop()),
          exporter.liveView?.stop(),
          capture?.controller.stop(),
          exporter.recommendationRunner?.close(),
        ]);
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

interface CaptureOptions {
  captureDir: string;
  nodeName: string;
  maxAgeMs: number;
  maxTotalBytes: number;
}

/** The capture controller's flags, checked before anything starts; undefined when --capture-dir is not given. */
function captureOptionsFrom(flags: Flags, kubernetes: boolean, tls: boolean): CaptureOptions | undefined {
  const captureDir = flags['capture-dir'];
  if (typeof captureDir !== 'string') {
    for (const flag of ['node-name', 'capture-max-age', 'capture-max-disk']) {
      if (flags[flag] !== undefined) throw new UsageError(`--${flag} needs --capture-dir`);
    }
    return undefined;
  }
  if (!kubernetes) throw new UsageError('--capture-dir needs --kubernetes (captures are PacketCapture resources)');
  if (!tls) {
    throw new UsageError(
      '--capture-dir serves packet payload on /api/v1/captures/: give --tls-cert-file and --tls-key-file',
    );
  }
  const nodeName = typeof flags['node-name'] === 'string' ? flags['node-name'] : process.env['NODE_NAME'];
  if (nodeName === undefined || nodeName === '') {
    throw new UsageError(
      '--capture-dir needs --node-name NODE (or env NODE_NAME, from the downward API spec.nodeName)',
    );
  }
  try {
    return {
      captureDir: resolvePath(captureDir),
      nodeName,
      maxAgeMs:
        typeof flags['capture-max-age'] === 'string'
          ? parseDuration(flags['capture-max-age'], '--capture-max-age', 720 * 3_600_000)
          : DEFAULT_RETENTION_AGE_MS,
      maxTotalBytes:
        typeof flags['capture-max-disk'] === 'string'
          ? parseByteCount(flags['capture-max-disk'], '--capture-max-disk', 1024 * 1024, 2 ** 50)
          : DEFAULT_RETENTION_BYTES,
    };
  } catch (error) {
    if (error instanceof CaptureSpecError) throw new UsageError(error.message);
    throw error;
  }
}

const DEFAULT_RETENTION_AGE_MS = 24 * 3_600_000;
const DEFAULT_RETENTION_BYTES = 1024 ** 3;

/** Loads the controller (and the client library) only when captures are on. */
async function startCaptureController(
  options: CaptureOptions,
  liveView: LiveClusterView,
  metrics: SelfMetrics,
  logger: JsonLogger,
): Promise<{
  controller: { stop(): Promise<void> };
  fileApi: (request: IncomingMessage, response: ServerResponse) => Promise<void>;
}> {
  const { CaptureController } = await import('./capture/controller');
  const { KubeRequester } = await import('./capture/kube-client');
  const { KubernetesReviews } = await import('./capture/review');
  const { captureFileApi } = await import('./capture/file-api');
  const requester = KubeRequester.fromDefault();
  const controller = new CaptureController({
    config: requester.config,
    nodeName: options.nodeName,
    captureDir: options.captureDir,
    logger,
    metrics,
    podsInNamespace: (namespace) => liveView.podsInNamespace(namespace),
    retention: { maxAgeMs: options.maxAgeMs, maxTotalBytes: options.maxTotalBytes },
  });
  controller.start();
  const fileApi = captureFileApi({
    access: new KubernetesReviews(requester, logger),
    folderOf: (namespace, name) => controller.folderOf(namespace, name),
    nodeName: options.nodeName,
    logger,
  });
  logger.log('info', 'capture controller started', { captureDir: options.captureDir, node: options.nodeName });
  return { controller, fileApi };
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
