/**
 * `flowlens capture create|list|status|delete|fetch`: PacketCaptures through the API server (kubeconfig from
 * KUBECONFIG, ~/.kube/config or in-cluster, through the client library), and `fetch`, which finds the exporters
 * on the nodes named in a capture's status (pods of the DaemonSet, by label, in their namespace), downloads every
 * node's files from their file API concurrently with a progress line, keeps them per node and merges them into one
 * time-ordered pcap.
 *
 * Everything that comes back from the cluster and becomes a path (node names, file names) is checked first: a
 * compromised exporter cannot write outside DEST.
 */
import { createWriteStream } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { request as httpsRequest } from 'node:https';
import { join, resolve } from 'node:path';
import { readFileSync } from 'node:fs';
import type { LabelSelector } from '../policy/kubernetes/label-selector';
import type { NodeCaptureStatus } from './controller';
import { KubeApiError, type KubeRequester } from './kube-client';
import { mergePcapFiles } from './merge';
import {
  isSafeCaptureName,
  PACKET_CAPTURE_API_VERSION,
  PACKET_CAPTURE_GROUP,
  PACKET_CAPTURE_KIND,
  PACKET_CAPTURE_PLURAL,
  PACKET_CAPTURE_VERSION,
} from './spec';

export class CaptureCliError extends Error {}

const NODE_NAME = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;
const FILE_NAME = /^[a-z0-9][-a-z0-9.]{0,250}\.pcap$/;

export function parseCaptureReference(text: string | undefined, command: string): { namespace: string; name: string } {
  const [namespace, name, ...rest] = (text ?? '').split('/');
  if (namespace === undefined || name === undefined || rest.length > 0 || !isSafeCaptureName(namespace, name)) {
    throw new CaptureCliError(
      `${command} needs NAMESPACE/NAME (a namespace and a PacketCapture name, e.g. shop/web-debug), got "${text ?? ''}"`,
    );
  }
  return { namespace, name };
}

export function capturePath(namespace: string, name?: string): string {
  const base = `/apis/${PACKET_CAPTURE_GROUP}/${PACKET_CAPTURE_VERSION}/namespaces/${encodeURIComponent(namespace)}/${PACKET_CAPTURE_PLURAL}`;
  return name === undefined ? base : `${base}/${encodeURIComponent(name)}`;
}

/** A LabelSelector back to the resource's `matchLabels`/`matchExpressions` form. */
export function selectorToResource(selector: LabelSelector): Record<string, unknown> {
  const matchLabels: Record<string, string> = {};
  const matchExpressions: { key: string; operator: string; values?: string[] }[] = [];
  for (const requirement of selector.requirements) {
    const values = [...requirement.values];
    if (requirement.operator === 'In' && values.length === 1 && !(requirement.key in matchLabels)) {
      matchLabels[requirement.key] = values[0]!;
    } else if (requirement.operator === 'In' || requirement.operator === 'NotIn') {
      matchExpressions.push({ key: requirement.key, operator: requirement.operator, values });
    } else {
      matchExpressions.push({ key: requirement.key, operator: requirement.operator });
    }
  }
  return {
    ...(Object.keys(matchLabels).length > 0 ? { matchLabels } : {}),
    ...(matchExpressions.length > 0 ? { matchExpressions } : {}),
  };
}

export function packetCaptureObject(namespace: string, name: string, spec: Record<string, unknown>): unknown {
  return { apiVersion: PACKET_CAPTURE_API_VERSION, kind: PACKET_CAPTURE_KIND, metadata: { namespace, name }, spec };
}

function nodesOf(object: unknown): Record<string, NodeCaptureStatus> {
  const nodes = (object as { status?: { nodes?: unknown } } | undefined)?.status?.nodes;
  if (typeof nodes !== 'object' || nodes === null || Array.isArray(nodes)) return {};
  const result: Record<string, NodeCaptureStatus> = {};
  for (const [node, status] of Object.entries(nodes)) {
    if (typeof status === 'object' && status !== null) result[node] = status as NodeCaptureStatus;
  }
  return result;
}

function table(rows: readonly (readonly string[])[]): string {
  const widths = rows[0]!.map((_cell, column) => Math.max(...rows.map((row) => (row[column] ?? '').length)));
  return (
    rows
      .map((row) =>
        row
          .map((cell, column) => cell.padEnd(widths[column]!))
          .join('  ')
          .trimEnd(),
      )
      .join('\n') + '\n'
  );
}

function summarize(nodes: Record<string, NodeCaptureStatus>): { state: string; packets: number; bytes: number } {
  const states = [...new Set(Object.values(nodes).map((status) => status.state))].sort();
  return {
    state: states.length === 0 ? 'Pending' : states.join(','),
    packets: Object.values(nodes).reduce((sum, status) => sum + (Number(status.packets) || 0), 0),
    bytes: Object.values(nodes).reduce((sum, status) => sum + (Number(status.bytes) || 0), 0),
  };
}

export async function listCaptures(requester: KubeRequester, namespace: string | undefined): Promise<string> {
  const path =
    namespace === undefined
      ? `/apis/${PACKET_CAPTURE_GROUP}/${PACKET_CAPTURE_VERSION}/${PACKET_CAPTURE_PLURAL}`
      : capturePath(namespace);
  const listed = (await requester.expectOk('GET', path)) as { items?: unknown };
  const items = Array.isArray(listed?.items) ? listed.items : [];
  const rows: string[][] = [['NAMESPACE', 'NAME', 'NODES', 'STATE', 'PACKETS', 'BYTES']];
  for (const item of items as { metadata?: { namespace?: string; name?: string } }[]) {
    const nodes = nodesOf(item);
    const { state, packets, bytes } = summarize(nodes);
    rows.push([
      item.metadata?.namespace ?? '',
      item.metadata?.name ?? '',
      String(Object.keys(nodes).length),
      state,
      String(packets),
      String(bytes),
    ]);
  }
  return table(rows);
}

export async function captureStatus(requester: KubeRequester, namespace: string, name: string): Promise<string> {
  const object = await requester.expectOk('GET', capturePath(namespace, name));
  const rows: string[][] = [['NODE', 'STATE', 'PODS', 'FILES', 'PACKETS', 'BYTES', 'ERROR']];
  for (const [node, status] of Object.entries(nodesOf(object)).sort(([a], [b]) => a.localeCompare(b))) {
    rows.push([
      node,
      String(status.state),
      Array.isArray(status.pods) ? status.pods.join(',') : '',
      String(Array.isArray(status.files) ? status.files.length : 0),
      String(status.packets ?? 0),
      String(status.bytes ?? 0),
      status.error ?? '',
    ]);
  }
  if (rows.length === 1)
    return `${namespace}/${name}: no node has reported yet (no selected pod running, or not started)\n`;
  return table(rows);
}

export interface FetchOptions {
  readonly namespace: string;
  readonly name: string;
  readonly dest: string;
  readonly exporterNamespace: string;
  readonly exporterSelector: string;
  readonly exporterPort: number;
  readonly exporterCa: Buffer | undefined;
  /** node -> host:port, replacing discovery (a port-forward, a proxy). */
  readonly exporterAddresses: ReadonlyMap<string, string>;
  readonly concurrency: number;
  readonly progress: (line: string, final: boolean) => void;
}

export interface FetchResult {
  readonly merged: string;
  readonly nodes: Record<string, string[]>;
  readonly packets: number;
  readonly bytes: number;
}

interface Download {
  readonly node: string;
  readonly address: string;
  readonly file: string;
  readonly bytes: number;
}

async function exporterAddresses(requester: KubeRequester, options: FetchOptions, nodes: readonly string[]) {
  const addresses = new Map<string, string>();
  const missing = nodes.filter((node) => !options.exporterAddresses.has(node));
  for (const node of nodes) {
    const address = options.exporterAddresses.get(node);
    if (address !== undefined) addresses.set(node, address);
  }
  if (missing.length === 0) return addresses;
  const listed = (await requester.expectOk(
    'GET',
    `/api/v1/namespaces/${encodeURIComponent(options.exporterNamespace)}/pods?labelSelector=${encodeURIComponent(options.exporterSelector)}`,
  )) as { items?: { spec?: { nodeName?: string }; status?: { podIP?: string; phase?: string } }[] };
  for (const pod of listed.items ?? []) {
    const node = pod.spec?.nodeName;
    const ip = pod.status?.podIP;
    if (node === undefined || ip === undefined || !missing.includes(node) || pod.status?.phase !== 'Running') continue;
    addresses.set(node, ip.includes(':') ? `[${ip}]:${options.exporterPort}` : `${ip}:${options.exporterPort}`);
  }
  const unreachable = missing.filter((node) => !addresses.has(node));
  if (unreachable.length > 0) {
    throw new CaptureCliError(
      `no running exporter pod (namespace ${options.exporterNamespace}, selector ${options.exporterSelector}) on node(s) ${unreachable.join(', ')}; give --exporter-address NODE=HOST:PORT`,
    );
  }
  return addresses;
}

function exporterGet(
  address: string,
  path: string,
  token: string,
  ca: Buffer | undefined,
): Promise<import('node:http').IncomingMessage> {
  const url = new URL(`https://${address}${path}`);
  return new Promise((resolvePromise, reject) => {
    const outgoing = httpsRequest(
      url,
      {
        method: 'GET',
        headers: { authorization: `Bearer ${token}` },
        ...(ca === undefined ? {} : { ca }),
        timeout: 60_000,
      },
      resolvePromise,
    );
    outgoing.on('timeout', () => outgoing.destroy(new Error(`${address}: no answer in 60 s`)));
    outgoing.on('error', reject);
    outgoing.end();
  });
}

async function exporterJson(address: string, path: string, token: string, ca: Buffer | undefined): Promise<unknown> {
  const response = await exporterGet(address, path, token, ca);
  const chunks: Buffer[] = [];
  for await (const chunk of response) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  if (response.statusCode !== 200) {
    const why =
      response.statusCode === 401
        ? 'the exporter does not accept your token (TokenReview): use a kubeconfig user with a bearer token'
        : response.statusCode === 403
          ? 'you may not get packetcaptures/files in this namespace (ask for the flowlens-capture-user role)'
          : text.trim();
    throw new CaptureCliError(`exporter ${address}: ${response.statusCode}: ${why}`);
  }
  return JSON.parse(text) as unknown;
}

function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

function progressLine(done: number, total: number, filesDone: number, files: number): string {
  const width = 30;
  const filled = total === 0 ? width : Math.min(width, Math.round((done / total) * width));
  const percent = total === 0 ? 100 : Math.floor((done / total) * 100);
  return `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${percent}% ${formatBytes(done)}/${formatBytes(total)} ${filesDone}/${files} files`;
}

export async function fetchCapture(requester: KubeRequester, options: FetchOptions): Promise<FetchResult> {
  const token = await requester.bearerToken();
  if (token === undefined) {
    throw new CaptureCliError(
      'fetch needs a bearer token in the kubeconfig user (the exporters check it with a TokenReview): e.g. kubectl create token',
    );
  }
  const object = await requester
    .expectOk('GET', capturePath(options.namespace, options.name))
    .catch((error: unknown) => {
      if (error instanceof KubeApiError && error.status === 404) {
        throw new CaptureCliError(`PacketCapture ${options.namespace}/${options.name} not found`);
      }
      throw error;
    });
  const nodes = Object.entries(nodesOf(object))
    .filter(([, status]) => Array.isArray(status.files) && status.files.length > 0)
    .map(([node]) => node)
    .sort();
  for (const node of nodes) {
    if (!NODE_NAME.test(node)) throw new CaptureCliError(`status names node "${node}", which is not a node name`);
  }
  if (nodes.length === 0) {
    throw new CaptureCliError(
      `${options.namespace}/${options.name}: no node reports files yet (see flowlens capture status)`,
    );
  }
  const addresses = await exporterAddresses(requester, options, nodes);
  const filesPath = `/api/v1/captures/${encodeURIComponent(options.namespace)}/${encodeURIComponent(options.name)}/files`;
  const downloads: Download[] = [];
  for (const node of nodes) {
    const address = addresses.get(node)!;
    const listing = (await exporterJson(address, filesPath, token, options.exporterCa)) as {
      files?: { name?: unknown; bytes?: unknown }[];
    };
    for (const file of listing.files ?? []) {
      if (typeof file.name !== 'string' || !FILE_NAME.test(file.name) || file.name.includes('..')) {
        throw new CaptureCliError(`exporter on ${node} lists a file named ${JSON.stringify(file.name)}: refused`);
      }
      downloads.push({ node, address, file: file.name, bytes: typeof file.bytes === 'number' ? file.bytes : 0 });
    }
  }
  const dest = resolve(options.dest);
  for (const node of nodes) await mkdir(join(dest, node), { recursive: true });
  const total = downloads.reduce((sum, download) => sum + download.bytes, 0);
  let done = 0;
  let filesDone = 0;
  options.progress(progressLine(0, total, 0, downloads.length), false);
  const queue = [...downloads];
  const worker = async (): Promise<void> => {
    for (let next = queue.shift(); next !== undefined; next = queue.shift()) {
      const download = next;
      const target = join(dest, download.node, download.file);
      const partial = `${target}.partial`;
      const response = await exporterGet(
        download.address,
        `${filesPath}/${encodeURIComponent(download.file)}`,
        token,
        options.exporterCa,
      );
      if (response.statusCode !== 200) {
        response.resume();
        throw new CaptureCliError(`exporter on ${download.node}: ${download.file}: ${response.statusCode}`);
      }
      const out = createWriteStream(partial, { flags: 'w', mode: 0o600 });
      await new Promise<void>((resolveWrite, reject) => {
        response.on('data', (chunk: Buffer) => {
          done += chunk.length;
          options.progress(progressLine(done, total, filesDone, downloads.length), false);
        });
        response.on('error', reject);
        out.on('error', reject);
        out.on('finish', resolveWrite);
        response.pipe(out);
      });
      await rename(partial, target);
      filesDone++;
      options.progress(progressLine(done, total, filesDone, downloads.length), false);
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.max(1, Math.min(options.concurrency, downloads.length)) }, worker));
  } catch (error) {
    await Promise.all(
      downloads.map((download) => rm(join(dest, download.node, `${download.file}.partial`), { force: true })),
    );
    throw error;
  }
  options.progress(progressLine(done, total, filesDone, downloads.length), true);
  const merged = join(dest, `${options.namespace}-${options.name}.pcap`);
  const result = await mergePcapFiles(
    downloads.map((download) => join(dest, download.node, download.file)),
    merged,
  );
  const perNode: Record<string, string[]> = {};
  for (const download of downloads) (perNode[download.node] ??= []).push(join(dest, download.node, download.file));
  return { merged, nodes: perNode, packets: result.records, bytes: result.bytes };
}

export function readCa(path: string | undefined): Buffer | undefined {
  if (path === undefined) return undefined;
  try {
    return readFileSync(path);
  } catch (error) {
    throw new CaptureCliError(
      `--exporter-ca ${path} cannot be read (${(error as NodeJS.ErrnoException).code ?? String(error)})`,
    );
  }
}
