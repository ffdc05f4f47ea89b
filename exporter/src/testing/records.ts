/** Test support: a neutral flow record (unknown endpoints, one allowed TCP flow, no counters) to override per test. */
import { emptyEndpoint, UNKNOWN_POLICY, type FlowRecord } from '../model/flow';

export function testFlowRecord(overrides: Partial<FlowRecord> = {}): FlowRecord {
  return {
    startTime: 0,
    endTime: 0,
    node: 'node-a',
    source: emptyEndpoint(),
    destination: emptyEndpoint(),
    destPort: 8080,
    protocol: 'tcp',
    action: 'allow',
    reporter: 'dst',
    enforcedPolicies: [],
    pendingPolicies: [],
    verdict: UNKNOWN_POLICY,
    bytesForward: 0,
    bytesReverse: 0,
    packetsForward: 0,
    packetsReverse: 0,
    flows: 1,
    flowsStarted: 0,
    flowsCompleted: 0,
    tcp: undefined,
    ...overrides,
  };
}
