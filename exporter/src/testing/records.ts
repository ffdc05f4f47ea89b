/** Test support: neutral flow, DNS and HTTP records to override per test. */
import { emptyEndpoint, UNKNOWN_POLICY, type FlowRecord } from '../model/flow';
import type { DnsRecord } from '../model/dns';
import type { HttpRecord } from '../model/http';

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

/** A neutral DNS record: one NOERROR A query of an unknown client, to override per test. */
export function testDnsRecord(overrides: Partial<DnsRecord> = {}): DnsRecord {
  return {
    startTime: 0,
    endTime: 0,
    node: 'node-a',
    client: emptyEndpoint(),
    server: emptyEndpoint(),
    qname: 'cart.shop.svc.cluster.local',
    qtype: 'A',
    rcode: 'NOERROR',
    count: 1,
    latency: undefined,
    ...overrides,
  };
}

export function testHttpRecord(overrides: Partial<HttpRecord> = {}): HttpRecord {
  return {
    startTime: 0,
    durationSeconds: undefined,
    durationMaxSeconds: undefined,
    method: 'GET',
    path: '/',
    protocol: 'HTTP/1.1',
    statusCode: 200,
    statusClass: '2xx',
    responseFlags: '',
    bytesReceived: 0,
    bytesSent: 0,
    authority: '',
    userAgent: '',
    requestId: '',
    forwardedFor: '',
    downstreamRemoteAddress: '',
    upstreamHost: '',
    upstreamCluster: '',
    routeName: '',
    source: emptyEndpoint(),
    destination: emptyEndpoint(),
    count: 1,
    ...overrides,
  };
}
