/**
 * The enrich stage: completes each endpoint with its Kubernetes context. Enrichers run in order; the
 * cluster view (when there is one) fills what it knows first, and the fallback rules here fill the rest,
 * so every record leaves with a workload for both ends.
 */
import { isPrivateAddress, workloadFromPodName, type DerivedWorkload } from '../model/workload';
import type { Endpoint, FlowRecord } from '../model/flow';
import type { PodSockets } from '../model/sockets';

export interface Enricher {
  enrich(record: FlowRecord): void;
  /**
   * Completes the two endpoints of a record that is not a flow (a DNS query: client and server), as if they
   * were a flow's source and destination at time `at`. Enrichers about flows only (policy) leave it out.
   */
  enrichEndpoints?(source: Endpoint, destination: Endpoint, at: number): void;
  /** Completes the pod of a socket scan (its `pod` endpoint) from its uid, name or addresses, at time `at`. */
  enrichPod?(pod: PodSockets, at: number): void;
}

/**
 * Pods whose owner nobody told us: the workload from the pod name, memoized because a node sees the same
 * few hundred pod prefixes again and again (bounded: cleared when full, never grown).
 */
export class PodNameWorkloads implements Enricher {
  private readonly memo = new Map<string, DerivedWorkload>();

  constructor(private readonly maxEntries = 8192) {}

  enrich(record: FlowRecord): void {
    this.complete(record.source);
    this.complete(record.destination);
  }

  enrichEndpoints(source: Endpoint, destination: Endpoint): void {
    this.complete(source);
    this.complete(destination);
  }

  enrichPod(pod: PodSockets): void {
    this.complete(pod.pod);
  }

  private complete(endpoint: Endpoint): void {
    if (endpoint.workload !== '') return;
    if (endpoint.kind === 'pod' && endpoint.pod !== '') {
      const derived = this.derive(endpoint.pod);
      endpoint.workload = derived.workload;
      if (endpoint.workloadKind === '') endpoint.workloadKind = derived.kind;
    } else if (endpoint.kind === 'world' || endpoint.kind === 'private') {
      endpoint.workload = endpoint.kind;
    } else if (endpoint.kind === 'unknown' && endpoint.ip !== '' && endpoint.namespace === '') {
      // An address nobody claimed: outside the cluster as far as this node can tell.
      endpoint.kind = isPrivateAddress(endpoint.ip) ? 'private' : 'world';
      endpoint.workload = endpoint.kind;
    }
  }

  private derive(podName: string): DerivedWorkload {
    let derived = this.memo.get(podName);
    if (derived === undefined) {
      derived = workloadFromPodName(podName);
      if (this.memo.size >= this.maxEntries) this.memo.clear();
      this.memo.set(podName, derived);
    }
    return derived;
  }
}
