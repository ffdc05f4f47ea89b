/**
 * The observed set: distinct (source, destination, port, protocol) tuples of the flows the pipeline has seen,
 * with workloads for pods and addresses for everything outside the pod network. Bounded: past `maxEntries`
 * distinct tuples new ones are counted as dropped (and the recommendation says it is incomplete) rather than
 * kept, so a port scan cannot grow the exporter's memory.
 */
import type { Endpoint, FlowRecord } from '../../model/flow';
import type { Protocol } from '../kubernetes';
import { flowKey, type ObservedFlow, type ObservedPeer } from './model';

export const DEFAULT_MAX_OBSERVED_FLOWS = 50_000;

const PROTOCOLS: ReadonlyMap<string, Protocol> = new Map([
  ['tcp', 'TCP'],
  ['6', 'TCP'],
  ['udp', 'UDP'],
  ['17', 'UDP'],
  ['sctp', 'SCTP'],
  ['132', 'SCTP'],
]);

export type ObserveOutcome = 'added' | 'known' | 'dropped' | 'ignored';

export class ObservedFlows {
  private readonly entries = new Map<string, ObservedFlow>();
  /** New tuples refused because the set was full. */
  dropped = 0;
  /** Records that name no port, a protocol policies cannot express, a denied flow or an unnamed pod. */
  ignored = 0;

  constructor(readonly maxEntries = DEFAULT_MAX_OBSERVED_FLOWS) {}

  get size(): number {
    return this.entries.size;
  }

  /** Reads an enriched record. Denied flows are not observed use: recommending them would open what is closed. */
  observe(record: FlowRecord): ObserveOutcome {
    const protocol = observedProtocol(record.protocol);
    const port = record.destPort;
    const source = observedPeer(record.source);
    const destination = observedPeer(record.destination);
    if (
      record.action !== 'allow' ||
      protocol === undefined ||
      port === undefined ||
      !Number.isInteger(port) ||
      port < 1 ||
      port > 65535 ||
      source === undefined ||
      destination === undefined
    ) {
      this.ignored++;
      return 'ignored';
    }
    return this.add({ source, destination, port, protocol });
  }

  add(flow: ObservedFlow): ObserveOutcome {
    const key = flowKey(flow);
    if (this.entries.has(key)) return 'known';
    if (this.entries.size >= this.maxEntries) {
      this.dropped++;
      return 'dropped';
    }
    this.entries.set(key, flow);
    return 'added';
  }

  flows(): ObservedFlow[] {
    return [...this.entries.values()];
  }
}

/** A protocol as sources write it (`tcp`, `TCP`, `6`) as policies name it; undefined for what they cannot name. */
export function observedProtocol(text: string): Protocol | undefined {
  return PROTOCOLS.get(text.toLowerCase());
}

/** A pod by its workload; anything else with an address by the address; undefined when neither is known. */
export function observedPeer(endpoint: Endpoint): ObservedPeer | undefined {
  if (endpoint.kind === 'pod') {
    if (endpoint.namespace === '' || endpoint.workload === '') return undefined;
    return { kind: 'workload', namespace: endpoint.namespace, workload: endpoint.workload };
  }
  return endpoint.ip === '' ? undefined : { kind: 'external', ip: endpoint.ip };
}
