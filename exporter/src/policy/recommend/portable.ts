/**
 * The recommender's inputs as one string a `worker_threads` worker can receive, and back. Why not let `postMessage`
 * copy the objects (the structured clone algorithm)? Two reasons, both measured (docs/benchmarks.md):
 *
 * - it drops prototypes: a class instance arrives as a bare object without its methods, and the enforced policies'
 *   Calico selectors are `Selector` instances the engine calls;
 * - it is slow for many small objects, and it runs on the event loop the worker is there to keep free: on the
 *   bench's 500-workload cluster, packing the selectors and cloning took about 75 ms, this encoding about 20 ms.
 *
 * So `packPortable` writes JSON (one native pass; the string is copied to the worker in one piece) with tagged
 * forms for what JSON cannot say: Maps, Sets, bigints (CIDRs), `undefined`, non-finite numbers and -0, and Selectors
 * (as their AST, plain data, from which `unpackPortable` builds the same `Selector` again). What cannot cross at all
 * (a function, a symbol, an instance of another class) is refused with its path, so a new field that cannot cross
 * is caught by the tests rather than by a wrong answer. `unpackPortable` runs in the worker.
 */
import { Selector } from '../selector';
import type { SelectorNode } from '../selector/ast';

/** The encoded form of a `T`; only `unpackPortable` reads it. */
export interface Portable<T> {
  readonly json: string;
  /** Never set: keeps `T` for `unpackPortable`'s result type. */
  readonly type?: T;
}

/** The key of a tagged value; no field of a policy object or of the model is named so. */
const TAG = '$flowlens';
type Tagged =
  | { [TAG]: 'map'; entries: [unknown, unknown][] }
  | { [TAG]: 'set'; values: unknown[] }
  | { [TAG]: 'bigint'; text: string }
  | { [TAG]: 'number'; text: string }
  | { [TAG]: 'undefined' }
  | { [TAG]: 'selector'; root: SelectorNode };

export class NotPortableError extends Error {}

/** `value` as JSON that `unpackPortable` reads back; throws `NotPortableError` naming what cannot cross, and where. */
export function packPortable<T>(value: T, path: string): Portable<T> {
  try {
    return { json: JSON.stringify(value, encode) };
  } catch (error) {
    if (!(error instanceof NotPortableError)) throw error;
    // The replacer knows only the key: find the whole path, once, for the message.
    throw new NotPortableError(`${locate(value, path, error.message) ?? path}: ${error.message}`);
  }
}

/** The value `packPortable` was given, with its Maps, Sets, bigints and Selectors built again. */
export function unpackPortable<T>(portable: Portable<T>): T {
  // The JSON mirrors a `T` field for field (packPortable wrote it from one); only tagged values differ, rebuilt here.
  return decode(JSON.parse(portable.json)) as T;
}

function encode(_key: string, value: unknown): unknown {
  switch (typeof value) {
    case 'undefined':
      return { [TAG]: 'undefined' };
    case 'bigint':
      return { [TAG]: 'bigint', text: value.toString() };
    case 'number':
      // String(-0) is '0': -0 is written out.
      if (Object.is(value, -0)) return { [TAG]: 'number', text: '-0' };
      return Number.isFinite(value) ? value : { [TAG]: 'number', text: String(value) };
    case 'function':
    case 'symbol':
      throw new NotPortableError(refusal(value));
    case 'object': {
      if (value === null || Array.isArray(value)) return value;
      if (value instanceof Selector) return { [TAG]: 'selector', root: value.root };
      if (value instanceof Map) return { [TAG]: 'map', entries: [...value] };
      if (value instanceof Set) return { [TAG]: 'set', values: [...value] };
      const prototype: unknown = Object.getPrototypeOf(value);
      if (prototype !== Object.prototype && prototype !== null) throw new NotPortableError(refusal(value));
      return value;
    }
    default:
      return value;
  }
}

function refusal(value: unknown): string {
  if (typeof value !== 'object' || value === null)
    return `a ${typeof value} cannot be sent to the recommendation worker`;
  const name = (value as { constructor?: { name?: string } }).constructor?.name ?? 'unknown';
  return `a ${name} instance would lose its methods on the way to the recommendation worker; pack it as data`;
}

/** The path under `path` of the first value `encode` refuses with `message`. */
function locate(value: unknown, path: string, message: string): string | undefined {
  if (typeof value === 'function' || typeof value === 'symbol') return refusal(value) === message ? path : undefined;
  if (typeof value !== 'object' || value === null || value instanceof Selector) return undefined;
  if (!Array.isArray(value) && !(value instanceof Map) && !(value instanceof Set)) {
    const prototype: unknown = Object.getPrototypeOf(value);
    if (prototype !== Object.prototype && prototype !== null) return refusal(value) === message ? path : undefined;
  }
  const children: [string, unknown][] = Array.isArray(value)
    ? value.map((item: unknown, index) => [`${path}[${index}]`, item])
    : value instanceof Map
      ? [...value].map(([key, item]: [unknown, unknown]) => [`${path}.get(${String(key)})`, item])
      : value instanceof Set
        ? [...value].map((item: unknown) => [`${path} (a set member)`, item])
        : Object.entries(value).map(([key, item]) => [`${path}.${key}`, item]);
  for (const [childPath, child] of children) {
    const found = locate(child, childPath, message);
    if (found !== undefined) return found;
  }
  return undefined;
}

function decode(value: unknown): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map(decode);
  const record = value as Record<string, unknown>;
  if (TAG in record) {
    const tagged = record as Tagged;
    switch (tagged[TAG]) {
      case 'map':
        return new Map(tagged.entries.map(([key, item]) => [decode(key), decode(item)]));
      case 'set':
        return new Set(tagged.values.map(decode));
      case 'bigint':
        return BigInt(tagged.text);
      case 'number':
        return Number(tagged.text);
      case 'undefined':
        return undefined;
      case 'selector':
        // The AST with its sets decoded is the original one, so the rebuilt selector evaluates as the original.
        return new Selector(decode(tagged.root) as SelectorNode);
    }
  }
  const copy: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(record)) copy[key] = decode(item);
  return copy;
}
