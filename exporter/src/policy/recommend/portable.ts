/**
 * The recommender's inputs as data a `worker_threads` worker can receive: `postMessage` copies with the structured
 * clone algorithm, which keeps plain objects, arrays, Maps, Sets and primitives (bigint CIDRs included) but drops
 * prototypes, so a class instance arrives as a bare object without its methods. The only class instances the
 * recommender's inputs hold are Calico selectors (`Selector`, in the enforced policies' snapshot): `packPortable`
 * replaces each with its AST (plain data, tagged) and `unpackPortable` builds the `Selector` again on the other side,
 * from the same AST, so it evaluates exactly as the original. Anything else that would not survive the copy (a
 * function, another class, a symbol) is refused with its path, so a new field that cannot cross is caught by the
 * tests rather than by a wrong answer.
 */
import { Selector } from '../selector';
import type { SelectorNode } from '../selector/ast';

/** The packed form of a `T`; only `unpackPortable` reads it. */
export interface Portable<T> {
  readonly packed: unknown;
  /** Never set: keeps `T` for `unpackPortable`'s result type. */
  readonly type?: T;
}

/** The key of a packed selector; no field of a policy object or of the model is named so. */
const SELECTOR_TAG = '$flowlensSelector';

export class NotPortableError extends Error {}

/** A copy of `value` that survives structured cloning; throws `NotPortableError` naming what does not, and where. */
export function packPortable<T>(value: T, path: string): Portable<T> {
  return { packed: pack(value, path) };
}

/** The value `packPortable` was given, with its selectors built again. */
export function unpackPortable<T>(portable: Portable<T>): T {
  // The packed form mirrors `T` field for field (packPortable made it from a `T`); only selectors differ, rebuilt here.
  return unpack(portable.packed) as T;
}

function pack(value: unknown, path: string): unknown {
  if (value === null || typeof value !== 'object') {
    if (typeof value === 'function' || typeof value === 'symbol') {
      throw new NotPortableError(`${path}: a ${typeof value} cannot be sent to the recommendation worker`);
    }
    return value;
  }
  if (value instanceof Selector) return { [SELECTOR_TAG]: value.root };
  if (Array.isArray(value)) return value.map((item: unknown, index) => pack(item, `${path}[${index}]`));
  if (value instanceof Map) {
    const copy = new Map<unknown, unknown>();
    for (const [key, item] of value) copy.set(key, pack(item, `${path}.get(${String(key)})`));
    return copy;
  }
  if (value instanceof Set) return new Set([...value].map((item: unknown) => pack(item, `${path} (a set member)`)));
  const prototype: unknown = Object.getPrototypeOf(value);
  if (prototype !== Object.prototype && prototype !== null) {
    const name = (value as { constructor?: { name?: string } }).constructor?.name ?? 'unknown';
    throw new NotPortableError(
      `${path}: a ${name} instance would lose its methods on the way to the recommendation worker; pack it as data`,
    );
  }
  const copy: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) copy[key] = pack(item, `${path}.${key}`);
  return copy;
}

function unpack(value: unknown): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map(unpack);
  if (value instanceof Map) {
    const copy = new Map<unknown, unknown>();
    for (const [key, item] of value) copy.set(key, unpack(item));
    return copy;
  }
  if (value instanceof Set) return new Set([...value].map(unpack));
  const record = value as Record<string, unknown>;
  const root = record[SELECTOR_TAG];
  // The AST is plain data (its sets survive the copy), so the rebuilt selector is the original one.
  if (root !== undefined) return new Selector(root as SelectorNode);
  const copy: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(record)) copy[key] = unpack(item);
  return copy;
}
