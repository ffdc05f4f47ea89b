import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseConntrackEntry, type ConntrackEntry } from '../sources/conntrack/grammar';
import { connectionKey } from '../sources/conntrack/table';
import type { FlowRecord } from '../model/flow';
import type { DecodeError } from '../sources/types';
import {
  API_SERVER,
  DemoConntrack,
  DemoHostConnections,
  IMAGE_REGISTRY,
  NTP_SERVERS,
  ROLLOUT_PULL_SECONDS,
  UPSTREAM_RESOLVER,
  type DemoConntrackSummary,
} from './conntrack';
import { DEMO_TOPOLOGY } from './topology';
import { INCIDENTS } from './traffic';

const PERIOD = 3600;
// Midnight UTC, so the day's hours are the diurnal curve's hours.
const DAY = 1_700_006_400 - (1_700_006_400 % 86_400);
const NODES = DEMO_TOPOLOGY.nodes;

interface PolledDay {
  records: FlowRecord[];
  rejected: DecodeError[];
  summaries: DemoConntrackSummary[];
}

/** Polls every node's table each `interval` seconds over [from, to), as the demo source does at its windows' ends. */
function pollOver(from: number, to: number, interval: number, seed = 7): PolledDay {
  const conntrack = new DemoConntrack(DEMO_TOPOLOGY, new DemoHostConnections(DEMO_TOPOLOGY, seed, PERIOD));
  const polled: PolledDay = { records: [], rejected: [], summaries: [] };
  const output = {
    sink: { flow: (record: FlowRecord) => polled.records.push(record) },
    rejected: (error: DecodeError) => polled.rejected.push(error),
  };
  for (let at = from + interval; at <= to; at += interval) polled.summaries.push(conntrack.poll(at, output));
  return polled;
}

/** Every node's entries at `at`, parsed by the conntrack source's grammar. */
function entriesAt(connections: DemoHostConnections, at: number): { node: string; entry: ConntrackEntry }[] {
  return NODES.flatMap((node) =>
    connections.linesAt(node, at).map((line) => ({ node: node.name, entry: parseConntrackEntry(line) })),
  );
}

test('every node’s table over a day is nf_conntrack text the conntrack grammar reads, with accounting', () => {
  const connections = new DemoHostConnections(DEMO_TOPOLOGY, 7, PERIOD);
  const peers = new Set<string>();
  let unreplied = 0;
  let timeWait = 0;
  for (let at = DAY; at < DAY + 86_400; at += 60) {
    for (const node of NODES) {
      for (const line of connections.linesAt(node, at)) {
        assert.match(line, /^ipv4 {5}2 (tcp {6}6|udp {6}17) \d+ /, line);
        const entry = parseConntrackEntry(line);
        assert.equal(entry.accounting, true, line);
        assert.equal(entry.original.src, node.ip, 'the host’s own connections');
        assert.equal(entry.reply.dst, node.ip, 'no NAT on the host’s way out');
        assert.equal(entry.reply.src, entry.original.dst);
        assert.equal(entry.reply.sport, entry.original.dport);
        assert.ok(entry.original.sport! >= 32_768 && entry.original.sport! <= 60_999, 'an ephemeral port');
        peers.add(`${entry.protocolName} ${entry.original.dst}:${entry.original.dport}`);
        if (entry.unreplied) {
          unreplied++;
          assert.deepEqual([entry.reply.packets, entry.reply.bytes], [0, 0]);
        }
        if (entry.protocolName === 'tcp') {
          assert.ok(entry.assured && ['ESTABLISHED', 'TIME_WAIT'].includes(entry.state), line);
          if (entry.state === 'TIME_WAIT') timeWait++;
          assert.ok(entry.timeoutSeconds <= (entry.state === 'TIME_WAIT' ? 120 : 432_000), line);
        } else {
          assert.ok(entry.timeoutSeconds > 0 && entry.timeoutSeconds <= 30, line);
        }
      }
    }
  }
  assert.deepEqual(
    [...peers].sort(),
    [
      `tcp ${API_SERVER.ip}:${API_SERVER.port}`,
      `tcp ${IMAGE_REGISTRY.ip}:${IMAGE_REGISTRY.port}`,
      ...NTP_SERVERS.map((server) => `udp ${server.ip}:${server.port}`),
      `udp ${UPSTREAM_RESOLVER.ip}:${UPSTREAM_RESOLVER.port}`,
    ].sort(),
  );
  assert.ok(unreplied > 0, 'an NTP request now and then goes unanswered');
  assert.ok(timeWait > 0, 'closed connections linger in TIME_WAIT');
});

test('a connection’s counters only grow while it is in the table', () => {
  const connections = new DemoHostConnections(DEMO_TOPOLOGY, 7, PERIOD);
  let last = new Map<string, ConntrackEntry>();
  let grew = 0;
  for (let at = DAY + 10 * 3600; at < DAY + 12 * 3600; at += 5) {
    // Compared with the poll before only: a tuple that comes back later is a new connection reusing the port.
    const previous = last;
    last = new Map();
    for (const { node, entry } of entriesAt(connections, at)) {
      const key = `${node} ${connectionKey(entry)}`;
      const before = previous.get(key);
      if (before !== undefined) {
        for (const tuple of ['original', 'reply'] as const) {
          assert.ok(entry[tuple].bytes! >= before[tuple].bytes!, `${key} ${tuple} bytes went down`);
          assert.ok(entry[tuple].packets! >= before[tuple].packets!, `${key} ${tuple} packets went down`);
        }
        if (entry.reply.bytes! > before.reply.bytes!) grew++;
      }
      last.set(key, entry);
    }
  }
  assert.ok(grew > 1000, `${grew} polls saw a connection grow`);
});

test('over a demo day connections start and end through the connection table, and bytes grow', () => {
  const { records, rejected, summaries } = pollOver(DAY, DAY + 86_400, 10);
  assert.deepEqual(rejected, []);
  const byPeer = new Map<string, { started: number; completed: number; bytes: number }>();
  for (const record of records) {
    const peer = `${record.protocol} ${record.destination.ip}:${record.destPort}`;
    const totals = byPeer.get(peer) ?? { started: 0, completed: 0, bytes: 0 };
    totals.started += record.flowsStarted;
    totals.completed += record.flowsCompleted;
    totals.bytes += record.bytesForward + record.bytesReverse;
    byPeer.set(peer, totals);
  }
  for (const [peer, totals] of byPeer) {
    assert.ok(totals.started > 0 && totals.completed > 0, `${peer}: ${JSON.stringify(totals)}`);
    assert.ok(totals.bytes > 0, peer);
  }
  assert.equal(byPeer.size, 5);
  // The kubelet's and kube-proxy's connections are replaced over the day, and carry bytes in every poll between.
  const apiServer = byPeer.get(`tcp ${API_SERVER.ip}:${API_SERVER.port}`)!;
  assert.ok(apiServer.started >= NODES.length * 24, `${apiServer.started} API server connections started`);
  assert.ok(apiServer.bytes > 100e6, `${apiServer.bytes} bytes to and from the API server`);
  const deltas = records.filter((record) => record.flows === 0 && record.flowsCompleted === 0);
  assert.ok(deltas.length > summaries.length, 'open connections report their byte deltas poll after poll');
  assert.ok(deltas.every((record) => record.bytesForward + record.bytesReverse > 0));
  // The tables stay small: a node's host network has a handful of connections.
  assert.ok(summaries.every((summary) => summary.untracked === 0 && summary.tracked < 80));
  assert.equal(
    summaries.reduce((total, summary) => total + summary.started, 0),
    records.reduce((total, record) => total + record.flowsStarted, 0),
  );
});

test('records are what the conntrack source emits, with the node’s address resolved to its host', () => {
  const { records } = pollOver(DAY + 14 * 3600, DAY + 15 * 3600, 5);
  assert.ok(records.length > 0);
  const nodeNames = new Set(NODES.map((node) => node.name));
  for (const record of records) {
    assert.equal(record.source.kind, 'host');
    assert.equal(record.source.workload, 'host');
    assert.equal(record.source.workloadKind, 'Node');
    assert.equal(record.source.namespace, '');
    assert.ok(
      nodeNames.has(record.node),
      `the node label names a demo node, as the Calico lines’ host: ${record.node}`,
    );
    assert.equal(
      record.source.ip,
      NODES.find((node) => node.name === record.node)!.ip,
      'each node reports its own connections',
    );
    // The far end is left to the pipeline's enrichers, as an IP: private for the API server, world for the registry.
    assert.equal(record.destination.workload, '');
    assert.equal(record.destination.kind, 'unknown');
    assert.equal(record.action, 'allow');
    assert.equal(record.reporter, 'dst', 'neither end is in the node’s pod CIDR: the source’s default reporter');
    assert.equal(record.verdict.policy, 'unknown');
    assert.equal(record.endTime - record.startTime, 5);
  }
});

test('by day the nodes pull more images and look up more names than by night', () => {
  const count = (from: number): { pulls: number; lookups: number } => {
    const { records } = pollOver(from, from + 3 * 3600, 10);
    const started = (ip: string): number =>
      records
        .filter((record) => record.destination.ip === ip)
        .reduce((total, record) => total + record.flowsStarted, 0);
    return { pulls: started(IMAGE_REGISTRY.ip), lookups: started(UPSTREAM_RESOLVER.ip) };
  };
  const night = count(DAY + 2 * 3600);
  const afternoon = count(DAY + 14 * 3600);
  assert.ok(afternoon.pulls > night.pulls, `pulls ${afternoon.pulls} by day, ${night.pulls} by night`);
  assert.ok(afternoon.lookups > night.lookups * 1.5, `lookups ${afternoon.lookups} by day, ${night.lookups} by night`);
});

test('the shipping rollout pulls its new image on the nodes that run shipping, as the incident starts', () => {
  const connections = new DemoHostConnections(DEMO_TOPOLOGY, 7, PERIOD);
  const incident = INCIDENTS.find((candidate) => candidate.name === 'shipping-nxdomain-storm')!;
  const start = DAY + 14 * 3600 + incident.startFraction * PERIOD;
  const shippingNodes = new Set(DEMO_TOPOLOGY.pods.filter((pod) => pod.workload === 'shipping').map((pod) => pod.node));
  const pulling = (at: number): Set<string> =>
    new Set(
      NODES.filter((node) =>
        connections
          .connectionsAt(node, at)
          .some(
            (connection) =>
              connection.destination === IMAGE_REGISTRY.ip &&
              connection.end - connection.start === ROLLOUT_PULL_SECONDS,
          ),
      ).map((node) => node.name),
    );
  assert.deepEqual(pulling(start + 20), shippingNodes);
  assert.deepEqual(pulling(start - 60), new Set());
});

test('the same seed gives the same tables and records; another seed other ones', () => {
  const at = DAY + 15 * 3600;
  const lines = (seed: number): string[] => {
    const connections = new DemoHostConnections(DEMO_TOPOLOGY, seed, PERIOD);
    return NODES.flatMap((node) => connections.linesAt(node, at));
  };
  assert.deepEqual(lines(42), lines(42));
  assert.notDeepEqual(lines(42), lines(43));
  assert.deepEqual(pollOver(at, at + 600, 5, 42), pollOver(at, at + 600, 5, 42));
  assert.notDeepEqual(pollOver(at, at + 600, 5, 42).records, pollOver(at, at + 600, 5, 43).records);
});

test('the first poll is a baseline, as the conntrack source’s in serve: it counts no flows', () => {
  const conntrack = new DemoConntrack(DEMO_TOPOLOGY, new DemoHostConnections(DEMO_TOPOLOGY, 7, PERIOD));
  const records: FlowRecord[] = [];
  const output = { sink: { flow: (record: FlowRecord) => records.push(record) }, rejected: () => undefined };
  const first = conntrack.poll(DAY + 15 * 3600, output);
  assert.ok(first.tracked > 0);
  assert.equal(records.length, 0, 'no records from the baseline');
  conntrack.poll(DAY + 15 * 3600 + 5, output);
  assert.ok(records.some((record) => record.bytesReverse > 0));
});
