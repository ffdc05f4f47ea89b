/**
 * `flowlens capture run` and `flowlens capture merge`: the capture core on the local node, without a cluster.
 * `run` does for one capture what the controller does on each node: select the pods, resolve their interfaces,
 * run tcpdump under the limits, write the files, and print a JSON summary on stdout.
 */
import { resolve } from 'node:path';
import { readResourcesFile, ResourcesFileError } from '../cluster/resources-file';
import { LabelSelectorSyntaxError, parseLabelSelectorString } from '../policy/kubernetes/label-selector-string';
import { CaptureSpecError, parseCaptureFilter, type CaptureFilter } from './filters';
import { mergePcapFiles } from './merge';
import { localTargets } from './node-capture';
import { PcapFormatError } from './pcap';
import { podsOfDocuments, selectPods } from './pods';
import { CaptureSession, DEFAULT_FILE_BYTES, DEFAULT_SNAP_LENGTH } from './runner';
import { DEFAULT_MAX_BYTES, MAX_MAX_BYTES, MIN_SNAP_LENGTH, parseByteCount, parseDuration } from './spec';

/** A mistake in the command line: the CLI prints it as a usage error (exit 2). */
export class CaptureUsageError extends Error {}

type Flags = Record<string, string | boolean | string[] | undefined>;

function required(flags: Flags, flag: string, command: string): string {
  const value = flags[flag];
  if (typeof value !== 'string' || value === '') throw new CaptureUsageError(`${command} needs --${flag}`);
  return value;
}

function usage<T>(parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    if (
      error instanceof CaptureSpecError ||
      error instanceof LabelSelectorSyntaxError ||
      error instanceof ResourcesFileError
    ) {
      throw new CaptureUsageError(error.message);
    }
    throw error;
  }
}

/** The one filter the flags describe, or none. */
export function filtersFromFlags(protocol: string | undefined, ports: readonly string[]): CaptureFilter[] {
  if (protocol === undefined && ports.length === 0) return [];
  return [
    usage(() =>
      parseCaptureFilter(
        { ...(protocol === undefined ? {} : { protocol }), ports: [...ports] },
        protocol === undefined ? '--port' : '--protocol/--port',
      ),
    ),
  ];
}

export async function captureRun(flags: Flags, log: (line: string) => void): Promise<number> {
  const command = 'capture run';
  const resourcesPath = required(flags, 'resources', command);
  const namespace = required(flags, 'namespace', command);
  if (typeof flags['selector'] !== 'string')
    throw new CaptureUsageError(`${command} needs --selector ("" selects all)`);
  const selector = usage(() => parseLabelSelectorString(flags['selector'] as string, '--selector'));
  const durationMs = usage(() => parseDuration(required(flags, 'duration', command), '--duration'));
  const directory = resolve(required(flags, 'output-dir', command));
  const protocol = typeof flags['protocol'] === 'string' ? flags['protocol'] : undefined;
  const ports = Array.isArray(flags['port']) ? flags['port'] : [];
  const filters = filtersFromFlags(protocol, ports);
  const snapLength = usage(() =>
    typeof flags['snap-length'] === 'string'
      ? parseByteCount(flags['snap-length'], '--snap-length', MIN_SNAP_LENGTH, DEFAULT_SNAP_LENGTH)
      : DEFAULT_SNAP_LENGTH,
  );
  const maxBytes = usage(() =>
    typeof flags['max-bytes'] === 'string'
      ? parseByteCount(flags['max-bytes'], '--max-bytes', 1024, MAX_MAX_BYTES)
      : DEFAULT_MAX_BYTES,
  );
  const fileBytes = usage(() =>
    typeof flags['file-bytes'] === 'string'
      ? parseByteCount(flags['file-bytes'], '--file-bytes', 1024, MAX_MAX_BYTES)
      : DEFAULT_FILE_BYTES,
  );
  const documents = usage(() => readResourcesFile(resourcesPath));
  const { selected, skipped } = selectPods(podsOfDocuments(documents), namespace, selector);
  for (const reason of skipped) log(`skipped ${reason}`);
  if (selected.length === 0) {
    throw new CaptureUsageError(
      `no running pod in namespace ${namespace} of ${resourcesPath} matches --selector "${String(flags['selector'])}"`,
    );
  }
  const local = await localTargets(selected);
  for (const reason of local.skipped) log(`skipped ${reason}`);
  if (local.targets.length === 0) {
    throw new Error(`none of the ${selected.length} selected pod(s) is on this node: nothing to capture`);
  }
  const session = new CaptureSession({
    directory,
    targets: local.targets,
    filters,
    limits: { durationMs, maxBytes, snapLength, fileBytes },
  });
  const stop = (): void => session.stop('stopped');
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    const running = session.run();
    void session.listening.then(() =>
      log(
        `capturing ${local.targets.map((target) => `${target.pod} on ${target.iface.device}`).join(', ')} into ${directory}`,
      ),
    );
    const result = await running;
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    return result.targets.some((target) => target.state === 'Error') ? 1 : 0;
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  }
}

export async function captureMerge(flags: Flags, inputs: readonly string[]): Promise<number> {
  const output = required(flags, 'output', 'capture merge');
  if (inputs.length === 0) throw new CaptureUsageError('capture merge needs at least one input pcap file');
  try {
    const result = await mergePcapFiles(inputs, output);
    process.stdout.write(`${JSON.stringify({ output, ...result })}\n`);
    return 0;
  } catch (error) {
    if (error instanceof PcapFormatError) throw new Error(error.message);
    throw error;
  }
}
