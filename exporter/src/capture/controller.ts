/**
 * The capture controller of one node's exporter (`serve --kubernetes --capture-dir DIR --node-name NODE`):
 *
 * - watches PacketCaptures (`flowlens.io/v1alpha1`) of all namespaces through the client library's informer,
 *   restarted with backoff when it fails;
 * - every tick, for each capture: parses it (a bad one gets an Error status), selects its pods through the live
 *   view, keeps those whose route ends on this node, and when its window opens runs the capture core into
 *   `DIR/<namespace>/<name>/` until the window closes or maxBytes is reached;
 * - writes this node's status (Scheduled, WaitingForTraffic, Capturing, Finished, Error; pods, files, bytes,
 *   packets, error) into `status.nodes.<node>` with a JSON merge patch of the status subresource, so nodes never
 *   overwrite each other; a node with no selected pod writes nothing;
 * - stops a capture whose resource is deleted and removes its files (packet payload outlives no request for it);
 * - applies retention (age, total size) to finished captures' folders.
 *
 * Pods that start after a capture began are not added to it; a spec changed after the start is not applied.
 */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import * as k8s from '@kubernetes/client-node';
import type { PodProjection } from '../cluster/projections';
import type { Logger } from '../log';
import type { SelfMetrics } from '../metrics/registry';
import { CaptureSpecError } from './filters';
import { runIp, type IpCommand } from './interface';
import { KubeRequester } from './kube-client';
import { localTargets } from './node-capture';
import { selectPods } from './pods';
import { applyRetention, type RetentionPolicy } from './retention';
import { CaptureSession, DEFAULT_FILE_BYTES, type CaptureResult } from './runner';
import { CaptureSeries, type CaptureSeriesOptions } from './series';
import {
  isSafeCaptureName,
  PACKET_CAPTURE_GROUP,
  PACKET_CAPTURE_PLURAL,
  PACKET_CAPTURE_VERSION,
  parsePacketCapture,
  type PacketCapture,
} from './spec';

export type NodeCaptureState = 'Scheduled' | 'WaitingForTraffic' | 'Capturing' | 'Finished' | 'Error';

export interface NodeCaptureStatus {
  state: NodeCaptureState;
  pods: string[];
  files: string[];
  bytes: number;
  packets: number;
  error?: string;
  updated: string;
}

/** How this node runs `ip` and tcpdump (tests run them in a network namespace standing in for the node). */
export interface NodeNetwork {
  readonly ip: IpCommand;
  readonly tcpdump: readonly string[];
  readonly interfaceExists?: (device: string) => Promise<boolean>;
}

export interface CaptureControllerOptions {
  readonly config: k8s.KubeConfig;
  readonly nodeName: string;
  readonly captureDir: string;
  readonly logger: Logger;
  readonly metrics: SelfMetrics;
  /** The pods of a namespace, from the live view. */
  readonly podsInNamespace: (namespace: string) => Iterable<PodProjection>;
  readonly retention: RetentionPolicy;
  readonly network?: NodeNetwork;
  readonly tickMs?: number;
  readonly fileBytes?: number;
  readonly clock?: () => number;
  /** Bounds of the per-capture series (flowlens_capture_info and its totals). */
  readonly series?: CaptureSeriesOptions;
}

export const CAPTURES_PATH = `/apis/${PACKET_CAPTURE_GROUP}/${PACKET_CAPTURE_VERSION}/${PACKET_CAPTURE_PLURAL}`;
export const DEFAULT_RETENTION: RetentionPolicy = { maxAgeMs: 24 * 3_600_000, maxTotalBytes: 1024 ** 3 };
const STATUS_REFRESH_MS = 5_000;
const RETENTION_INTERVAL_MS = 60_000;

interface Tracked {
  object: k8s.KubernetesObject;
  uid: string;
  capture: PacketCapture | undefined;
  problem: string | undefined;
  session: CaptureSession | undefined;
  /** Set once the capture ran (or was refused) on this node: it never starts again. */
  done: boolean;
  status: NodeCaptureStatus | undefined;
  writtenStatus: string;
  writtenAt: number;
  deleted: boolean;
}

export class CaptureController {
  private readonly tracked = new Map<string, Tracked>();
  private readonly requester: KubeRequester;
  private readonly clock: () => number;
  private readonly network: NodeNetwork;
  private readonly series: CaptureSeries;
  private informer: k8s.ListWatch<k8s.KubernetesObject> | undefined;
  private generation = 0;
  private ticker: NodeJS.Timeout | undefined;
  private restartTimer: NodeJS.Timeout | undefined;
  private backoffMs = 500;
  private stopped = true;
  private ticking = false;
  private lastRetention = 0;
  private synced = false;

  constructor(private readonly options: CaptureControllerOptions) {
    this.requester = new KubeRequester(options.config);
    this.clock = options.clock ?? Date.now;
    this.network = options.network ?? { ip: runIp, tcpdump: ['tcpdump'] };
    this.series = new CaptureSeries(options.metrics, options.nodeName, options.series);
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.startInformer();
    this.ticker = setInterval(() => void this.tick(), this.options.tickMs ?? 1000);
    this.ticker.unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.ticker);
    clearTimeout(this.restartTimer);
    this.generation++;
    const informer = this.informer;
    this.informer = undefined;
    await informer?.stop();
    const sessions = [...this.tracked.values()]
      .map((entry) => entry.session)
      .filter((session) => session !== undefined);
    for (const session of sessions) session.stop('stopped');
    this.options.metrics.capturesActive.set([], 0);
    this.series.clear();
  }

  /** Whether the PacketCaptures have been listed once. */
  isSynced(): boolean {
    return this.synced;
  }

  /** The folder of a capture this node knows (running or finished), or undefined. */
  folderOf(namespace: string, name: string): string | undefined {
    if (!isSafeCaptureName(namespace, name)) return undefined;
    return this.tracked.has(`${namespace}/${name}`) ? join(this.options.captureDir, namespace, name) : undefined;
  }

  /** This node's status of a capture, as last computed. */
  statusOf(namespace: string, name: string): NodeCaptureStatus | undefined {
    return this.tracked.get(`${namespace}/${name}`)?.status;
  }

  private startInformer(): void {
    const generation = ++this.generation;
    const current = (): boolean => !this.stopped && generation === this.generation;
    const api = this.options.config.makeApiClient(k8s.CustomObjectsApi);
    const list = async (): Promise<k8s.KubernetesListObject<k8s.KubernetesObject>> => {
      const listed: unknown = await api.listClusterCustomObject({
        group: PACKET_CAPTURE_GROUP,
        version: PACKET_CAPTURE_VERSION,
        plural: PACKET_CAPTURE_PLURAL,
      });
      const record = (typeof listed === 'object' && listed !== null ? listed : {}) as {
        items?: unknown;
        metadata?: { resourceVersion?: string };
      };
      const items = (Array.isArray(record.items) ? record.items : []) as k8s.KubernetesObject[];
      if (current()) this.reconcileList(items);
      this.synced = true;
      this.backoffMs = 500;
      return { metadata: { resourceVersion: record.metadata?.resourceVersion ?? '' }, items };
    };
    const informer = new k8s.ListWatch<k8s.KubernetesObject>(
      CAPTURES_PATH,
      new k8s.Watch(this.options.config),
      list,
      false,
    );
    const upsert = (object: k8s.KubernetesObject): void => {
      if (current()) this.upsert(object);
    };
    informer.on(k8s.ADD, upsert);
    informer.on(k8s.UPDATE, upsert);
    informer.on(k8s.DELETE, (object) => {
      if (current()) this.remove(keyOf(object));
    });
    informer.on(k8s.ERROR, (error: unknown) => {
      if (current()) this.failed(error);
    });
    this.informer = informer;
    informer.start().catch((error: unknown) => {
      if (current()) this.failed(error);
    });
  }

  private failed(error: unknown): void {
    this.options.logger.log('warn', 'PacketCapture watch failed; restarting', {
      error: error instanceof Error ? error.message.split('\n')[0] : String(error),
      retryInMs: this.backoffMs,
    });
    const informer = this.informer;
    this.informer = undefined;
    this.generation++;
    void informer?.stop();
    clearTimeout(this.restartTimer);
    this.restartTimer = setTimeout(() => {
      if (!this.stopped) this.startInformer();
    }, this.backoffMs);
    this.restartTimer.unref();
    this.backoffMs = Math.min(this.backoffMs * 2, 30_000);
  }

  private reconcileList(items: readonly k8s.KubernetesObject[]): void {
    const listed = new Set(items.map(keyOf));
    for (const key of [...this.tracked.keys()]) if (!listed.has(key)) this.remove(key);
    for (const item of items) this.upsert(item);
  }

  private upsert(object: k8s.KubernetesObject): void {
    const key = keyOf(object);
    const uid = object.metadata?.uid ?? '';
    const existing = this.tracked.get(key);
    if (existing !== undefined && existing.uid !== uid) this.remove(key);
    const entry = this.tracked.get(key);
    let capture: PacketCapture | undefined;
    let problem: string | undefined;
    try {
      capture = parsePacketCapture(object);
    } catch (error) {
      if (!(error instanceof CaptureSpecError)) throw error;
      problem = error.message;
    }
    if (entry === undefined) {
      this.tracked.set(key, {
        object,
        uid,
        capture,
        problem,
        session: undefined,
        done: false,
        status: undefined,
        writtenStatus: '',
        writtenAt: 0,
        deleted: false,
      });
    } else if (entry.session === undefined && !entry.done) {
      // Not started yet: the newest spec counts.
      entry.object = object;
      entry.capture = capture;
      entry.problem = problem;
    }
    void this.tick();
  }

  private remove(key: string): void {
    const entry = this.tracked.get(key);
    if (entry === undefined) return;
    this.tracked.delete(key);
    entry.deleted = true;
    entry.session?.stop('stopped');
    this.countActive();
    const [namespace, name] = key.split('/') as [string, string];
    if (isSafeCaptureName(namespace, name)) {
      void rm(join(this.options.captureDir, namespace, name), { recursive: true, force: true }).catch(() => undefined);
    }
  }

  /** One pass over every capture; never two at once. */
  async tick(): Promise<void> {
    if (this.ticking || this.stopped) return;
    this.ticking = true;
    try {
      for (const [key, entry] of this.tracked) {
        try {
          await this.advance(key, entry);
        } catch (error) {
          this.options.logger.log('warn', 'capture step failed', { capture: key, error: String(error) });
        }
      }
      const now = this.clock();
      if (now - this.lastRetention >= RETENTION_INTERVAL_MS) {
        this.lastRetention = now;
        const active = new Set(
          [...this.tracked].filter(([, entry]) => entry.session !== undefined).map(([key]) => key),
        );
        const removed = await applyRetention(this.options.captureDir, this.options.retention, active, now);
        if (removed.length > 0)
          this.options.logger.log('info', 'capture retention removed folders', { removed: removed.join(',') });
      }
      this.countActive();
    } finally {
      this.ticking = false;
    }
  }

  private countActive(): void {
    this.options.metrics.capturesActive.set(
      [],
      [...this.tracked.values()].filter((entry) => entry.session !== undefined).length,
    );
    if (this.stopped) return;
    this.series.update(
      [...this.tracked].map(([key, entry]) => {
        const [namespace, name] = key.split('/') as [string, string];
        return { namespace, name, status: entry.status };
      }),
      this.clock(),
    );
  }

  private async advance(key: string, entry: Tracked): Promise<void> {
    if (entry.problem !== undefined) {
      if (!entry.done) {
        entry.done = true;
        entry.status = this.newStatus('Error', [], entry.problem);
      }
      await this.writeStatus(key, entry);
      return;
    }
    const capture = entry.capture;
    if (capture === undefined || entry.session !== undefined || entry.done) {
      await this.writeStatus(key, entry);
      return;
    }
    const now = this.clock();
    if (now >= capture.spec.endMs) {
      entry.done = true;
      return;
    }
    const { selected } = selectPods(
      this.options.podsInNamespace(capture.namespace),
      capture.namespace,
      capture.spec.selector,
    );
    const { targets } = await localTargets(selected, this.network.ip);
    if (targets.length === 0) return;
    const pods = targets.map((target) => target.pod);
    if (now < capture.spec.startMs) {
      entry.status = this.newStatus('Scheduled', pods);
      await this.writeStatus(key, entry);
      return;
    }
    const session = new CaptureSession({
      directory: join(this.options.captureDir, capture.namespace, capture.name),
      targets,
      filters: capture.spec.filters,
      limits: {
        durationMs: Math.max(1, capture.spec.endMs - now),
        maxBytes: capture.spec.maxBytes,
        snapLength: capture.spec.snapLength,
        fileBytes: this.options.fileBytes ?? DEFAULT_FILE_BYTES,
      },
      tcpdump: this.network.tcpdump,
      ...(this.network.interfaceExists === undefined ? {} : { interfaceExists: this.network.interfaceExists }),
      onProgress: (packets, bytes) => {
        this.options.metrics.capturePackets.add([capture.namespace], packets);
        this.options.metrics.captureBytes.add([capture.namespace], bytes);
        const status = entry.status;
        if (status === undefined) return;
        status.state = 'Capturing';
        status.packets += packets;
        status.bytes += bytes;
        status.files = session.status().flatMap((target) => target.files);
      },
    });
    entry.session = session;
    this.countActive();
    entry.status = this.newStatus('WaitingForTraffic', pods);
    this.options.logger.log('info', 'capture started', {
      capture: key,
      pods: pods.join(','),
      until: new Date(capture.spec.endMs).toISOString(),
    });
    await this.writeStatus(key, entry);
    session.run().then(
      (result) => this.finished(key, entry, result),
      (error: unknown) => {
        entry.session = undefined;
        entry.done = true;
        this.countActive();
        entry.status = this.newStatus('Error', pods, error instanceof Error ? error.message : String(error));
        void this.writeStatus(key, entry);
      },
    );
  }

  private finished(key: string, entry: Tracked, result: CaptureResult): void {
    entry.session = undefined;
    entry.done = true;
    this.countActive();
    if (entry.deleted) return;
    const failures = result.targets.filter((target) => target.state === 'Error');
    const allFailed = failures.length === result.targets.length;
    entry.status = {
      ...this.newStatus(
        allFailed ? 'Error' : 'Finished',
        result.targets.map((target) => target.pod),
      ),
      files: [...result.files],
      bytes: result.bytes,
      packets: result.packets,
      ...(failures.length > 0 ? { error: failures.map((target) => `${target.pod}: ${target.error}`).join('; ') } : {}),
    };
    const gone = result.targets.filter((target) => target.state === 'InterfaceGone');
    if (gone.length > 0 && entry.status.error === undefined) {
      entry.status.error = `pod(s) went away during the capture: ${gone.map((target) => target.pod).join(', ')}`;
    }
    this.options.logger.log('info', 'capture finished', {
      capture: key,
      reason: result.stopReason,
      packets: result.packets,
      bytes: result.bytes,
    });
    void this.writeStatus(key, entry, true);
  }

  private newStatus(state: NodeCaptureState, pods: string[], error?: string): NodeCaptureStatus {
    return {
      state,
      pods,
      files: [],
      bytes: 0,
      packets: 0,
      ...(error === undefined ? {} : { error }),
      updated: new Date(this.clock()).toISOString(),
    };
  }

  /** Merge-patches this node's entry when it changed: at once for a new state, at most every 5 s for counts. */
  private async writeStatus(key: string, entry: Tracked, force = false): Promise<void> {
    const status = entry.status;
    if (status === undefined || entry.deleted) return;
    const text = JSON.stringify({ ...status, updated: '' });
    if (text === entry.writtenStatus) return;
    const previousState =
      entry.writtenStatus === '' ? undefined : (JSON.parse(entry.writtenStatus) as { state: string }).state;
    const now = this.clock();
    if (!force && previousState === status.state && now - entry.writtenAt < STATUS_REFRESH_MS) return;
    entry.writtenStatus = text;
    entry.writtenAt = now;
    status.updated = new Date(now).toISOString();
    const [namespace, name] = key.split('/') as [string, string];
    const path = `/apis/${PACKET_CAPTURE_GROUP}/${PACKET_CAPTURE_VERSION}/namespaces/${encodeURIComponent(namespace)}/${PACKET_CAPTURE_PLURAL}/${encodeURIComponent(name)}/status`;
    try {
      const response = await this.requester.request(
        'PATCH',
        path,
        { status: { nodes: { [this.options.nodeName]: status } } },
        'application/merge-patch+json',
      );
      if (response.status === 404) return;
      if (response.status < 200 || response.status > 299) throw new Error(`HTTP ${response.status}`);
    } catch (error) {
      // Written again at the next change or tick.
      entry.writtenStatus = '';
      this.options.logger.log('warn', 'capture status not written', { capture: key, error: String(error) });
    }
  }
}

function keyOf(object: k8s.KubernetesObject): string {
  return `${object.metadata?.namespace ?? ''}/${object.metadata?.name ?? ''}`;
}
