/**
 * The PacketCapture resource (`flowlens.io/v1alpha1`, namespaced), parsed and validated in one place for the
 * controller, the file API and the command line. Errors name the object, the field and the fix, e.g.
 * `PacketCapture shop/web-debug: spec.snapLength must be an integer from 64 to 262144, got number 10`.
 *
 * spec:
 *   selector:    a label selector over the pods of the capture's namespace ({} selects them all)
 *   filters:     [{protocol, ports}] (OR between filters, AND inside one; see filters.ts)
 *   startTime:   RFC 3339; default: when the resource was created
 *   endTime | duration ("30s", "5m", "1h30m"): when to stop; default duration 1m, at most 24h
 *   snapLength:  bytes kept of each packet, 64..262144 (default 262144: whole packets)
 *   maxBytes:    bytes of files per node, 1 KiB..10 GiB (default 100 MiB)
 */
import {
  FieldContext,
  isAbsent,
  PolicyParseError,
  rejectUnknownFields,
  requireObject,
} from '../policy/kubernetes/fields';
import { parseLabelSelector, type LabelSelector } from '../policy/kubernetes/label-selector';
import { CaptureSpecError, parseCaptureFilters, type CaptureFilter } from './filters';
import { DEFAULT_SNAP_LENGTH } from './runner';

export const PACKET_CAPTURE_GROUP = 'flowlens.io';
export const PACKET_CAPTURE_VERSION = 'v1alpha1';
export const PACKET_CAPTURE_API_VERSION = `${PACKET_CAPTURE_GROUP}/${PACKET_CAPTURE_VERSION}`;
export const PACKET_CAPTURE_KIND = 'PacketCapture';
export const PACKET_CAPTURE_PLURAL = 'packetcaptures';

export const DEFAULT_DURATION_MS = 60_000;
export const MAX_DURATION_MS = 24 * 3_600_000;
export const DEFAULT_MAX_BYTES = 100 * 1024 * 1024;
export const MAX_MAX_BYTES = 10 * 1024 * 1024 * 1024;
export const MIN_SNAP_LENGTH = 64;

export interface PacketCaptureSpec {
  readonly selector: LabelSelector;
  readonly filters: readonly CaptureFilter[];
  /** Milliseconds since the epoch. */
  readonly startMs: number;
  readonly endMs: number;
  readonly snapLength: number;
  readonly maxBytes: number;
}

export interface PacketCapture {
  readonly namespace: string;
  readonly name: string;
  readonly uid: string;
  readonly spec: PacketCaptureSpec;
}

const DURATION = /^(?:(\d+)h)?(?:(\d+)m(?!s))?(?:(\d+)s)?(?:(\d+)ms)?$/;

/** A Go-style duration: `90s`, `5m`, `1h30m`, `500ms`; at least 1 ms and at most 24 h. */
export function parseDuration(text: string, field: string, maxMs: number = MAX_DURATION_MS): number {
  const match = DURATION.exec(text.trim());
  if (match === null || text.trim() === '') {
    throw new CaptureSpecError(`${field} "${text}" is not a duration: write it like 30s, 5m or 1h30m`);
  }
  const [hours, minutes, seconds, milliseconds] = match.slice(1).map((part) => Number(part ?? '0')) as [
    number,
    number,
    number,
    number,
  ];
  const ms = ((hours * 60 + minutes) * 60 + seconds) * 1000 + milliseconds;
  if (ms < 1 || ms > maxMs) {
    throw new CaptureSpecError(`${field} "${text}" must be between 1ms and ${maxMs / 3_600_000}h`);
  }
  return ms;
}

const BYTE_SUFFIXES: Record<string, number> = { '': 1, Ki: 1024, Mi: 1024 ** 2, Gi: 1024 ** 3, K: 1e3, M: 1e6, G: 1e9 };

/** A byte count: an integer, optionally with a Kubernetes quantity suffix (Ki, Mi, Gi, K, M, G). */
export function parseByteCount(value: unknown, field: string, min: number, max: number): number {
  let bytes: number | undefined;
  if (typeof value === 'number' && Number.isSafeInteger(value)) bytes = value;
  if (typeof value === 'string') {
    const match = /^(\d{1,15})(Ki|Mi|Gi|K|M|G)?$/.exec(value.trim());
    if (match !== null) bytes = Number(match[1]) * BYTE_SUFFIXES[match[2] ?? '']!;
  }
  if (bytes === undefined || bytes < min || bytes > max) {
    throw new CaptureSpecError(
      `${field} must be a byte count from ${min} to ${max} (an integer, or with Ki, Mi or Gi), got ${JSON.stringify(value) ?? 'nothing'}`,
    );
  }
  return bytes;
}

function parseTime(value: unknown, field: string): number {
  const ms = typeof value === 'string' && /^\d{4}-\d\d-\d\dT/.test(value) ? Date.parse(value) : NaN;
  if (Number.isNaN(ms)) {
    throw new CaptureSpecError(
      `${field} must be an RFC 3339 time such as 2026-11-26T10:00:00Z, got ${JSON.stringify(value) ?? 'nothing'}`,
    );
  }
  return ms;
}

/** `spec` of a PacketCapture; `createdMs` is the default start. */
export function parsePacketCaptureSpec(value: unknown, subject: string, createdMs: number): PacketCaptureSpec {
  const context = new FieldContext(subject);
  const prefixed = <T>(parse: () => T): T => {
    try {
      return parse();
    } catch (error) {
      if (error instanceof CaptureSpecError) throw new CaptureSpecError(`${subject}: ${error.message}`);
      if (error instanceof PolicyParseError) throw new CaptureSpecError(error.message);
      throw error;
    }
  };
  return prefixed(() => {
    const spec = requireObject(value, 'spec', context);
    rejectUnknownFields(
      spec,
      ['selector', 'filters', 'startTime', 'endTime', 'duration', 'snapLength', 'maxBytes'],
      'spec',
      context,
    );
    const selector = isAbsent(spec['selector'])
      ? context.fail('spec.selector', 'is required: a label selector over the namespace’s pods ({} selects all)')
      : parseLabelSelector(spec['selector'], 'spec.selector', context);
    const filters = parseCaptureFilters(spec['filters'], 'spec.filters');
    const startMs = isAbsent(spec['startTime']) ? createdMs : parseTime(spec['startTime'], 'spec.startTime');
    let endMs: number;
    if (!isAbsent(spec['endTime']) && !isAbsent(spec['duration'])) {
      throw new CaptureSpecError('spec.endTime and spec.duration are exclusive: give one of them');
    } else if (!isAbsent(spec['endTime'])) {
      endMs = parseTime(spec['endTime'], 'spec.endTime');
      if (endMs <= startMs) throw new CaptureSpecError('spec.endTime must be after the start (spec.startTime)');
      if (endMs - startMs > MAX_DURATION_MS)
        throw new CaptureSpecError('spec.endTime is more than 24h after the start');
    } else if (!isAbsent(spec['duration'])) {
      const duration = spec['duration'];
      if (typeof duration !== 'string') {
        throw new CaptureSpecError(`spec.duration must be a string such as "5m", got ${JSON.stringify(duration)}`);
      }
      endMs = startMs + parseDuration(duration, 'spec.duration');
    } else {
      endMs = startMs + DEFAULT_DURATION_MS;
    }
    const snapLength = isAbsent(spec['snapLength']) ? DEFAULT_SNAP_LENGTH : spec['snapLength'];
    if (
      typeof snapLength !== 'number' ||
      !Number.isInteger(snapLength) ||
      snapLength < MIN_SNAP_LENGTH ||
      snapLength > DEFAULT_SNAP_LENGTH
    ) {
      throw new CaptureSpecError(
        `spec.snapLength must be an integer from ${MIN_SNAP_LENGTH} to ${DEFAULT_SNAP_LENGTH}, got ${JSON.stringify(snapLength)}`,
      );
    }
    const maxBytes = isAbsent(spec['maxBytes'])
      ? DEFAULT_MAX_BYTES
      : parseByteCount(spec['maxBytes'], 'spec.maxBytes', 1024, MAX_MAX_BYTES);
    return { selector, filters, startMs, endMs, snapLength, maxBytes };
  });
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;

/** Names become folder names: a namespace is a DNS label, a resource name a DNS subdomain, never `..` or `/`. */
export function isSafeCaptureName(namespace: string, name: string): boolean {
  return DNS_LABEL.test(namespace) && DNS_SUBDOMAIN.test(name) && !name.includes('..');
}

/** A whole PacketCapture object, as the API server sends it. */
export function parsePacketCapture(object: unknown): PacketCapture {
  const context = new FieldContext('PacketCapture');
  let top;
  let metadata;
  try {
    top = requireObject(object, '', context);
    metadata = requireObject(top['metadata'], 'metadata', context);
  } catch (error) {
    throw new CaptureSpecError(error instanceof Error ? error.message : String(error));
  }
  const namespace = typeof metadata['namespace'] === 'string' ? metadata['namespace'] : '';
  const name = typeof metadata['name'] === 'string' ? metadata['name'] : '';
  if (!isSafeCaptureName(namespace, name)) {
    throw new CaptureSpecError(
      `PacketCapture ${JSON.stringify(namespace)}/${JSON.stringify(name)}: metadata.namespace must be a DNS label and metadata.name a DNS subdomain`,
    );
  }
  const subject = `PacketCapture ${namespace}/${name}`;
  const created = typeof metadata['creationTimestamp'] === 'string' ? Date.parse(metadata['creationTimestamp']) : NaN;
  const uid = typeof metadata['uid'] === 'string' ? metadata['uid'] : '';
  const spec = parsePacketCaptureSpec(top['spec'], subject, Number.isNaN(created) ? Date.now() : created);
  return { namespace, name, uid, spec };
}
