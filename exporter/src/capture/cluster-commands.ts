/**
 * The capture subcommands that talk to the cluster, loaded only when one runs (they load the client library).
 * Mistakes in the command line become CaptureUsageError (exit 2); answers of the cluster CaptureCliError (exit 1).
 */
import { LabelSelectorSyntaxError, parseLabelSelectorString } from '../policy/kubernetes/label-selector-string';
import { CaptureUsageError, filtersFromFlags } from './cli';
import { CaptureSpecError } from './filters';
import { KubeApiError, KubeRequester } from './kube-client';
import {
  captureStatus,
  capturePath,
  CaptureCliError,
  fetchCapture,
  listCaptures,
  packetCaptureObject,
  parseCaptureReference,
  readCa,
  selectorToResource,
} from './kube-cli';
import { parsePacketCaptureSpec } from './spec';

type Flags = Record<string, string | boolean | string[] | undefined>;

function one(positionals: readonly string[], command: string): { namespace: string; name: string } {
  if (positionals.length !== 1)
    throw new CaptureUsageError(`${command} takes one NAMESPACE/NAME, got ${positionals.length}`);
  try {
    return parseCaptureReference(positionals[0], command);
  } catch (error) {
    if (error instanceof CaptureCliError) throw new CaptureUsageError(error.message);
    throw error;
  }
}

function text(flags: Flags, flag: string): string | undefined {
  const value = flags[flag];
  return typeof value === 'string' ? value : undefined;
}

/** The spec the create flags describe, checked by the same parser as the controller's. */
export function specFromFlags(flags: Flags, nowMs: number): Record<string, unknown> {
  const selectorText = text(flags, 'selector');
  if (selectorText === undefined) throw new CaptureUsageError('capture create needs --selector ("" selects all pods)');
  let selector;
  try {
    selector = parseLabelSelectorString(selectorText, '--selector');
  } catch (error) {
    if (error instanceof LabelSelectorSyntaxError) throw new CaptureUsageError(error.message);
    throw error;
  }
  const filters = filtersFromFlags(text(flags, 'protocol'), Array.isArray(flags['port']) ? flags['port'] : []);
  const spec: Record<string, unknown> = { selector: selectorToResource(selector) };
  if (filters.length > 0) {
    const [filter] = filters;
    spec['filters'] = [
      {
        ...(filter!.protocol === undefined ? {} : { protocol: filter!.protocol.toUpperCase() }),
        ...(filter!.ports.length === 0
          ? {}
          : { ports: filter!.ports.map((port) => (port.from === port.to ? port.from : `${port.from}-${port.to}`)) }),
      },
    ];
  }
  const copy = (flag: string, field: string): void => {
    const value = text(flags, flag);
    if (value !== undefined) spec[field] = value;
  };
  copy('duration', 'duration');
  copy('start-time', 'startTime');
  copy('end-time', 'endTime');
  copy('max-bytes', 'maxBytes');
  const snap = text(flags, 'snap-length');
  if (snap !== undefined) spec['snapLength'] = /^\d+$/.test(snap) ? Number(snap) : snap;
  try {
    parsePacketCaptureSpec(spec, 'capture create', nowMs);
  } catch (error) {
    if (error instanceof CaptureSpecError) {
      // Name the flags, not the resource's fields.
      throw new CaptureUsageError(
        error.message
          .replace('spec.snapLength', '--snap-length')
          .replace('spec.maxBytes', '--max-bytes')
          .replace('spec.duration', '--duration')
          .replace('spec.endTime', '--end-time')
          .replace('spec.startTime', '--start-time'),
      );
    }
    throw error;
  }
  return spec;
}

export async function captureClusterCommand(name: string, flags: Flags, positionals: string[]): Promise<number> {
  const requester = KubeRequester.fromDefault();
  try {
    switch (name) {
      case 'capture create': {
        const { namespace, name: captureName } = one(positionals, name);
        const spec = specFromFlags(flags, Date.now());
        await requester.expectOk('POST', capturePath(namespace), packetCaptureObject(namespace, captureName, spec));
        process.stdout.write(`packetcapture ${namespace}/${captureName} created\n`);
        return 0;
      }
      case 'capture list':
        if (positionals.length > 0) throw new CaptureUsageError('capture list takes no arguments; use --namespace NS');
        process.stdout.write(await listCaptures(requester, text(flags, 'namespace')));
        return 0;
      case 'capture status': {
        const { namespace, name: captureName } = one(positionals, name);
        process.stdout.write(await captureStatus(requester, namespace, captureName));
        return 0;
      }
      case 'capture delete': {
        const { namespace, name: captureName } = one(positionals, name);
        await requester.expectOk('DELETE', capturePath(namespace, captureName));
        process.stdout.write(`packetcapture ${namespace}/${captureName} deleted\n`);
        return 0;
      }
      case 'capture fetch': {
        const { namespace, name: captureName } = one(positionals, name);
        const dest = text(flags, 'dest');
        if (dest === undefined || dest === '') throw new CaptureUsageError('capture fetch needs --dest DIR');
        const port = Number(text(flags, 'exporter-port') ?? '9470');
        if (!Number.isInteger(port) || port < 1 || port > 65535) {
          throw new CaptureUsageError('--exporter-port must be a port from 1 to 65535');
        }
        const concurrency = Number(text(flags, 'concurrency') ?? '4');
        if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 64) {
          throw new CaptureUsageError('--concurrency must be an integer from 1 to 64');
        }
        const addresses = new Map<string, string>();
        for (const entry of Array.isArray(flags['exporter-address']) ? flags['exporter-address'] : []) {
          const match = /^([a-z0-9][-a-z0-9.]*)=([^\s/]+:\d{1,5})$/.exec(entry);
          if (match === null) throw new CaptureUsageError(`--exporter-address "${entry}" must be NODE=HOST:PORT`);
          addresses.set(match[1]!, match[2]!);
        }
        const interactive = process.stderr.isTTY === true;
        const result = await fetchCapture(requester, {
          namespace,
          name: captureName,
          dest,
          exporterNamespace: text(flags, 'exporter-namespace') ?? 'flowlens',
          exporterSelector: text(flags, 'exporter-selector') ?? 'app.kubernetes.io/name=flowlens',
          exporterPort: port,
          exporterCa: readCa(text(flags, 'exporter-ca')),
          exporterAddresses: addresses,
          concurrency,
          progress: (line, final) => {
            if (interactive) process.stderr.write(`\r${line}${final ? '\n' : ''}`);
            else if (final) process.stderr.write(`${line}\n`);
          },
        });
        process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
        return 0;
      }
      default:
        throw new CaptureUsageError(`unknown command ${name}`);
    }
  } catch (error) {
    if (error instanceof CaptureCliError) throw new Error(error.message);
    if (error instanceof KubeApiError) throw new Error(error.message);
    throw error;
  }
}
