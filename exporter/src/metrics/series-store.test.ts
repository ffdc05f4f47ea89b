import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SeriesStore } from './series-store';

function setKey(store: SeriesStore, values: string[]): void {
  values.forEach((value, index) => store.keyValue(index, value));
}

function findOrInsert(store: SeriesStore, values: string[]): number {
  setKey(store, values);
  const slot = store.find();
  return slot >= 0 ? slot : store.insert();
}

test('keys are found again, values add up per column, labels render escaped', () => {
  const store = new SeriesStore(['a', 'b'], 2, 4);
  const first = findOrInsert(store, ['x', 'y"z']);
  store.add(first, 0, 2);
  store.add(first, 1, 5);
  assert.equal(findOrInsert(store, ['x', 'y"z']), first);
  store.add(first, 0, 3);
  assert.equal(store.value(first, 0), 5);
  assert.equal(store.value(first, 1), 5);
  assert.equal(store.labelText(first), 'a="x",b="y\\"z"');
  assert.notEqual(findOrInsert(store, ['y"z', 'x']), first, 'the same values under other labels are another series');
});

test('thousands of series survive growth, eviction of half and reinsertion', () => {
  const store = new SeriesStore(['workload', 'port'], 1, 4);
  const slots = new Map<string, number>();
  for (let i = 0; i < 5000; i++) {
    const slot = findOrInsert(store, [`w${i % 700}`, String(i)]);
    store.add(slot, 0, i);
    store.touch(slot, i % 2 === 0 ? 100 : 10);
    slots.set(String(i), slot);
  }
  assert.equal(store.size, 5000);
  store.sweep(50, () => undefined);
  assert.equal(store.size, 2500);
  for (let i = 0; i < 5000; i++) {
    setKey(store, [`w${i % 700}`, String(i)]);
    const slot = store.find();
    if (i % 2 === 0) assert.equal(store.value(slot, 0), i, `series ${i} kept its value`);
    else assert.equal(slot, -1, `series ${i} was evicted`);
  }
  for (let i = 1; i < 5000; i += 2) {
    const slot = findOrInsert(store, [`w${i % 700}`, String(i)]);
    assert.equal(store.value(slot, 0), 0, 'a reinserted series starts at zero');
  }
  assert.equal(store.size, 5000);
  assert.equal(store.slotLimit, 5000, 'freed slots were reused');
});

test('churn releases interned label values, so memory stays bounded', () => {
  const store = new SeriesStore(['pod'], 1);
  for (let round = 0; round < 50; round++) {
    for (let pod = 0; pod < 100; pod++) store.touch(findOrInsert(store, [`pod-${round}-${pod}`]), round);
    store.sweep(round, () => undefined);
  }
  assert.equal(store.size, 100);
  assert.equal(store.internedValues(), 100);
});
