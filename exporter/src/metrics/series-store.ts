/**
 * A compact store of series for one or more families that share a label set: the rendered label string
 * is the key (and is what the exposition writes, so it exists once), values live in Float64Array columns,
 * one per value the families keep. This keeps a series near the size of its label text rather than an
 * object graph per series, and lets the exposition concatenate pre-rendered labels at scrape time.
 */
export class SeriesStore {
  private readonly slotByKey = new Map<string, number>();
  private readonly keys: (string | undefined)[] = [];
  private columns: Float64Array[];
  private lastTouched: Float64Array;
  private readonly freeSlots: number[] = [];

  constructor(
    readonly columnCount: number,
    initialCapacity = 1024,
  ) {
    this.columns = Array.from({ length: columnCount }, () => new Float64Array(initialCapacity));
    this.lastTouched = new Float64Array(initialCapacity);
  }

  get size(): number {
    return this.slotByKey.size;
  }

  /** Slots range over [0, slotLimit); freed slots have no key. */
  get slotLimit(): number {
    return this.keys.length;
  }

  find(key: string): number {
    return this.slotByKey.get(key) ?? -1;
  }

  insert(key: string): number {
    const reused = this.freeSlots.pop();
    const slot = reused ?? this.keys.length;
    if (reused === undefined) {
      this.keys.push(key);
      this.ensureCapacity(slot + 1);
    } else {
      this.keys[slot] = key;
      for (const column of this.columns) column[slot] = 0;
    }
    this.slotByKey.set(key, slot);
    return slot;
  }

  add(slot: number, column: number, value: number): void {
    const values = this.columns[column];
    if (values !== undefined) values[slot] = (values[slot] ?? 0) + value;
  }

  touch(slot: number, nowSeconds: number): void {
    this.lastTouched[slot] = nowSeconds;
  }

  keyAt(slot: number): string | undefined {
    return this.keys[slot];
  }

  value(slot: number, column: number): number {
    return this.columns[column]?.[slot] ?? 0;
  }

  /** Removes series not touched since `idleBefore`; calls `onEvict` with each removed key. */
  sweep(idleBefore: number, onEvict: (key: string) => void): void {
    for (let slot = 0; slot < this.keys.length; slot++) {
      const key = this.keys[slot];
      if (key === undefined || (this.lastTouched[slot] ?? 0) >= idleBefore) continue;
      this.slotByKey.delete(key);
      this.keys[slot] = undefined;
      this.freeSlots.push(slot);
      onEvict(key);
    }
  }

  private ensureCapacity(needed: number): void {
    if (needed <= this.lastTouched.length) return;
    const capacity = Math.max(needed, this.lastTouched.length * 2);
    this.columns = this.columns.map((column) => grow(column, capacity));
    this.lastTouched = grow(this.lastTouched, capacity);
  }
}

function grow(array: Float64Array, capacity: number): Float64Array {
  const grown = new Float64Array(capacity);
  grown.set(array);
  return grown;
}
