/** Source kinds by name: the one place a new source is registered. */
import { calicoFlowsSource } from './calico-flows';
import { hubbleSource } from './hubble';
import { calicoDnsSource } from './calico-dns';
import { corednsSource } from './coredns';
import { calicoL7Source, envoySource } from './envoy/sources';
import { envoyAlsSource } from './envoy/als-server';
import { auditSource } from './audit/source';
import { conntrackSource } from './conntrack/source';
import { demoSource } from '../demo/source';
import { socketsSource } from './sockets/source';
import type { SourceKind } from './types';

export const SOURCE_KINDS: readonly SourceKind[] = [
  calicoFlowsSource,
  calicoDnsSource,
  hubbleSource,
  corednsSource,
  envoySource,
  calicoL7Source,
  envoyAlsSource,
  auditSource,
  conntrackSource,
  demoSource,
  socketsSource,
];

export function sourceKind(kind: string): SourceKind | undefined {
  return SOURCE_KINDS.find((candidate) => candidate.kind === kind);
}
