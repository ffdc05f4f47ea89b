/**
 * Kubernetes audit events (audit.k8s.io/v1 `Event`) to audit records: one event per JSON line from the log backend,
 * or an `EventList` body from the webhook backend.
 *
 * One request yields an event per stage; it is counted once:
 * - `RequestReceived` is never counted (skipped): every request that gets a response has a later stage.
 * - `ResponseStarted` is only emitted for long-running requests (watch, exec, attach, port-forward, proxy) and for
 *   failed authentication. A watch may run for an hour before its `ResponseComplete`, and a failed authentication
 *   has no later stage, so these requests are counted here, at the start, and their auditID is remembered.
 * - `ResponseComplete` and `Panic` are counted, unless their auditID was counted at `ResponseStarted`.
 * The remembered auditIDs are the open long-running requests: an ID leaves the set when its final stage arrives,
 * and the set is bounded (oldest evicted first), so memory stays bounded; an evicted request's final stage is
 * counted a second time. Failed authentications (empty user) are not remembered: they never have a later stage.
 * If the audit policy omits `ResponseStarted`, long-running requests are counted at their final stage instead.
 * Not de-duplicated: an event delivered twice (a webhook batch retried after its response was lost), or a final
 * stage whose `ResponseStarted` was seen before a restart.
 */
import {
  describeType,
  isObject,
  optionalObject,
  optionalString,
  optionalStringArray,
  parseJsonObject,
  requiredCount,
  requiredString,
  type JsonObject,
} from '../json-fields';
import { DecodeError } from '../types';
import { AUDIT_STAGES, buildAuditRecord, type AuditRecord, type AuditStage } from './model';

/** Where decoded audit records go. */
export interface AuditSink {
  audit(record: AuditRecord): void;
  /** A valid event that is not counted; see AuditSkipReason. */
  skipped(reason: AuditSkipReason): void;
}

export type AuditSkipReason =
  /** A RequestReceived event: the request is counted at a later stage. */
  | 'request_received'
  /** The final stage of a long-running request counted at ResponseStarted. */
  | 'counted_at_response_started'
  /** A second ResponseStarted for a request already counted. */
  | 'duplicate';

export interface AuditDecoderOptions {
  /** How many open long-running requests (counted at ResponseStarted) to remember. Default 65,536. */
  maxOpenRequests?: number;
}

export const DEFAULT_MAX_OPEN_REQUESTS = 65_536;

/** A set of strings holding at most `capacity` entries; adding to a full set evicts the oldest entry. */
export class BoundedSet {
  private readonly entries = new Set<string>();

  constructor(readonly capacity: number) {
    if (!Number.isSafeInteger(capacity) || capacity < 1) throw new RangeError('capacity must be a positive integer');
  }

  get size(): number {
    return this.entries.size;
  }

  has(value: string): boolean {
    return this.entries.has(value);
  }

  add(value: string): void {
    if (this.entries.has(value)) return;
    if (this.entries.size >= this.capacity) {
      const oldest = this.entries.values().next();
      if (oldest.done !== true) this.entries.delete(oldest.value);
    }
    this.entries.add(value);
  }

  delete(value: string): boolean {
    return this.entries.delete(value);
  }
}

/** Decodes audit events; keeps the open long-running requests, so use one decoder per audit stream. */
export class AuditDecoder {
  private readonly openRequests: BoundedSet;

  constructor(options: AuditDecoderOptions = {}) {
    this.openRequests = new BoundedSet(options.maxOpenRequests ?? DEFAULT_MAX_OPEN_REQUESTS);
  }

  /** Open long-running requests remembered (for tests and a gauge). */
  get openRequestCount(): number {
    return this.openRequests.size;
  }

  /** One line of the log backend. Throws DecodeError on bad input. */
  decodeLine(line: string, sink: AuditSink): void {
    this.decodeEvent(parseJsonObject(line), sink);
  }

  /** One event, already parsed (an item of an EventList). Throws DecodeError on bad input. */
  decodeEvent(event: JsonObject, sink: AuditSink): void {
    checkKind(event, 'Event');
    const auditID = requiredString(event, 'auditID');
    if (auditID === '') throw new DecodeError('missing_field', 'field "auditID" is empty');
    const stage = readStage(event);
    if (stage === 'RequestReceived') return sink.skipped('request_received');

    // Decode before touching the open set, so a bad event leaves no trace.
    const record = decodeRequest(event, auditID, stage);
    if (stage === 'ResponseStarted') {
      if (this.openRequests.has(auditID)) return sink.skipped('duplicate');
      if (record.userKind !== 'unauthenticated') this.openRequests.add(auditID);
      return sink.audit(record);
    }
    if (this.openRequests.delete(auditID)) return sink.skipped('counted_at_response_started');
    sink.audit(record);
  }

  /**
   * The events of a webhook `EventList`, in order. A bad event does not stop the others: it goes to `onError`
   * with its index in the message. Throws DecodeError when the body itself is not an EventList.
   */
  decodeEventList(body: string | JsonObject, sink: AuditSink, onError: (error: DecodeError) => void): void {
    this.decodeEvents(eventListItems(body), sink, onError);
  }

  /** The items of an EventList already checked (what the webhook handler passes on); bad ones go to `onError`. */
  decodeEvents(events: readonly JsonObject[], sink: AuditSink, onError: (error: DecodeError) => void): void {
    for (const [index, event] of events.entries()) {
      try {
        this.decodeEvent(event, sink);
      } catch (error) {
        if (!(error instanceof DecodeError)) throw error;
        onError(new DecodeError(error.reason, `items[${index}]: ${error.message}`));
      }
    }
  }
}

/**
 * The items of an `EventList` (JSON text or parsed). Throws DecodeError unless it is an object with an `items`
 * array of objects (`null` items, Go's empty list, is an empty list); `kind` and `apiVersion` are checked if present.
 */
export function eventListItems(body: string | JsonObject): JsonObject[] {
  const list = typeof body === 'string' ? parseJsonObject(body) : body;
  checkKind(list, 'EventList');
  const items = list['items'];
  if (items === undefined) throw new DecodeError('missing_field', 'field "items" is missing');
  if (items === null) return [];
  if (!Array.isArray(items)) {
    throw new DecodeError('wrong_type', `field "items" must be an array, got ${describeType(items)}`);
  }
  return items.map((item: unknown, index) => {
    if (!isObject(item)) {
      throw new DecodeError('wrong_type', `field "items[${index}]" must be an object, got ${describeType(item)}`);
    }
    return item;
  });
}

function checkKind(object: JsonObject, expected: 'Event' | 'EventList'): void {
  const kind = optionalString(object, 'kind');
  if (kind !== '' && kind !== expected) {
    throw new DecodeError('wrong_type', `field "kind" must be "${expected}", got "${kind}"`);
  }
  const apiVersion = optionalString(object, 'apiVersion');
  if (apiVersion !== '' && !apiVersion.startsWith('audit.k8s.io/')) {
    throw new DecodeError('wrong_type', `field "apiVersion" must be audit.k8s.io/v1, got "${apiVersion}"`);
  }
}

function readStage(event: JsonObject): AuditStage {
  const text = requiredString(event, 'stage');
  const stage = AUDIT_STAGES.find((candidate) => candidate === text);
  if (stage === undefined) {
    throw new DecodeError('wrong_type', `field "stage" must be one of ${AUDIT_STAGES.join(', ')}, got "${text}"`);
  }
  return stage;
}

function decodeRequest(event: JsonObject, auditID: string, stage: AuditStage): AuditRecord {
  const user = optionalObject(event, 'user');
  if (user === undefined) throw new DecodeError('missing_field', 'field "user" is missing');
  const impersonated = optionalObject(event, 'impersonatedUser');
  const objectRef = optionalObject(event, 'objectRef');
  const responseStatus = optionalObject(event, 'responseStatus');
  if (responseStatus === undefined) throw new DecodeError('missing_field', 'field "responseStatus" is missing');
  const statusCode = within('responseStatus', () => requiredCount(responseStatus, 'code'));
  if (statusCode < 100 || statusCode > 599) {
    throw new DecodeError('wrong_type', `field "responseStatus.code" must be in 100..599, got ${statusCode}`);
  }
  const ref = (field: string): string =>
    objectRef === undefined ? '' : within('objectRef', () => optionalString(objectRef, field));
  return buildAuditRecord({
    auditID,
    stage,
    verb: requiredString(event, 'verb'),
    baseResource: ref('resource'),
    subresource: ref('subresource'),
    apiGroup: ref('apiGroup'),
    namespace: ref('namespace'),
    name: ref('name'),
    requestURI: optionalString(event, 'requestURI'),
    statusCode,
    userName: within('user', () => optionalString(user, 'username')),
    impersonatedUserName:
      impersonated === undefined ? '' : within('impersonatedUser', () => optionalString(impersonated, 'username')),
    userAgent: optionalString(event, 'userAgent'),
    sourceIPs: optionalStringArray(event, 'sourceIPs'),
    requestReceivedTime: requiredTimestamp(event, 'requestReceivedTimestamp'),
    stageTime: requiredTimestamp(event, 'stageTimestamp'),
  });
}

/** Kubernetes MicroTime: RFC 3339 with up to microseconds, e.g. `2024-11-19T10:00:00.123456Z`. */
const TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/;

function requiredTimestamp(event: JsonObject, field: string): number {
  const text = requiredString(event, field);
  const millis = TIMESTAMP.test(text) ? Date.parse(text) : Number.NaN;
  if (Number.isNaN(millis)) {
    throw new DecodeError('wrong_type', `field "${field}" must be an RFC 3339 timestamp, got ${describeType(text)}`);
  }
  return millis / 1000;
}

/** Runs a field accessor on a nested object, so its error names the full path (`objectRef.resource`). */
function within<T>(path: string, read: () => T): T {
  try {
    return read();
  } catch (error) {
    if (!(error instanceof DecodeError)) throw error;
    throw new DecodeError(error.reason, error.message.replace('field "', `field "${path}.`));
  }
}
