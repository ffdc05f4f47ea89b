import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ClusterIndex } from './cluster-index';
import { ClusterViewEnricher, recordTime } from './enricher';
import { projectEndpointSlice, projectPod, projectService } from './projections';
import type { ClusterView } from './view';
import { emptyEndpoint, type FlowRecord } from '../model/flow';
import { parseCidr } from '../policy/kubernetes/cidr';
import { testFlowRecord } from '../testing/records';

/** The index behind the live view, on a clock the test moves (unix seconds). */
class ClockedView extends ClusterIndex implements ClusterView {
  constructor(private readonly clock: { now: number }) {
    super({ nowSeconds: () => clock.now });
  }

  synced(): boolean {
    return true;
  }

  at(seconds: number): this {
    this.clock.now = seconds;
    return this;
  }
}

function pod(name: string, replicaSet: string, ip: string, createdSeconds: number) {
  return projectPod({
    metadata: {
      name,
      namespace: 'shop',
      uid: `uid-${name}`,
      resourceVersion: '10',
      creationTimestamp: new Date(createdSeconds * 1000).toISOString(),
      labels: { app: replicaSet.split('-')[0] ?? '' },
      ownerReferences: [{ kind: 'ReplicaSet', name: replicaSet, controller: true }],
    },
    status: { phase: 'Running', podIP: ip, podIPs: [{ ip }] },
  });
}

function flow(times: Pick<FlowRecord, 'startTime' | 'endTime'>, sourceIp: string, destinationIp: string): FlowRecord {
  return testFlowRecord({
    ...times,
    source: { ...emptyEndpoint(), ip: sourceIp },
    destination: { ...emptyEndpoint(), ip: destinationIp },
  });
}

const T = 1_790_000_000;
const FRONTEND_IP = '10.0.0.9';
const REUSED_IP = '10.0.0.5';

/** frontend talks to 10.0.0.5: pod web-… until it is deleted at T, then pod cart-… from T+5. */
function reusedIpView(): ClockedView {
  const view = new ClockedView({ now: T - 3600 });
  view.upsertPod(pod('frontend-7d4b9c8f5-x2x7k', 'frontend-7d4b9c8f5', FRONTEND_IP, T - 7200));
  view.upsertPod(pod('web-6c9f8d7b5-h7j9k', 'web-6c9f8d7b5', REUSED_IP, T - 3600));
  view.at(T).removePod('shop', 'web-6c9f8d7b5-h7j9k');
  view.at(T + 5).upsertPod(pod('cart-5f6d7c8b9d-q4w8z', 'cart-5f6d7c8b9d', REUSED_IP, T + 5));
  return view;
}

test('two records to a reused IP go to the pod that held it at each record’s end', () => {
  const enricher = new ClusterViewEnricher(reusedIpView());
  // Enriched after the reuse, as a flow log arrives: the older record must not become frontend -> cart.
  const older = flow({ startTime: T - 70, endTime: T - 10 }, FRONTEND_IP, REUSED_IP);
  const newer = flow({ startTime: T + 5, endTime: T + 10 }, FRONTEND_IP, REUSED_IP);
  enricher.enrich(older);
  enricher.enrich(newer);

  for (const record of [older, newer]) {
    assert.equal(record.source.workload, 'frontend');
    assert.equal(record.source.pod, 'frontend-7d4b9c8f5-x2x7k');
  }
  assert.deepEqual(
    [older.destination.kind, older.destination.pod, older.destination.workload, older.destination.workloadKind],
    ['pod', 'web-6c9f8d7b5-h7j9k', 'web', 'Deployment'],
  );
  assert.equal(older.destination.labels?.get('app'), 'web');
  assert.deepEqual(
    [newer.destination.kind, newer.destination.pod, newer.destination.workload, newer.destination.workloadKind],
    ['pod', 'cart-5f6d7c8b9d-q4w8z', 'cart', 'Deployment'],
  );
});

test('a record without an end asks about its start, and one without times about now', () => {
  const enricher = new ClusterViewEnricher(reusedIpView());
  const startOnly = flow({ startTime: T - 10, endTime: 0 }, FRONTEND_IP, REUSED_IP);
  const timeless = flow({ startTime: 0, endTime: 0 }, FRONTEND_IP, REUSED_IP);
  enricher.enrich(startOnly);
  enricher.enrich(timeless);
  assert.equal(startOnly.destination.workload, 'web');
  assert.equal(timeless.destination.workload, 'cart');
});

test('a record older than anything the view knows of a reused IP is left to the fallbacks', () => {
  const enricher = new ClusterViewEnricher(reusedIpView());
  const ancient = flow({ startTime: T - 86_460, endTime: T - 86_400 }, FRONTEND_IP, REUSED_IP);
  enricher.enrich(ancient);
  assert.equal(ancient.destination.workload, '', 'neither web (not created yet) nor cart (a later holder)');
  assert.equal(ancient.destination.kind, 'unknown');
  // The frontend pod is the only holder its IP ever had: today's answer.
  assert.equal(ancient.source.workload, 'frontend');
});

test('the record time is the end, else the start, else none', () => {
  assert.equal(recordTime({ startTime: 100, endTime: 160 }), 160);
  assert.equal(recordTime({ startTime: 100, endTime: 0 }), 100);
  assert.equal(recordTime({ startTime: 0, endTime: 0 }), 0);
});

test('peers outside the pod network in a network set become the set with the longest prefix', () => {
  const view = reusedIpView();
  view.networkSets.upsert('corp', { namespace: '', name: 'corp', nets: [parseCidr('10.0.0.0/8')!] });
  view.networkSets.upsert('shop/db', { namespace: 'shop', name: 'databases', nets: [parseCidr('10.1.0.0/16')!] });
  const enricher = new ClusterViewEnricher(view);
  const unknownPeer = flow({ startTime: 0, endTime: 0 }, FRONTEND_IP, '10.1.2.3');
  enricher.enrich(unknownPeer);
  assert.deepEqual(
    [unknownPeer.destination.kind, unknownPeer.destination.namespace, unknownPeer.destination.workload],
    ['networkset', '', 'databases'],
  );
  // Hubble's `private` placeholder and Calico's `net` record with an IP alike.
  const hubble = flow({ startTime: 0, endTime: 0 }, FRONTEND_IP, '10.200.0.1');
  Object.assign(hubble.destination, { kind: 'private', workload: 'private' });
  const calicoNet = flow({ startTime: 0, endTime: 0 }, FRONTEND_IP, '10.1.9.9');
  Object.assign(calicoNet.destination, { kind: 'world' });
  enricher.enrich(hubble);
  enricher.enrich(calicoNet);
  assert.deepEqual([hubble.destination.kind, hubble.destination.workload], ['networkset', 'corp']);
  assert.deepEqual([calicoNet.destination.kind, calicoNet.destination.workload], ['networkset', 'databases']);
  // Pods keep their pod, addresses in no set their kind.
  const outside = flow({ startTime: 0, endTime: 0 }, FRONTEND_IP, '192.0.2.1');
  Object.assign(outside.destination, { kind: 'world', workload: 'world' });
  enricher.enrich(outside);
  assert.equal(outside.source.kind, 'pod');
  assert.deepEqual([outside.destination.kind, outside.destination.workload], ['world', 'world']);
});

test('a destination pod addressed by its IP gets the service whose EndpointSlices list it', () => {
  const view = reusedIpView();
  view.upsertEndpointSlice(
    projectEndpointSlice({
      metadata: { name: 'web-x1', namespace: 'shop', labels: { 'kubernetes.io/service-name': 'web' } },
      endpoints: [{ addresses: [REUSED_IP], targetRef: { kind: 'Pod', name: 'web-6c9f8d7b5-h7j9k' } }],
    }),
  );
  const enricher = new ClusterViewEnricher(view);
  const record = flow({ startTime: T - 70, endTime: T - 10 }, FRONTEND_IP, REUSED_IP);
  enricher.enrich(record);
  assert.deepEqual(
    [record.destination.pod, record.destination.service, record.destination.serviceNamespace],
    ['web-6c9f8d7b5-h7j9k', 'web', 'shop'],
  );
  assert.equal(record.source.service, '', 'sources are not given services');
  // A source that named the pod and its workload still gets the service; one it named stays.
  const named = flow({ startTime: 0, endTime: 0 }, FRONTEND_IP, '');
  Object.assign(named.destination, { kind: 'pod', namespace: 'shop', pod: 'web-6c9f8d7b5-h7j9k', workload: 'web' });
  const withService = flow({ startTime: 0, endTime: 0 }, FRONTEND_IP, '');
  Object.assign(withService.destination, { kind: 'pod', namespace: 'shop', pod: 'web-6c9f8d7b5-h7j9k', service: 'x' });
  enricher.enrich(named);
  enricher.enrich(withService);
  assert.equal(named.destination.service, 'web');
  assert.equal(withService.destination.service, 'x');
});

test('a DNATed flow gets the service whose cluster IP the source dialled, and the pod behind it', () => {
  const view = reusedIpView();
  // Two services list the pod in no EndpointSlice; only the dialled cluster IP can tell which one was asked for.
  view.upsertService(
    projectService({ metadata: { name: 'web', namespace: 'shop' }, spec: { clusterIP: '10.96.0.20' } }),
  );
  view.upsertService(
    projectService({ metadata: { name: 'web-admin', namespace: 'shop' }, spec: { clusterIP: '10.96.0.21' } }),
  );
  const enricher = new ClusterViewEnricher(view);
  const record = flow({ startTime: T - 70, endTime: T - 10 }, FRONTEND_IP, REUSED_IP);
  record.dialledIp = '10.96.0.21';
  enricher.enrich(record);
  assert.deepEqual(
    [record.destination.pod, record.destination.service, record.destination.serviceNamespace],
    ['web-6c9f8d7b5-h7j9k', 'web-admin', 'shop'],
  );
  const undialled = flow({ startTime: T - 70, endTime: T - 10 }, FRONTEND_IP, REUSED_IP);
  enricher.enrich(undialled);
  assert.equal(undialled.destination.service, '', 'without a dialled IP or a slice, no service');
  const unknownService = flow({ startTime: T - 70, endTime: T - 10 }, FRONTEND_IP, REUSED_IP);
  unknownService.dialledIp = '10.96.9.9';
  enricher.enrich(unknownService);
  assert.equal(unknownService.destination.service, '');
});
