/**
 * A compact store of series for one or more families that share a label set. Label values are interned
 * per label into small ids, each with its exposition fragment (`,name="value"`) rendered once; a series
 * is a row of ids in a typed array, found through an open-addressing hash table over those rows. So a
 * record's lookup allocates nothing and hashes a few integers, however long its labels are. Each series
 * also keeps its rendered label text, flat, made once at insert: a scrape then concatenates one string per
 * sample (about three times faster than joining the fragments at scrape time, for about 270 bytes a series). Interned values are reference-counted and released with
 * the last series that uses them, so churn (pods coming and going) does not grow memory.
 */
import { escapeLabelValue } from './exposition';
import { detached } from '../model/text';

const EMPTY = 0;
const TOMBSTONE = -1;

/** The values of one label: interned strings, their ids, fragments and reference counts. */
class LabelDictionary {
  private readonly idByValue = new Map<string, number>();
  private readonly valueById: (string | undefined)[] = [];
  private readonly fragments: (string | undefined)[] = [];
  private readonly references: number[] = [];
  private readonly freeIds: number[] = [];

  /** The last value found: consecutive records often share it, and comparing is cheaper than hashing. */
  private lastValue = '';
  private lastId = -1;

  constructor(private readonly fragmentOpener: string) {}

  find(value: string): number {
    if (value === this.lastValue && this.lastId >= 0) return this.lastId;
    const id = this.idByValue.get(value) ?? -1;
    this.lastValue = value;
    this.lastId = id;
    return id;
  }

  /** The id of `value`, interning it if new; the caller then holds one reference. */
  acquire(value: string): number {
    let id = this.idByValue.get(value);
    if (id === undefined) {
      if (this.lastValue === value) this.lastId = -1;
      id = this.freeIds.pop() ?? this.fragments.length;
      // Kept as long as a series uses it: a piece of a line must not keep the line's whole chunk of text alive.
      const kept = detached(value);
      this.idByValue.set(kept, id);
      this.valueById[id] = kept;
      this.fragments[id] = `${this.fragmentOpener}${escapeLabelValue(kept)}"`;
      this.references[id] = 0;
    }
    this.references[id] = (this.references[id] ?? 0) + 1;
    return id;
  }

  release(id: number): void {
    const remaining = (this.references[id] ?? 1) - 1;
    this.references[id] = remaining;
    if (remaining > 0) return;
    const value = this.valueById[id];
    if (value === undefined) return;
    this.idByValue.delete(value);
    if (this.lastId === id) this.lastId = -1;
    this.valueById[id] = undefined;
    this.fragments[id] = undefined;
    this.freeIds.push(id);
  }

  fragment(id: number): string {
    return this.fragments[id] ?? '';
  }

  get size(): number {
    return this.idByValue.size;
  }
}

export class SeriesStore {
  private readonly dictionaries: LabelDictionary[];
  private readonly labelCount: number;
  /** The label values of the key being looked up (set with keyValue). */
  private readonly pendingValues: string[];
  private readonly pendingIds: Int32Array;

  private capacity: number;
  private rows: Uint32Array;
  private live: Uint8Array;
  private values: Float64Array;
  /** Whole seconds since the epoch: a TTL needs no finer grain, and 4 bytes a series add up. */
  private lastTouched: Uint32Array;
  private readonly labelTexts: (string | undefined)[] = [];
  private highestSlot = 0;
  private liveCount = 0;
  private readonly freeSlots: number[] = [];

  /** Open addressing, linear probing; entries are slot + 1, 0 empty, -1 a deleted entry. */
  private table: Int32Array;
  private tableMask: number;
  private tombstones = 0;

  constructor(
    labelNames: readonly string[],
    readonly columnCount: number,
    initialCapacity = 256,
  ) {
    this.labelCount = labelNames.length;
    this.dictionaries = labelNames.map((name, index) => new LabelDictionary(`${index === 0 ? '' : ','}${name}="`));
    this.pendingValues = labelNames.map(() => '');
    this.pendingIds = new Int32Array(this.labelCount);
    this.capacity = initialCapacity;
    this.rows = new Uint32Array(initialCapacity * this.labelCount);
    this.live = new Uint8Array(initialCapacity);
    this.values = new Float64Array(initialCapacity * columnCount);
    this.lastTouched = new Uint32Array(initialCapacity);
    this.table = new Int32Array(initialCapacity * 2);
    this.tableMask = this.table.length - 1;
  }

  get size(): number {
    return this.liveCount;
  }

  /** Slots range over [0, slotLimit); see isLive. */
  get slotLimit(): number {
    return this.highestSlot;
  }

  isLive(slot: number): boolean {
    return this.live[slot] === 1;
  }

  /** Sets label `index` of the key to look up next. */
  keyValue(index: number, value: string): void {
    this.pendingValues[index] = value;
    this.pendingIds[index] = this.dictionaries[index]!.find(value);
  }

  /** The slot of the pending key, or -1. */
  find(): number {
    const ids = this.pendingIds;
    for (let i = 0; i < this.labelCount; i++) if (ids[i]! < 0) return -1;
    const hash = hashIds(ids, 0, this.labelCount);
    for (let position = hash & this.tableMask; ; position = (position + 1) & this.tableMask) {
      const entry = this.table[position]!;
      if (entry === EMPTY) return -1;
      if (entry !== TOMBSTONE && this.rowEquals(entry - 1, ids)) return entry - 1;
    }
  }

  /** Inserts the pending key (which find() did not find) and returns its slot, with values at zero. */
  insert(): number {
    const ids = this.pendingIds;
    for (let i = 0; i < this.labelCount; i++) ids[i] = this.dictionaries[i]!.acquire(this.pendingValues[i]!);
    let slot = this.freeSlots.pop();
    if (slot === undefined) {
      if (this.highestSlot === this.capacity) this.grow();
      slot = this.highestSlot++;
    }
    this.rows.set(ids, slot * this.labelCount);
    // join() makes one flat string; += would leave a rope that every scrape walks again.
    const fragments: string[] = [];
    for (let i = 0; i < this.labelCount; i++) fragments.push(this.dictionaries[i]!.fragment(ids[i]!));
    this.labelTexts[slot] = fragments.join('');
    this.values.fill(0, slot * this.columnCount, (slot + 1) * this.columnCount);
    this.live[slot] = 1;
    this.liveCount++;
    if ((this.liveCount + this.tombstones) * 2 > this.table.length) this.rebuildTable(this.table.length * 2);
    this.placeInTable(slot);
    return slot;
  }

  add(slot: number, column: number, value: number): void {
    const index = slot * this.columnCount + column;
    this.values[index] = this.values[index]! + value;
  }

  value(slot: number, column: number): number {
    return this.values[slot * this.columnCount + column]!;
  }

  touch(slot: number, nowSeconds: number): void {
    this.lastTouched[slot] = Math.floor(nowSeconds);
  }

  /** The slot's rendered labels: `a="x",b="y"`. */
  labelText(slot: number): string {
    return this.labelTexts[slot] ?? '';
  }

  /** Removes series not touched since `idleBefore`; calls `onEvict` with each removed slot before it goes. */
  sweep(idleBefore: number, onEvict: (slot: number) => void): void {
    for (let slot = 0; slot < this.highestSlot; slot++) {
      if (this.live[slot] !== 1 || this.lastTouched[slot]! >= idleBefore) continue;
      onEvict(slot);
      this.remove(slot);
    }
    if (this.tombstones * 4 > this.table.length) this.rebuildTable(this.table.length);
  }

  /** Removes every series (a snapshot family about to be refilled); no eviction is reported. */
  removeAll(): void {
    for (let slot = 0; slot < this.highestSlot; slot++) if (this.live[slot] === 1) this.remove(slot);
    this.freeSlots.length = 0;
    this.highestSlot = 0;
    this.rebuildTable(this.table.length);
  }

  /** Interned values per label: bounded by the live series, since unused values are released. */
  internedValues(): number {
    return this.dictionaries.reduce((total, dictionary) => total + dictionary.size, 0);
  }

  private remove(slot: number): void {
    const hash = hashIds(this.rows, slot * this.labelCount, this.labelCount);
    for (let position = hash & this.tableMask; ; position = (position + 1) & this.tableMask) {
      const entry = this.table[position]!;
      if (entry === EMPTY) break;
      if (entry === slot + 1) {
        this.table[position] = TOMBSTONE;
        this.tombstones++;
        break;
      }
    }
    const base = slot * this.labelCount;
    for (let i = 0; i < this.labelCount; i++) this.dictionaries[i]!.release(this.rows[base + i]!);
    this.live[slot] = 0;
    this.labelTexts[slot] = undefined;
    this.liveCount--;
    this.freeSlots.push(slot);
  }

  private rowEquals(slot: number, ids: Int32Array): boolean {
    const base = slot * this.labelCount;
    for (let i = 0; i < this.labelCount; i++) if (this.rows[base + i] !== ids[i]) return false;
    return true;
  }

  private placeInTable(slot: number): void {
    let position = hashIds(this.rows, slot * this.labelCount, this.labelCount) & this.tableMask;
    while (this.table[position]! > 0) position = (position + 1) & this.tableMask;
    if (this.table[position] === TOMBSTONE) this.tombstones--;
    this.table[position] = slot + 1;
  }

  private rebuildTable(size: number): void {
    this.table = new Int32Array(size);
    this.tableMask = size - 1;
    this.tombstones = 0;
    for (let slot = 0; slot < this.highestSlot; slot++) if (this.live[slot] === 1) this.placeInTable(slot);
  }

  private grow(): void {
    // 1.5x rather than 2x: less idle room in the typed arrays, for a few more copies while growing.
    const capacity = Math.ceil(this.capacity * 1.5);
    this.rows = resized(this.rows, capacity * this.labelCount);
    this.live = resized(this.live, capacity);
    this.values = resized(this.values, capacity * this.columnCount);
    this.lastTouched = resized(this.lastTouched, capacity);
    this.capacity = capacity;
  }
}

type TypedArray = Uint32Array | Uint8Array | Float64Array;

function resized<T extends TypedArray>(array: T, length: number): T {
  const grown = new (array.constructor as new (length: number) => T)(length);
  grown.set(array);
  return grown;
}

/** FNV-1a over the ids, with a final avalanche so linear probing sees well-spread positions. */
function hashIds(ids: Int32Array | Uint32Array, start: number, count: number): number {
  let hash = 0x811c9dc5;
  for (let i = start; i < start + count; i++) hash = Math.imul(hash ^ ids[i]!, 0x01000193);
  hash ^= hash >>> 16;
  hash = Math.imul(hash, 0x85ebca6b);
  hash ^= hash >>> 13;
  return hash & 0x7fffffff;
}
