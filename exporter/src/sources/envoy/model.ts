/**
 * The HTTP (L7) record: what the Envoy access log decoders (text, Istio JSON, gRPC Access Log Service) and the
 * Calico L7 decoder turn their input into. The decoders are pure: they fill what the input says and leave
 * workloads to the enrich stage, which resolves the endpoint IPs against the cluster.
 */
import { endpointAtIp, type Endpoint } from '../../model/flow';
import { detached } from '../../model/text';
import { hostOf } from './address';
import type { HttpRecord } from '../../model/http';

export { statusClassOf, type HttpRecord, type StatusClass } from '../../model/http';

/** A valid input that is not an HTTP request (a TCP proxy entry, an intermediate log, ...). */
export interface HttpSkip {
  skip: string;
}

export type HttpDecodeResult = HttpRecord | HttpSkip;

export function isSkip(result: HttpDecodeResult): result is HttpSkip {
  return 'skip' in result;
}

export function pathWithoutQuery(path: string): string {
  // Two indexOf calls rather than a regex search: most paths have neither character.
  const query = path.indexOf('?');
  const fragment = path.indexOf('#');
  const end = query === -1 ? fragment : fragment === -1 ? query : Math.min(query, fragment);
  return end === -1 ? path : path.slice(0, end);
}

/** An endpoint known only by its address (`host:port` or a bare host); the enrich stage fills in the rest. */
export function endpointAt(address: string): Endpoint {
  return endpointAtIp(hostOf(address));
}

export interface ClusterService {
  readonly service: string;
  readonly namespace: string;
}

/**
 * Cluster names seen and the service each names (null for none). A sidecar talks to a few clusters, line after
 * line, and two `split`s per line cost more than a lookup. Bounded: cleared when full. Keys and values are
 * detached copies, as they outlive the line they came from.
 */
const servicesOfClusters = new Map<string, ClusterService | null>();
const MAX_REMEMBERED_CLUSTERS = 4096;

/**
 * Istio names its outbound clusters `outbound|<port>|<subset>|<service FQDN>`; the FQDN names the
 * destination service (`cart.shop.svc.cluster.local`). Other cluster names say nothing about a service.
 */
export function serviceOfCluster(cluster: string): ClusterService | undefined {
  let service = servicesOfClusters.get(cluster);
  if (service === undefined) {
    service = parseServiceOfCluster(cluster) ?? null;
    if (servicesOfClusters.size >= MAX_REMEMBERED_CLUSTERS) servicesOfClusters.clear();
    servicesOfClusters.set(detached(cluster), service);
  }
  return service ?? undefined;
}

function parseServiceOfCluster(cluster: string): ClusterService | undefined {
  const parts = cluster.split('|');
  if (parts.length !== 4 || parts[0] !== 'outbound') return undefined;
  const labels = (parts[3] ?? '').split('.');
  if (labels.length < 3 || labels[2] !== 'svc' || labels[0] === '' || labels[1] === '') return undefined;
  return { service: detached(labels[0] ?? ''), namespace: detached(labels[1] ?? '') };
}
