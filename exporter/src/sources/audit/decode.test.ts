import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AuditDecoder, BoundedSet, eventListItems, type AuditSink, type AuditSkipReason } from './decode';
import type { AuditRecord } from './model';
import { DecodeError } from '../types';
import { auditEvent, line, requestStages } from './samples';

class CollectingAuditSink implements AuditSink {
  readonly records: AuditRecord[] = [];
  readonly skips: AuditSkipReason[] = [];
  audit(record: AuditRecord): void {
    this.records.push(record);
  }
  skipped(reason: AuditSkipReason): void {
    this.skips.push(reason);
  }
}

function decodeLines(lines: readonly string[], decoder = new AuditDecoder()): CollectingAuditSink {
  const sink = new CollectingAuditSink();
  for (const text of lines) decoder.decodeLine(text, sink);
  return sink;
}

function decodeOne(event: object): AuditRecord {
  const sink = decodeLines([JSON.stringify(event)]);
  assert.equal(sink.records.length, 1, `skipped: ${sink.skips.join(', ')}`);
  return sink.records[0]!;
}

function rejection(text: string): DecodeError {
  try {
    decodeLines([text]);
  } catch (error) {
    if (error instanceof DecodeError) return error;
    throw error;
  }
  assert.fail(`accepted: ${text}`);
}

test('a completed get: every field of the record', () => {
  const event = auditEvent();
  const record = decodeOne(event);
  assert.deepEqual(record, {
    auditID: event['auditID'],
    stage: 'ResponseComplete',
    verb: 'get',
    resource: 'pods',
    apiGroup: '',
    namespace: 'shop',
    name: 'cart-5f6d7c8b9d-q4w8z',
    requestURI: '/api/v1/namespaces/shop/pods/cart-5f6d7c8b9d-q4w8z',
    statusCode: 200,
    statusClass: '2xx',
    userName: 'alice@example.com',
    userKind: 'user',
    impersonatedUserName: '',
    userAgent: 'kubectl/v1.31.0 (linux/amd64) kubernetes/abcdef0',
    sourceIPs: ['10.0.0.7'],
    requestReceivedTime: Date.parse('2024-11-19T10:00:00.123Z') / 1000,
    stageTime: Date.parse('2024-11-19T10:00:00.250Z') / 1000,
    policyChange: false,
    rbacChange: false,
    denied: false,
    podAccess: false,
  });
});

test('a short request counts once, at ResponseComplete; RequestReceived is a skip', () => {
  const sink = decodeLines(requestStages(['RequestReceived', 'ResponseComplete']).map(line));
  assert.equal(sink.records.length, 1);
  assert.equal(sink.records[0]?.stage, 'ResponseComplete');
  assert.deepEqual(sink.skips, ['request_received']);
});

test('a panicking request counts once, at Panic, with its 500', () => {
  const stages = requestStages(['RequestReceived', 'Panic'], { responseStatus: { code: 500 } });
  const sink = decodeLines(stages.map(line));
  assert.equal(sink.records.length, 1);
  assert.equal(sink.records[0]?.stage, 'Panic');
  assert.equal(sink.records[0]?.statusClass, '5xx');
});

test('a watch counts at ResponseStarted; its ResponseComplete an hour later is a skip, and forgets it', () => {
  const decoder = new AuditDecoder();
  const watch = requestStages(['RequestReceived', 'ResponseStarted', 'ResponseComplete'], {
    verb: 'watch',
    user: { username: 'system:node:worker-1', groups: ['system:nodes'] },
    objectRef: { resource: 'pods', apiVersion: 'v1' },
    requestURI: '/api/v1/pods?watch=true',
  });
  const started = decodeLines(watch.slice(0, 2).map(line), decoder);
  assert.equal(started.records[0]?.stage, 'ResponseStarted');
  assert.equal(started.records[0]?.userKind, 'system');
  assert.equal(decoder.openRequestCount, 1);
  const completed = decodeLines([line(watch[2]!)], decoder);
  assert.equal(completed.records.length, 0);
  assert.deepEqual(completed.skips, ['counted_at_response_started']);
  assert.equal(decoder.openRequestCount, 0);
});

test('the same ResponseStarted twice is counted once', () => {
  const [started] = requestStages(['ResponseStarted'], { verb: 'watch' });
  const sink = decodeLines([line(started!), line(started!)]);
  assert.equal(sink.records.length, 1);
  assert.deepEqual(sink.skips, ['duplicate']);
});

test('a failed authentication (ResponseStarted, empty user, 401) counts and is not remembered', () => {
  const decoder = new AuditDecoder();
  const event = auditEvent({ stage: 'ResponseStarted', user: {}, responseStatus: { code: 401 }, objectRef: undefined });
  const sink = decodeLines([line(event)], decoder);
  const record = sink.records[0];
  assert.equal(record?.userKind, 'unauthenticated');
  assert.equal(record?.denied, true);
  assert.equal(record?.resource, '');
  assert.equal(decoder.openRequestCount, 0);
});

test('the open requests are bounded: the oldest is forgotten and its final stage counted again', () => {
  const decoder = new AuditDecoder({ maxOpenRequests: 2 });
  const watches = [1, 2, 3].map(() => requestStages(['ResponseStarted', 'ResponseComplete'], { verb: 'watch' }));
  const sink = decodeLines(
    watches.map((stages) => line(stages[0]!)),
    decoder,
  );
  assert.equal(sink.records.length, 3);
  assert.equal(decoder.openRequestCount, 2);
  const finals = decodeLines(
    watches.map((stages) => line(stages[1]!)),
    decoder,
  );
  assert.equal(finals.records.length, 1, 'the evicted first watch');
  assert.equal(finals.records[0]?.auditID, watches[0]![0]!['auditID']);
  assert.deepEqual(finals.skips, ['counted_at_response_started', 'counted_at_response_started']);
});

test('user kinds of decoded events: service account, system, user, unauthenticated', () => {
  const kindOf = (username: string | undefined): string =>
    decodeOne(auditEvent({ user: username === undefined ? {} : { username } })).userKind;
  assert.equal(kindOf('system:serviceaccount:argocd:argocd-application-controller'), 'serviceaccount');
  assert.equal(kindOf('system:kube-controller-manager'), 'system');
  assert.equal(kindOf('system:node:worker-2'), 'system');
  assert.equal(kindOf('bob'), 'user');
  assert.equal(kindOf(undefined), 'unauthenticated');
});

test('an exec into a pod: pods/exec, pod access, counted at ResponseStarted with its 101', () => {
  const exec = requestStages(['RequestReceived', 'ResponseStarted', 'ResponseComplete'], {
    verb: 'create',
    requestURI: '/api/v1/namespaces/shop/pods/cart-0/exec?command=sh&container=cart&stdin=true&tty=true',
    objectRef: { resource: 'pods', subresource: 'exec', namespace: 'shop', name: 'cart-0', apiVersion: 'v1' },
    responseStatus: { code: 101 },
  });
  const sink = decodeLines(exec.map(line));
  assert.equal(sink.records.length, 1);
  const record = sink.records[0];
  assert.equal(record?.resource, 'pods/exec');
  assert.equal(record?.podAccess, true);
  assert.equal(record?.statusClass, '1xx');
  assert.equal(record?.name, 'cart-0');
  assert.deepEqual(sink.skips, ['request_received', 'counted_at_response_started']);
});

test('an RBAC change: a clusterrolebinding created', () => {
  const record = decodeOne(
    auditEvent({
      verb: 'create',
      requestURI: '/apis/rbac.authorization.k8s.io/v1/clusterrolebindings',
      objectRef: { resource: 'clusterrolebindings', name: 'ops-admin', apiGroup: 'rbac.authorization.k8s.io' },
      responseStatus: { code: 201 },
    }),
  );
  assert.equal(record.rbacChange, true);
  assert.equal(record.policyChange, false);
  assert.equal(record.namespace, '');
  assert.equal(record.apiGroup, 'rbac.authorization.k8s.io');
});

test('a NetworkPolicy change by a service account, through impersonation', () => {
  const record = decodeOne(
    auditEvent({
      verb: 'patch',
      user: { username: 'system:serviceaccount:argocd:argocd-application-controller' },
      impersonatedUser: { username: 'deployer' },
      objectRef: {
        resource: 'networkpolicies',
        namespace: 'shop',
        name: 'allow-frontend',
        apiGroup: 'networking.k8s.io',
        apiVersion: 'v1',
      },
    }),
  );
  assert.equal(record.policyChange, true);
  assert.equal(record.rbacChange, false);
  assert.equal(record.userKind, 'serviceaccount');
  assert.equal(record.impersonatedUserName, 'deployer');
});

test('a 403: denied, 4xx', () => {
  const record = decodeOne(
    auditEvent({
      verb: 'delete',
      user: { username: 'mallory' },
      objectRef: { resource: 'tiers', name: 'security', apiGroup: 'projectcalico.org' },
      responseStatus: { code: 403, reason: 'Forbidden' },
    }),
  );
  assert.equal(record.denied, true);
  assert.equal(record.statusClass, '4xx');
  assert.equal(record.policyChange, true, 'an attempted policy change, refused');
});

test('bad lines: every reason, with the field named', () => {
  const cases: { text: string; reason: string; mentions: string }[] = [
    { text: 'not json', reason: 'malformed', mentions: 'invalid JSON' },
    { text: '[1,2]', reason: 'malformed', mentions: 'JSON object' },
    { text: line(auditEvent()).slice(0, 80), reason: 'truncated', mentions: 'invalid JSON' },
    { text: line(auditEvent({ kind: 'EventList' })), reason: 'wrong_type', mentions: '"kind"' },
    { text: line(auditEvent({ apiVersion: 'v1' })), reason: 'wrong_type', mentions: '"apiVersion"' },
    { text: line(auditEvent({ auditID: undefined })), reason: 'missing_field', mentions: '"auditID"' },
    { text: line(auditEvent({ auditID: '' })), reason: 'missing_field', mentions: '"auditID"' },
    { text: line(auditEvent({ stage: undefined })), reason: 'missing_field', mentions: '"stage"' },
    { text: line(auditEvent({ stage: 'Done' })), reason: 'wrong_type', mentions: '"stage"' },
    { text: line(auditEvent({ verb: undefined })), reason: 'missing_field', mentions: '"verb"' },
    { text: line(auditEvent({ user: undefined })), reason: 'missing_field', mentions: '"user"' },
    { text: line(auditEvent({ user: 'alice' })), reason: 'wrong_type', mentions: '"user"' },
    { text: line(auditEvent({ user: { username: ['a'] } })), reason: 'wrong_type', mentions: '"user.username"' },
    {
      text: line(auditEvent({ objectRef: { resource: true } })),
      reason: 'wrong_type',
      mentions: '"objectRef.resource"',
    },
    { text: line(auditEvent({ responseStatus: undefined })), reason: 'missing_field', mentions: '"responseStatus"' },
    { text: line(auditEvent({ responseStatus: {} })), reason: 'missing_field', mentions: '"responseStatus.code"' },
    {
      text: line(auditEvent({ responseStatus: { code: '200' } })),
      reason: 'wrong_type',
      mentions: '"responseStatus.code"',
    },
    { text: line(auditEvent({ responseStatus: { code: 42 } })), reason: 'wrong_type', mentions: '100..599' },
    { text: line(auditEvent({ sourceIPs: '10.0.0.1' })), reason: 'wrong_type', mentions: '"sourceIPs"' },
    {
      text: line(auditEvent({ requestReceivedTimestamp: undefined })),
      reason: 'missing_field',
      mentions: '"requestReceivedTimestamp"',
    },
    { text: line(auditEvent({ stageTimestamp: 'yesterday' })), reason: 'wrong_type', mentions: '"stageTimestamp"' },
    {
      text: line(auditEvent({ stageTimestamp: '2024-13-45T10:00:00Z' })),
      reason: 'wrong_type',
      mentions: '"stageTimestamp"',
    },
  ];
  for (const { text, reason, mentions } of cases) {
    const error = rejection(text);
    assert.equal(error.reason, reason, `${text.slice(0, 100)}: ${error.message}`);
    assert.ok(error.message.includes(mentions), `${error.message} should mention ${mentions}`);
  }
});

test('a RequestReceived event needs only its identity: the later stage carries the rest', () => {
  const sink = decodeLines([line(auditEvent({ stage: 'RequestReceived', responseStatus: undefined }))]);
  assert.deepEqual(sink.skips, ['request_received']);
});

test('a rejected ResponseStarted leaves no open request behind', () => {
  const decoder = new AuditDecoder();
  const bad = auditEvent({ stage: 'ResponseStarted', verb: 'watch', stageTimestamp: 'soon' });
  assert.throws(() => decodeLines([line(bad)], decoder), DecodeError);
  assert.equal(decoder.openRequestCount, 0);
});

test('an EventList: each event decoded in order, bad ones reported with their index without stopping the rest', () => {
  const [received, complete] = requestStages(['RequestReceived', 'ResponseComplete']);
  const list = {
    kind: 'EventList',
    apiVersion: 'audit.k8s.io/v1',
    metadata: {},
    items: [received, auditEvent({ verb: ['get'] }), complete],
  };
  const sink = new CollectingAuditSink();
  const errors: DecodeError[] = [];
  new AuditDecoder().decodeEventList(JSON.stringify(list), sink, (error) => errors.push(error));
  assert.equal(sink.records.length, 1);
  assert.deepEqual(sink.skips, ['request_received']);
  assert.equal(errors.length, 1);
  assert.equal(errors[0]?.reason, 'wrong_type');
  assert.match(errors[0]?.message ?? '', /^items\[1\]: field "verb"/);
});

test('not an EventList: the body is rejected as a whole', () => {
  const reasonOf = (body: string): string => {
    try {
      eventListItems(body);
    } catch (error) {
      if (error instanceof DecodeError) return `${error.reason}: ${error.message}`;
      throw error;
    }
    return 'accepted';
  };
  assert.match(reasonOf('{"kind":"EventLi'), /^truncated/);
  assert.match(reasonOf('"items"'), /^malformed/);
  assert.match(reasonOf('{"kind":"Event","items":[]}'), /^wrong_type: field "kind"/);
  assert.match(reasonOf('{"kind":"EventList"}'), /^missing_field: field "items"/);
  assert.match(reasonOf('{"kind":"EventList","items":{}}'), /^wrong_type: field "items"/);
  assert.match(reasonOf('{"kind":"EventList","items":[{}, 3]}'), /^wrong_type: field "items\[1\]"/);
  assert.equal(reasonOf('{"kind":"EventList","items":null}'), 'accepted');
  assert.deepEqual(eventListItems({ items: [] }), []);
});

test('BoundedSet keeps at most its capacity, evicting the oldest', () => {
  const set = new BoundedSet(2);
  set.add('a');
  set.add('b');
  set.add('a');
  set.add('c');
  assert.equal(set.size, 2);
  assert.ok(!set.has('a'));
  assert.ok(set.has('b') && set.has('c'));
  assert.throws(() => new BoundedSet(0), RangeError);
});
