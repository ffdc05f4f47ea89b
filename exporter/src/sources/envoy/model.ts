/**
 * The HTTP (L7) record: what the Envoy access log decoders (text, Istio JSON, gRPC Access Log Service) and the
 * Calico L7 decoder turn their input into. The decoders are pure: they fill what the input says and leave
 * workloads to the enrich stage, which resolves the endpoint IPs against the cluster.
 */
import { emptyEndpoint, type Endpoint } from '../../model/flow';
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
  const end = path.search(/[?#]/);
  return end === -1 ? path : path.slice(0, end);
}

/** An endpoint known only by its address; the enrich stage fills in the rest. */
export function endpointAt(address: string): Endpoint {
  return { ...emptyEndpoint(), ip: hostOf(address) };
}

/**
 * Istio names its outbound clusters `outbound|<port>|<subset>|<service FQDN>`; the FQDN names the
 * destination service (`cart.shop.svc.cluster.local`). Other cluster names say nothing about a service.
 */
export function serviceOfCluster(cluster: string): { service: string; namespace: string } | undefined {
  const parts = cluster.split('|');
  if (parts.length !== 4 || parts[0] !== 'outbound') return undefined;
  const labels = (parts[3] ?? '').split('.');
  if (labels.length < 3 || labels[2] !== 'svc' || labels[0] === '' || labels[1] === '') return undefined;
  return { service: labels[0] ?? '', namespace: labels[1] ?? '' };
}
