/**
 * The policy context of `serve --kubernetes`: one engine over the live policies, rebuilt (UnifiedPolicyEngine
 * .update) when policies or namespaces' labels change, at most once per debounce interval, so a burst of
 * changes costs one rebuild. Pods are not part of the engine's snapshot: the pod behind an endpoint (with its
 * current labels and ports) is looked up in the live view per flow, and the engine keys its verdict cache on
 * those labels, so pod churn and relabelling never rebuild anything.
 */
import type { Endpoint } from '../../model/flow';
import type { Logger } from '../../log';
import type { PolicyContext } from '../attribution';
import { UnifiedPolicyEngine } from '../engine';
import type { PodInfo } from '../kubernetes';
import type { LivePolicyStore } from './policy-store';

/** Where the live pods are found: by IP, by namespace and name, by Calico's aggregated prefix (`web-5f6d7c8b9d-*`). */
export interface LivePods {
  /** `atSeconds`: the pod that held the IP then (a reused IP must not move old flows to a new pod). */
  podByIp(ip: string, atSeconds?: number): PodInfo | undefined;
  podByName(namespace: string, name: string): PodInfo | undefined;
  podByPrefix(namespace: string, prefix: string): PodInfo | undefined;
}

export interface LivePolicyContextOptions {
  logger: Logger;
  /** Shortest time between two rebuilds of the engine. */
  debounceMs: number;
  /** True once the objects the engine is built from are listed: no context before, rather than a wrong one. */
  ready(): boolean;
}

export const DEFAULT_POLICY_DEBOUNCE_MS = 1000;

export class LivePolicyContext {
  private context: PolicyContext | undefined;
  private engine: UnifiedPolicyEngine | undefined;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  /** Engines built so far, the first included (for tests and diagnostics). */
  builds = 0;

  constructor(
    private readonly store: LivePolicyStore,
    private readonly pods: LivePods,
    private readonly options: LivePolicyContextOptions,
  ) {
    store.onChange(() => this.scheduleRebuild());
  }

  /** The context, or undefined until the view is listed. The first call after that builds the engine. */
  current(): PolicyContext | undefined {
    if (this.context !== undefined) return this.context;
    if (this.stopped || !this.options.ready()) return undefined;
    const engine = new UnifiedPolicyEngine(this.store.engineSnapshot());
    this.builds++;
    this.engine = engine;
    this.context = { engine, podFor: (endpoint, atSeconds) => this.podFor(endpoint, atSeconds) };
    return this.context;
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** By name when the source named the pod (an IP can mislead once reused), else by IP at the flow's time. */
  private podFor(endpoint: Endpoint, atSeconds?: number): PodInfo | undefined {
    if (endpoint.pod !== '') {
      const named = endpoint.pod.endsWith('-*')
        ? this.pods.podByPrefix(endpoint.namespace, endpoint.pod)
        : this.pods.podByName(endpoint.namespace, endpoint.pod);
      if (named !== undefined) return named;
    }
    return endpoint.ip === '' ? undefined : this.pods.podByIp(endpoint.ip, atSeconds);
  }

  /** Before the first engine there is nothing to rebuild: it is built from the state of the moment it is asked for. */
  private scheduleRebuild(): void {
    if (this.engine === undefined || this.timer !== undefined || this.stopped) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.rebuild();
    }, this.options.debounceMs);
    this.timer.unref();
  }

  private rebuild(): void {
    if (this.engine === undefined || this.stopped) return;
    try {
      this.engine.update(this.store.engineSnapshot());
      this.builds++;
    } catch (error) {
      // The parsers' outputs are what the engine compiles; a failure here is a bug, not bad input. Keep the last engine.
      this.options.logger.log('error', 'policy engine rebuild failed; keeping the previous one', {
        error: error instanceof Error ? error.message : String(error),
      });
    }
  }
}
