/**
 * Enrichment from a cluster view: pod IPs to pods, pods (or Calico's aggregated pod prefixes) to their
 * owning workload, service cluster IPs to services, destination pods to the service whose EndpointSlices
 * list them, node IPs to hosts, other addresses to the Calico network set with the longest prefix that
 * contains them (as `networkset`, workload the set's name). Runs before the pod-name fallback, which only
 * fills what the cluster did not know. IP lookups ask about the record's time, so a
 * reused IP does not credit an older flow to the pod that has the IP now.
 */
import type { Enricher } from '../pipeline/enrich';
import { LabelSet } from '../model/labels';
import type { Endpoint, FlowRecord } from '../model/flow';
import type { PodSockets } from '../model/sockets';
import type { ClusterView } from './view';

export class ClusterViewEnricher implements Enricher {
  constructor(private readonly view: ClusterView) {}

  enrich(record: FlowRecord): void {
    // The service the source asked for, before the dataplane picked one of its pods.
    if (record.dialledIp !== undefined && record.destination.service === '') {
      const service = this.view.serviceByClusterIp(record.dialledIp);
      if (service !== undefined) {
        record.destination.service = service.name;
        record.destination.serviceNamespace = service.namespace;
      }
    }
    this.enrichEndpoints(record.source, record.destination, recordTime(record));
  }

  enrichEndpoints(source: Endpoint, destination: Endpoint, at: number): void {
    this.complete(source, false, at);
    this.complete(destination, true, at);
  }

  /**
   * A pod of a socket scan: by its uid (cgroups name it), else by name when the source gave one, else by the
   * first of its namespace's addresses the view knows a pod by.
   */
  enrichPod(pod: PodSockets, at: number): void {
    const endpoint = pod.pod;
    if (endpoint.workload !== '') return;
    const found =
      (pod.podUid === '' ? undefined : this.view.podByUid(pod.podUid)) ??
      (endpoint.pod === '' ? undefined : this.view.podByName(endpoint.namespace, endpoint.pod)) ??
      pod.addresses.map((address) => this.view.podByIp(address, at)).find((candidate) => candidate !== undefined);
    if (found === undefined) return;
    const owner = this.view.workloadOf(found);
    Object.assign(endpoint, {
      kind: 'pod',
      namespace: found.namespace,
      pod: found.name,
      workload: owner.workload,
      workloadKind: owner.kind,
    });
  }

  private complete(endpoint: Endpoint, isDestination: boolean, at: number): void {
    // Sources that mark a peer `world` or `private` (Hubble) only say that nobody in the pod network has the IP.
    if (isOutsidePlaceholder(endpoint)) {
      this.completeNetworkSet(endpoint);
      return;
    }
    if (endpoint.workload === '') this.resolve(endpoint, isDestination, at);
    // A pod addressed directly (not through its service's cluster IP) still belongs to the service.
    if (isDestination && endpoint.kind === 'pod' && endpoint.service === '' && endpoint.pod !== '') {
      const service = this.view.serviceOfPod(endpoint.namespace, endpoint.pod);
      if (service !== undefined) {
        endpoint.service = service.name;
        endpoint.serviceNamespace = service.namespace;
      }
    }
  }

  private resolve(endpoint: Endpoint, isDestination: boolean, at: number): void {
    // A source that names the pod knows better than an IP lookup, which a reused IP can mislead.
    if (endpoint.kind === 'pod' && endpoint.pod !== '') {
      const pod = this.view.podByName(endpoint.namespace, endpoint.pod);
      const owner = pod ? this.view.workloadOf(pod) : this.view.workloadOfPrefix(endpoint.namespace, endpoint.pod);
      if (owner !== undefined) {
        endpoint.workload = owner.workload;
        endpoint.workloadKind = owner.kind;
      }
      return;
    }
    if (endpoint.ip === '') return;
    const pod = this.view.podByIp(endpoint.ip, at);
    if (pod !== undefined) {
      const owner = this.view.workloadOf(pod);
      Object.assign(endpoint, {
        kind: 'pod',
        namespace: pod.namespace,
        pod: pod.name,
        workload: owner.workload,
        workloadKind: owner.kind,
        labels: endpoint.labels ?? LabelSet.fromRecord(pod.labels),
      });
      return;
    }
    const service = isDestination ? this.view.serviceByClusterIp(endpoint.ip) : undefined;
    if (service !== undefined && endpoint.service === '') {
      endpoint.service = service.name;
      endpoint.serviceNamespace = service.namespace;
    }
    const node = this.view.nodeByIp(endpoint.ip);
    if (node !== undefined && endpoint.namespace === '') {
      Object.assign(endpoint, { kind: 'host', workload: 'host', workloadKind: 'Node', pod: '' });
      return;
    }
    this.completeNetworkSet(endpoint);
  }

  /** A peer outside the pod network whose IP is in a Calico network set is that set (the longest prefix wins). */
  private completeNetworkSet(endpoint: Endpoint): void {
    const outside =
      endpoint.kind === 'world' ||
      endpoint.kind === 'private' ||
      (endpoint.kind === 'unknown' && endpoint.namespace === '');
    if (!outside || endpoint.ip === '') return;
    const set = this.view.networkSetForIp(endpoint.ip);
    if (set === undefined) return;
    // Namespace stays empty: a namespaced set's namespace is not the peer's (it has none).
    Object.assign(endpoint, {
      kind: 'networkset',
      namespace: '',
      pod: '',
      workload: set.name,
      workloadKind: 'NetworkSet',
    });
  }
}

function isOutsidePlaceholder(endpoint: Endpoint): boolean {
  return (endpoint.kind === 'world' || endpoint.kind === 'private') && endpoint.workload === endpoint.kind;
}

/**
 * The moment an IP lookup asks about: the record's end, its start when the end is unknown, 0 (now) when
 * both are. The end, because a record is there to be attributed at its end: its flows were live then, so
 * its endpoints held their IPs then, and a record that ended before an IP changed hands goes to the old
 * pod whatever its start. The start of an aggregated record (Calico's window start) need not be the
 * start of any flow; and the end is the most recent time, the one the bounded history is likeliest to cover.
 */
export function recordTime(record: Pick<FlowRecord, 'startTime' | 'endTime'>): number {
  return record.endTime > 0 ? record.endTime : record.startTime > 0 ? record.startTime : 0;
}
