/** Test support: audit events as the API server writes them, built from a base with the fields a test changes. */
import type { JsonObject } from '../json-fields';

export type EventOverrides = { [key: string]: unknown };

let nextId = 0;

/** A unique auditID, shaped like the API server's UUIDs. */
export function newAuditId(): string {
  nextId += 1;
  return `00000000-0000-4000-8000-${nextId.toString(16).padStart(12, '0')}`;
}

/** A completed `get` of a pod by a person, at Metadata level; `overrides` replace top-level fields. */
export function auditEvent(overrides: EventOverrides = {}): JsonObject {
  return {
    kind: 'Event',
    apiVersion: 'audit.k8s.io/v1',
    level: 'Metadata',
    auditID: newAuditId(),
    stage: 'ResponseComplete',
    requestURI: '/api/v1/namespaces/shop/pods/cart-5f6d7c8b9d-q4w8z',
    verb: 'get',
    user: { username: 'alice@example.com', groups: ['system:authenticated', 'devs'] },
    sourceIPs: ['10.0.0.7'],
    userAgent: 'kubectl/v1.31.0 (linux/amd64) kubernetes/abcdef0',
    objectRef: { resource: 'pods', namespace: 'shop', name: 'cart-5f6d7c8b9d-q4w8z', apiVersion: 'v1' },
    responseStatus: { metadata: {}, code: 200 },
    requestReceivedTimestamp: '2024-11-19T10:00:00.123456Z',
    stageTimestamp: '2024-11-19T10:00:00.250000Z',
    annotations: { 'authorization.k8s.io/decision': 'allow', 'authorization.k8s.io/reason': '' },
    ...overrides,
  };
}

/** The same request at each of the given stages (same auditID), as the log backend writes them. */
export function requestStages(stages: readonly string[], overrides: EventOverrides = {}): JsonObject[] {
  const auditID = newAuditId();
  return stages.map((stage) => auditEvent({ ...overrides, auditID, stage }));
}

export function line(event: JsonObject): string {
  return JSON.stringify(event);
}
