/**
 * The aggregate stage: flow records into series of the record families, under each family's budget and
 * TTL. Families of a group whose aggregation options agree share one SeriesStore (one key, several value
 * columns), so a record costs one label rendering and one map lookup per store, not per family.
 */
import {
  BOUNDED_LABELS,
  FLOW_LABEL_VALUES,
  OVERFLOW_VALUE,
  RECORD_FAMILIES,
  type AggregationLevel,
  type FlowLabel,
  type RecordFamilyDefinition,
} from './catalogue';
import { formatValue } from './exposition';
import { SeriesStore } from './series-store';
import type { FlowRecord } from '../model/flow';

export interface FamilyOptions {
  level: AggregationLevel;
  /** Whether `dest_port` is a label. */
  ports: boolean;
  /** Most series the family keeps before folding new label sets into the overflow series. */
  budget: number;
  /** Series idle longer than this are removed. */
  ttlSeconds: number;
}

export const DEFAULT_BUDGET = 50_000;
export const DEFAULT_TTL_SECONDS = 15 * 60;

export function defaultFamilyOptions(family: RecordFamilyDefinition): FamilyOptions {
  return { level: 'workload', ports: family.portsByDefault, budget: DEFAULT_BUDGET, ttlSeconds: DEFAULT_TTL_SECONDS };
}

export interface FamilyStats {
  family: string;
  activeSeries: number;
  budget: number;
  overflowedSamples: number;
  evictedSeries: number;
}

/** The labels a family's series carry under the given options. */
export function familyLabels(family: RecordFamilyDefinition, options: FamilyOptions): FlowLabel[] {
  const labels: FlowLabel[] = [];
  for (const label of family.labels) {
    if (label === 'dest_port' && !options.ports) continue;
    labels.push(label);
    if (options.level === 'pod' && label === 'source_workload') labels.push('source_pod');
    if (options.level === 'pod' && label === 'dest_workload') labels.push('dest_pod');
  }
  return labels;
}

interface FamilyBinding {
  readonly definition: RecordFamilyDefinition;
  readonly firstColumn: number;
  overflowedSamples: number;
}

/** One store and the families it holds. */
class StoreBinding {
  readonly store: SeriesStore;
  readonly families: FamilyBinding[] = [];
  private readonly valueOf: ((record: FlowRecord) => string)[];
  private readonly keepsValueOnOverflow: boolean[];
  /** Overflow series do not count against the budget; they are at most a few (bounded labels only). */
  private readonly overflowSlots = new Set<number>();
  evictedSeries = 0;
  // Reused by accumulate() so adding a record allocates no closure.
  private currentSlot = 0;
  private currentFirstColumn = 0;
  private readonly addToCurrent = (column: number, value: number): void =>
    this.store.add(this.currentSlot, this.currentFirstColumn + column, value);

  constructor(
    readonly labels: readonly FlowLabel[],
    readonly options: FamilyOptions,
    definitions: readonly RecordFamilyDefinition[],
  ) {
    let columns = 0;
    for (const definition of definitions) {
      this.families.push({ definition, firstColumn: columns, overflowedSamples: 0 });
      columns += columnCount(definition);
    }
    this.store = new SeriesStore(labels, columns);
    // Families share a store only within a group, so the first family speaks for the group's label sources.
    const overrides = definitions[0]?.labelValues ?? {};
    this.valueOf = labels.map((label) => overrides[label] ?? FLOW_LABEL_VALUES[label]);
    this.keepsValueOnOverflow = labels.map((label) => BOUNDED_LABELS.has(label));
  }

  add(record: FlowRecord, nowSeconds: number): void {
    if (!this.appliesTo(record)) return;
    const { store } = this;
    for (let i = 0; i < this.valueOf.length; i++) store.keyValue(i, this.valueOf[i]!(record));
    let slot = store.find();
    let overflowed = false;
    if (slot < 0) {
      if (store.size - this.overflowSlots.size >= this.options.budget) {
        overflowed = true;
        for (let i = 0; i < this.valueOf.length; i++) {
          if (!this.keepsValueOnOverflow[i]) store.keyValue(i, OVERFLOW_VALUE);
        }
        slot = store.find();
        if (slot < 0) {
          slot = store.insert();
          this.overflowSlots.add(slot);
        }
      } else {
        slot = store.insert();
      }
    }
    store.touch(slot, nowSeconds);
    this.currentSlot = slot;
    for (const family of this.families) {
      if (!family.definition.appliesTo(record)) continue;
      this.currentFirstColumn = family.firstColumn;
      family.definition.accumulate(record, this.addToCurrent);
      if (overflowed) family.overflowedSamples++;
    }
  }

  sweep(nowSeconds: number): void {
    this.store.sweep(nowSeconds - this.options.ttlSeconds, (slot) => {
      this.evictedSeries++;
      this.overflowSlots.delete(slot);
    });
  }

  private appliesTo(record: FlowRecord): boolean {
    for (const family of this.families) if (family.definition.appliesTo(record)) return true;
    return false;
  }
}

function columnCount(family: RecordFamilyDefinition): number {
  if (family.split !== undefined) return family.split.values.length;
  return family.type === 'summary' ? 2 : 1;
}

export class FlowAggregator {
  private readonly bindings: StoreBinding[] = [];
  private readonly bindingOf = new Map<string, StoreBinding>();

  constructor(
    optionsByFamily: ReadonlyMap<string, FamilyOptions> = new Map(),
    private readonly families: readonly RecordFamilyDefinition[] = RECORD_FAMILIES,
  ) {
    // Families of one group with equal options share a store; otherwise each gets its own.
    const groups = new Map<
      string,
      { labels: FlowLabel[]; options: FamilyOptions; members: RecordFamilyDefinition[] }
    >();
    for (const family of families) {
      const options = optionsByFamily.get(family.name) ?? defaultFamilyOptions(family);
      const labels = familyLabels(family, options);
      const groupKey = JSON.stringify([family.group, labels, options]);
      const group = groups.get(groupKey) ?? { labels, options, members: [] };
      group.members.push(family);
      groups.set(groupKey, group);
    }
    for (const group of groups.values()) {
      const binding = new StoreBinding(group.labels, group.options, group.members);
      this.bindings.push(binding);
      for (const member of group.members) this.bindingOf.set(member.name, binding);
    }
  }

  add(record: FlowRecord, nowSeconds: number): void {
    for (const binding of this.bindings) binding.add(record, nowSeconds);
  }

  /** Removes idle series. Cheap enough (one pass over a typed array) to run before every scrape. */
  sweep(nowSeconds: number): void {
    for (const binding of this.bindings) binding.sweep(nowSeconds);
  }

  /** The family's samples, one newline-terminated line each. */
  renderSamples(familyName: string): string {
    const binding = this.bindingOf.get(familyName);
    const family = binding?.families.find((candidate) => candidate.definition.name === familyName);
    if (binding === undefined || family === undefined) return '';
    const { store } = binding;
    const { definition, firstColumn } = family;
    const split = definition.split;
    const suffixes =
      split !== undefined
        ? split.values.map((value) => `,${split.name}="${value}"} `)
        : definition.type === 'summary'
          ? ['} ', '} ']
          : ['} '];
    const names =
      definition.type === 'summary'
        ? [`${definition.name}_sum{`, `${definition.name}_count{`]
        : suffixes.map(() => `${definition.name}{`);
    // One growing string: V8 keeps it as a rope and flattens it once when written (measured faster than join()).
    let samples = '';
    for (let slot = 0; slot < store.slotLimit; slot++) {
      if (!store.isLive(slot)) continue;
      const labels = store.labelText(slot);
      for (let column = 0; column < suffixes.length; column++) {
        samples +=
          names[column]! + labels + suffixes[column] + formatValue(store.value(slot, firstColumn + column)) + '\n';
      }
    }
    return samples;
  }

  stats(): FamilyStats[] {
    return this.families.map((definition) => {
      const binding = this.bindingOf.get(definition.name)!;
      const family = binding.families.find((candidate) => candidate.definition === definition)!;
      return {
        family: definition.name,
        activeSeries: binding.store.size * (definition.split?.values.length ?? 1),
        budget: binding.options.budget * (definition.split?.values.length ?? 1),
        overflowedSamples: family.overflowedSamples,
        evictedSeries: binding.evictedSeries * (definition.split?.values.length ?? 1),
      };
    });
  }

  /** Series keys of a family's store, for tests and tools. */
  labelSets(familyName: string): string[] {
    const store = this.bindingOf.get(familyName)?.store;
    if (store === undefined) return [];
    const keys: string[] = [];
    for (let slot = 0; slot < store.slotLimit; slot++) if (store.isLive(slot)) keys.push(store.labelText(slot));
    return keys;
  }
}
