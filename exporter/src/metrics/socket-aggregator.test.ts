import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SocketAggregator } from './socket-aggregator';
import { defaultFamilyOptions, type FamilyOptions } from './flow-aggregator';
import { OVERFLOW_VALUE, POD_TCP_FAMILIES, SOCKET_FAMILIES } from './catalogue';
import { emptyEndpoint } from '../model/flow';
import type { PodSockets, TcpNamespaceCounters } from '../model/sockets';

function pod(
  name: string,
  netns: number,
  tcp: Partial<TcpNamespaceCounters> | undefined,
  listeningPorts: number[] = [8080],
): PodSockets {
  return {
    netns,
    podUid: `uid-${name}`,
    pod: { ...emptyEndpoint(), kind: 'pod', namespace: 'shop', workload: name.replace(/-\d+$/, ''), pod: name },
    addresses: [],
    states: [
      { protocol: 'tcp', state: 'established', count: 4, sendQueueBytes: 10, receiveQueueBytes: 20 },
      { protocol: 'tcp', state: 'listen', count: listeningPorts.length, sendQueueBytes: 0, receiveQueueBytes: 0 },
    ],
    listening: listeningPorts.map((port) => ({ process: 'server', protocol: 'tcp', port, count: 1 })),
    tcp:
      tcp === undefined
        ? undefined
        : {
            retransmittedSegments: 0,
            resetsSent: 0,
            establishedResets: 0,
            listenOverflows: 0,
            listenDrops: 0,
            ...tcp,
          },
  };
}

function samples(aggregator: SocketAggregator, family: string): Map<string, number> {
  const found = new Map<string, number>();
  for (const line of aggregator.renderSamples(family).split('\n')) {
    if (line === '') continue;
    const space = line.lastIndexOf(' ');
    found.set(line.slice(0, space), Number(line.slice(space + 1)));
  }
  return found;
}

test('gauges show the latest scan: summed per workload, and a pod that is gone takes its series along', () => {
  const aggregator = new SocketAggregator();
  aggregator.add('sockets', { at: 1, pods: [pod('web-1', 1, undefined), pod('web-2', 2, undefined, [9090])] }, 1);
  assert.deepEqual(
    samples(aggregator, 'flowlens_sockets'),
    new Map([
      ['flowlens_sockets{namespace="shop",workload="web",protocol="tcp",state="established"}', 8],
      ['flowlens_sockets{namespace="shop",workload="web",protocol="tcp",state="listen"}', 2],
    ]),
  );
  assert.deepEqual(
    samples(aggregator, 'flowlens_socket_queue_bytes'),
    new Map([
      ['flowlens_socket_queue_bytes{namespace="shop",workload="web",protocol="tcp",queue="send"}', 20],
      ['flowlens_socket_queue_bytes{namespace="shop",workload="web",protocol="tcp",queue="receive"}', 40],
    ]),
  );
  assert.equal(samples(aggregator, 'flowlens_listening_sockets').size, 2);

  // web-2 is gone: its port goes at once, and the counts are the remaining pod's only.
  aggregator.add('sockets', { at: 2, pods: [pod('web-1', 1, undefined)] }, 2);
  assert.deepEqual(
    [...samples(aggregator, 'flowlens_listening_sockets')],
    [['flowlens_listening_sockets{namespace="shop",workload="web",process="server",protocol="tcp",port="8080"}', 1]],
  );
  assert.equal(
    samples(aggregator, 'flowlens_sockets').get(
      'flowlens_sockets{namespace="shop",workload="web",protocol="tcp",state="established"}',
    ),
    4,
  );
  // Replacing a scan is not eviction.
  assert.equal(aggregator.stats().find((stats) => stats.family === 'flowlens_sockets')?.evictedSeries, 0);
});

test('each source keeps its own latest scan; a source that stopped scanning goes after the gauge TTL', () => {
  const options = new Map<string, FamilyOptions>(
    SOCKET_FAMILIES.map((family) => [family.name, { ...defaultFamilyOptions(family), ttlSeconds: 60 }]),
  );
  const aggregator = new SocketAggregator(options);
  aggregator.add('sockets', { at: 0, pods: [pod('web-1', 1, undefined)] }, 0);
  aggregator.add('demo', { at: 30, pods: [pod('api-1', 5, undefined)] }, 30);
  assert.equal(samples(aggregator, 'flowlens_listening_sockets').size, 2);
  aggregator.sweep(61);
  assert.deepEqual(
    [...samples(aggregator, 'flowlens_listening_sockets').keys()],
    ['flowlens_listening_sockets{namespace="shop",workload="api",process="server",protocol="tcp",port="8080"}'],
  );
});

test('TCP counters count each namespace’s changes and never go down, across a namespace replaced under the pod', () => {
  const aggregator = new SocketAggregator();
  const key = 'flowlens_pod_tcp_retransmitted_segments_total{namespace="shop",workload="web",pod="web-1"}';
  const retransmitted = (): number | undefined =>
    samples(aggregator, 'flowlens_pod_tcp_retransmitted_segments_total').get(key);
  // First sight: the namespace's whole count.
  aggregator.add('sockets', { at: 1, pods: [pod('web-1', 1, { retransmittedSegments: 100, listenOverflows: 2 })] }, 1);
  assert.equal(retransmitted(), 100);
  aggregator.add('sockets', { at: 2, pods: [pod('web-1', 1, { retransmittedSegments: 130, listenOverflows: 2 })] }, 2);
  assert.equal(retransmitted(), 130);
  // The pod's sandbox was recreated: a new namespace (new inode) counts from its value.
  aggregator.add('sockets', { at: 3, pods: [pod('web-1', 7, { retransmittedSegments: 5 })] }, 3);
  assert.equal(retransmitted(), 135);
  // An inode reused by a namespace whose counter is lower: a new namespace too.
  aggregator.add('sockets', { at: 4, pods: [pod('web-1', 7, { retransmittedSegments: 2 })] }, 4);
  assert.equal(retransmitted(), 137);
  assert.equal(
    samples(aggregator, 'flowlens_pod_tcp_listen_overflows_total').get(
      'flowlens_pod_tcp_listen_overflows_total{namespace="shop",workload="web",pod="web-1"}',
    ),
    2,
  );
  // A scan that could not read the counters changes nothing and does not reset the baseline.
  aggregator.add('sockets', { at: 5, pods: [pod('web-1', 7, undefined)] }, 5);
  assert.equal(retransmitted(), 137);
  aggregator.add('sockets', { at: 6, pods: [pod('web-1', 7, { retransmittedSegments: 4 })] }, 6);
  assert.equal(retransmitted(), 139);
});

test('counters of a pod that is gone stay until their TTL, then go', () => {
  const options = new Map<string, FamilyOptions>(
    POD_TCP_FAMILIES.map((family) => [family.name, { ...defaultFamilyOptions(family), ttlSeconds: 60 }]),
  );
  const aggregator = new SocketAggregator(options);
  aggregator.add('sockets', { at: 0, pods: [pod('web-1', 1, { resetsSent: 3 })] }, 0);
  aggregator.add('sockets', { at: 30, pods: [] }, 30);
  aggregator.sweep(30);
  assert.equal(samples(aggregator, 'flowlens_pod_tcp_resets_total').size, 1);
  aggregator.sweep(61);
  assert.equal(samples(aggregator, 'flowlens_pod_tcp_resets_total').size, 0);
  assert.equal(aggregator.stats().find((stats) => stats.family === 'flowlens_pod_tcp_resets_total')?.evictedSeries, 1);
});

test('many pods and listening ports cannot blow the budgets: new label sets fold into __overflow__', () => {
  const budget = 20;
  const options = new Map<string, FamilyOptions>(
    [...SOCKET_FAMILIES, ...POD_TCP_FAMILIES].map((family) => [
      family.name,
      { ...defaultFamilyOptions(family), budget },
    ]),
  );
  const aggregator = new SocketAggregator(options);
  const pods: PodSockets[] = [];
  for (let i = 0; i < 500; i++) {
    // Every pod its own workload, with 20 listening ports: 10,000 would-be listening series.
    const ports = Array.from({ length: 20 }, (_, port) => 10_000 + i * 20 + port);
    pods.push(pod(`app${i}-0`, 1000 + i, { retransmittedSegments: 1 }, ports));
  }
  for (let scan = 0; scan < 3; scan++) aggregator.add('sockets', { at: scan, pods }, scan);

  for (const family of [...SOCKET_FAMILIES, ...POD_TCP_FAMILIES]) {
    const stats = aggregator.stats().find((candidate) => candidate.family === family.name)!;
    const perLabelSet = family.split === undefined ? 1 : family.split.values.length;
    const found = samples(aggregator, family.name);
    // The budget, plus one overflow series per value of the bounded labels (protocol, state) in use.
    assert.ok(found.size <= (budget + 2) * perLabelSet, `${family.name}: ${found.size} series`);
    assert.ok(stats.overflowedSamples > 0, `${family.name} overflowed`);
    assert.ok(
      [...found.keys()].some((key) => key.includes(`"${OVERFLOW_VALUE}"`)),
      `${family.name} has an overflow series`,
    );
  }
  // Totals stay right: every pod's listening sockets are still counted.
  const listening = [...samples(aggregator, 'flowlens_listening_sockets').values()].reduce((a, b) => a + b, 0);
  assert.equal(listening, 500 * 20);
  const retransmitted = [...samples(aggregator, 'flowlens_pod_tcp_retransmitted_segments_total').values()];
  assert.equal(
    retransmitted.reduce((a, b) => a + b, 0),
    500,
  );
});
