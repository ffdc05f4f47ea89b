/**
 * The unobserved connections between known workloads: every (source workload, destination workload, port,
 * protocol) over the observed (port, protocol) set that no observed flow took. A least-privilege recommendation
 * must deny each of them (the property test checks it), and what the enforced policies allow among them is what
 * they allow beyond what was observed (the diff to enforced counts it). One enumeration for both, so the test
 * and the diff agree on what "unobserved" means.
 */
import type { Protocol } from '../kubernetes';
import { flowKey, type ObservedFlow } from './model';

export interface PortProtocol {
  readonly port: number;
  readonly protocol: Protocol;
}

export interface NamedWorkload {
  readonly namespace: string;
  readonly name: string;
}

export interface UnobservedPair<W extends NamedWorkload> {
  readonly source: W;
  readonly destination: W;
  readonly port: number;
  readonly protocol: Protocol;
  /** The `flowKey` the pair would have as an observed flow. */
  readonly key: string;
}

export interface UnobservedPairsOptions<W extends NamedWorkload> {
  /** Tried besides the observed ones. */
  readonly extraPorts?: readonly PortProtocol[];
  /** Pairs allowed by design, not by observation (DNS to the DNS pods); skipped. */
  readonly exempt?: (destination: W, port: PortProtocol) => boolean;
  /** Only pairs this accepts (e.g. one end in the namespace a recommendation is for). */
  readonly inScope?: (source: W, destination: W) => boolean;
}

/** The distinct (port, protocol)s, extra ones first, then the observed flows' in order of first use. */
export function candidatePorts(
  flows: Iterable<ObservedFlow>,
  extraPorts: readonly PortProtocol[] = [],
): PortProtocol[] {
  const ports = new Map<string, PortProtocol>();
  for (const port of extraPorts) ports.set(`${port.protocol}/${port.port}`, port);
  for (const flow of flows) {
    const key = `${flow.protocol}/${flow.port}`;
    if (!ports.has(key)) ports.set(key, { port: flow.port, protocol: flow.protocol });
  }
  return [...ports.values()];
}

/** Lazily, in workload order (sources outer, then destinations, then ports), so a caller can stop early. */
export function* unobservedPairs<W extends NamedWorkload>(
  workloads: readonly W[],
  flows: readonly ObservedFlow[],
  options: UnobservedPairsOptions<W> = {},
): Generator<UnobservedPair<W>> {
  const observed = new Set(flows.map(flowKey));
  const ports = candidatePorts(flows, options.extraPorts);
  for (const source of workloads) {
    for (const destination of workloads) {
      if (options.inScope !== undefined && !options.inScope(source, destination)) continue;
      for (const port of ports) {
        if (options.exempt?.(destination, port) === true) continue;
        const key = flowKey({
          source: { kind: 'workload', namespace: source.namespace, workload: source.name },
          destination: { kind: 'workload', namespace: destination.namespace, workload: destination.name },
          port: port.port,
          protocol: port.protocol,
        });
        if (observed.has(key)) continue;
        yield { source, destination, port: port.port, protocol: port.protocol, key };
      }
    }
  }
}
