/**
 * The aggregate stage: records into series of their kind's families, under each family's budget and TTL.
 * One aggregator per record kind (flows, DNS), generic over the record type. Families of a group whose
 * aggregation options agree share one SeriesStore (one key, several value columns), so a record costs one
 * label rendering and one map lookup per store, not per family.
 */
import {
  columnCount,
  DEFAULT_TOP_K,
  DNS_RECORDS,
  AUDIT_RECORDS,
  FLOW_RECORDS,
  HTTP_RECORDS,
  OTHER_VALUE,
  OVERFLOW_VALUE,
  seriesPerLabelSet,
  TOP_K_WINDOW_SECONDS,
  type AggregationLevel,
  type DnsLabel,
  type AuditLabel,
  type FlowLabel,
  type HttpLabel,
  type RecordFamilyDefinition,
  type RecordKind,
} from './catalogue';
import { formatValue } from './exposition';
import { SeriesStore } from './series-store';
import { detached } from '../model/text';
import type { FlowRecord } from '../model/flow';
import type { DnsRecord } from '../model/dns';
import type { HttpRecord } from '../model/http';
import type { AuditRecord } from '../sources/audit/model';

export interface FamilyOptions {
  level: AggregationLevel;
  /** Whether `dest_port` is a label. */
  ports: boolean;
  /** Most series the family keeps before folding new label sets into the overflow series. */
  budget: number;
  /** Series idle longer than this are removed. */
  ttlSeconds: number;
  /** For families with a top-K label: how many values per window keep their own series. */
  topK?: number;
}

export const DEFAULT_BUDGET = 50_000;
export const DEFAULT_TTL_SECONDS = 15 * 60;

export function defaultFamilyOptions(
  family: Pick<RecordFamilyDefinition<never, string>, 'portsByDefault' | 'topK' | 'defaultBudget'>,
): FamilyOptions {
  const options: FamilyOptions = {
    level: 'workload',
    ports: family.portsByDefault,
    budget: family.defaultBudget ?? DEFAULT_BUDGET,
    ttlSeconds: DEFAULT_TTL_SECONDS,
  };
  if (family.topK !== undefined) options.topK = DEFAULT_TOP_K;
  return options;
}

export interface FamilyStats {
  family: string;
  activeSeries: number;
  budget: number;
  overflowedSamples: number;
  evictedSeries: number;
}

/** The labels a family's series carry under the given options. */
export function familyLabels<R, L extends string>(
  family: RecordFamilyDefinition<R, L>,
  options: FamilyOptions,
  kind: Pick<RecordKind<R, L>, 'portLabel' | 'podLabels'>,
): L[] {
  const labels: L[] = [];
  for (const label of family.labels) {
    if (label === kind.portLabel && !options.ports) continue;
    labels.push(label);
    const podLabel = kind.podLabels[label];
    // A per-pod family names its pod labels itself.
    if (options.level === 'pod' && podLabel !== undefined && !family.labels.includes(podLabel)) labels.push(podLabel);
  }
  return labels;
}

/**
 * Keeps at most K values of one label per value of another (qnames per client namespace) in each window;
 * the rest read `__other__`. A window starts with the previous window's K busiest values admitted, then
 * admits new values first come, first served until K: a flood of random names can take the free places of
 * one window but not the places of names that stay busy, and memory stays at K values per group.
 */
export class TopKFolder {
  private windowEnd = -Infinity;
  /** Per group, the admitted values and their counts in this window (a holder each, so a hit is one lookup). */
  private readonly admitted = new Map<string, Map<string, { count: number }>>();
  /** The group of the previous fold and its values: consecutive records often share the group (a pod's burst). */
  private lastGroup: string | undefined;
  private lastValues: Map<string, { count: number }> | undefined;

  constructor(
    readonly k: number,
    private readonly windowSeconds = TOP_K_WINDOW_SECONDS,
  ) {}

  /** The label value to use: `value` if admitted in this window, else `__other__`. */
  fold(group: string, value: string, nowSeconds: number): string {
    if (nowSeconds >= this.windowEnd) this.roll(nowSeconds);
    let values = group === this.lastGroup ? this.lastValues : this.admitted.get(group);
    if (values === undefined) {
      values = new Map();
      this.admitted.set(detached(group), values);
    }
    this.lastGroup = group;
    this.lastValues = values;
    const admitted = values.get(value);
    if (admitted !== undefined) {
      admitted.count++;
      return value;
    }
    if (values.size >= this.k) return OTHER_VALUE;
    // Kept for the window and maybe the next: a piece of a line must not keep its chunk of text alive.
    values.set(detached(value), { count: 1 });
    return value;
  }

  /** Values admitted in the current window, per group (for tests). */
  admittedCount(group: string): number {
    return this.admitted.get(group)?.size ?? 0;
  }

  private roll(nowSeconds: number): void {
    this.windowEnd = nowSeconds + this.windowSeconds;
    this.lastGroup = undefined;
    this.lastValues = undefined;
    for (const [group, values] of this.admitted) {
      const busiest = [...values].filter(([, admitted]) => admitted.count > 0).sort((a, b) => b[1].count - a[1].count);
      if (busiest.length === 0) {
        this.admitted.delete(group);
        continue;
      }
      this.admitted.set(group, new Map(busiest.slice(0, this.k).map(([value]) => [value, { count: 0 }])));
    }
  }
}

interface FamilyBinding<R, L extends string> {
  readonly definition: RecordFamilyDefinition<R, L>;
  readonly firstColumn: number;
  overflowedSamples: number;
}

/** One store and the families it holds. */
class StoreBinding<R, L extends string> {
  readonly store: SeriesStore;
  readonly families: FamilyBinding<R, L>[] = [];
  /** Per family, whether the record being added applies (reused, so adding allocates nothing). */
  private readonly applies: boolean[] = [];
  private readonly valueOf: ((record: R) => string)[];
  private readonly keepsValueOnOverflow: boolean[];
  /** The top-K label's index and the extractor of its group, when a family of the store bounds one. */
  private readonly topKIndex: number;
  private readonly topKGroupOf: ((record: R) => string) | undefined;
  readonly topK: TopKFolder | undefined;
  /** Overflow series do not count against the budget; they are at most a few (bounded labels only). */
  private readonly overflowSlots = new Set<number>();
  evictedSeries = 0;
  // Reused by accumulate() so adding a record allocates no closure.
  private currentSlot = 0;
  private currentFirstColumn = 0;
  private readonly addToCurrent = (column: number, value: number): void =>
    this.store.add(this.currentSlot, this.currentFirstColumn + column, value);

  constructor(
    readonly labels: readonly L[],
    readonly options: FamilyOptions,
    definitions: readonly RecordFamilyDefinition<R, L>[],
    kind: RecordKind<R, L>,
  ) {
    let columns = 0;
    for (const definition of definitions) {
      this.families.push({ definition, firstColumn: columns, overflowedSamples: 0 });
      columns += columnCount(definition);
    }
    this.store = new SeriesStore(labels, columns);
    // Families share a store only within a group, so the first family speaks for the group's label sources.
    const overrides: Partial<Readonly<Record<L, (record: R) => string>>> = definitions[0]?.labelValues ?? {};
    this.valueOf = labels.map((label) => overrides[label] ?? kind.labelValues[label]);
    this.keepsValueOnOverflow = labels.map((label) => kind.boundedLabels.has(label));
    const topK = definitions.find((definition) => definition.topK !== undefined)?.topK;
    this.topKIndex = topK === undefined ? -1 : labels.indexOf(topK.label);
    this.topKGroupOf = topK === undefined ? undefined : kind.labelValues[topK.per];
    this.topK = topK === undefined ? undefined : new TopKFolder(options.topK ?? DEFAULT_TOP_K);
  }

  add(record: R, nowSeconds: number): void {
    // Which families take the record, asked once: the answer serves both the skip and the accumulation.
    const { families, applies } = this;
    let any = false;
    for (let f = 0; f < families.length; f++) {
      const takes = families[f]!.definition.appliesTo(record);
      applies[f] = takes;
      if (takes) any = true;
    }
    if (!any) return;
    const { store } = this;
    for (let i = 0; i < this.valueOf.length; i++) {
      let value = this.valueOf[i]!(record);
      if (i === this.topKIndex) value = this.topK!.fold(this.topKGroupOf!(record), value, nowSeconds);
      store.keyValue(i, value);
    }
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
    for (let f = 0; f < families.length; f++) {
      if (!applies[f]) continue;
      const family = families[f]!;
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

  clear(): void {
    this.store.removeAll();
    this.overflowSlots.clear();
  }
}

/** Histogram bucket bounds as `le` label values: `0.005`, `1.0` (integers get a `.0`, as OpenMetrics canonical floats do). */
export function formatBucketBound(bound: number): string {
  return Number.isInteger(bound) ? bound.toFixed(1) : String(bound);
}

/** The sample-name prefix and the label-text suffix of each value column of a family. */
function columnLayout<R, L extends string>(
  definition: RecordFamilyDefinition<R, L>,
): { names: string[]; suffixes: string[] } {
  const { name, split, type } = definition;
  if (split !== undefined) {
    return {
      names: split.values.map(() => `${name}{`),
      suffixes: split.values.map((value) => `,${split.name}="${value}"} `),
    };
  }
  if (type === 'summary') return { names: [`${name}_sum{`, `${name}_count{`], suffixes: ['} ', '} '] };
  if (type === 'histogram') {
    const bounds = [...(definition.buckets ?? []).map(formatBucketBound), '+Inf'];
    return {
      names: [...bounds.map(() => `${name}_bucket{`), `${name}_sum{`, `${name}_count{`],
      suffixes: [...bounds.map((bound) => `,le="${bound}"} `), '} ', '} '],
    };
  }
  return { names: [`${name}{`], suffixes: ['} '] };
}

/** The aggregator of one record kind. */
export class RecordAggregator<R, L extends string> {
  private readonly bindings: StoreBinding<R, L>[] = [];
  private readonly bindingOf = new Map<string, StoreBinding<R, L>>();

  constructor(
    readonly kind: RecordKind<R, L>,
    optionsByFamily: ReadonlyMap<string, FamilyOptions> = new Map(),
    private readonly families: readonly RecordFamilyDefinition<R, L>[] = kind.families,
  ) {
    // Families of one group with equal options share a store; otherwise each gets its own.
    const groups = new Map<string, { labels: L[]; options: FamilyOptions; members: RecordFamilyDefinition<R, L>[] }>();
    for (const family of families) {
      const options = optionsByFamily.get(family.name) ?? defaultFamilyOptions(family);
      const labels = familyLabels(family, options, kind);
      const groupKey = JSON.stringify([family.group, labels, options]);
      const group = groups.get(groupKey) ?? { labels, options, members: [] };
      group.members.push(family);
      groups.set(groupKey, group);
    }
    for (const group of groups.values()) {
      const binding = new StoreBinding(group.labels, group.options, group.members, kind);
      this.bindings.push(binding);
      for (const member of group.members) this.bindingOf.set(member.name, binding);
    }
  }

  /** Whether this aggregator renders the family. */
  has(familyName: string): boolean {
    return this.bindingOf.has(familyName);
  }

  add(record: R, nowSeconds: number): void {
    for (const binding of this.bindings) binding.add(record, nowSeconds);
  }

  /** Removes idle series. Cheap enough (one pass over a typed array) to run before every scrape. */
  sweep(nowSeconds: number): void {
    for (const binding of this.bindings) binding.sweep(nowSeconds);
  }

  /** Removes every series without counting evictions: for gauges refilled from each new snapshot. */
  clear(): void {
    for (const binding of this.bindings) binding.clear();
  }

  /** The family's samples, one newline-terminated line each. */
  renderSamples(familyName: string): string {
    const binding = this.bindingOf.get(familyName);
    const family = binding?.families.find((candidate) => candidate.definition.name === familyName);
    if (binding === undefined || family === undefined) return '';
    const { store } = binding;
    const { definition, firstColumn } = family;
    const { names, suffixes } = columnLayout(definition);
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
      const perLabelSet = seriesPerLabelSet(definition);
      return {
        family: definition.name,
        activeSeries: binding.store.size * perLabelSet,
        budget: binding.options.budget * perLabelSet,
        overflowedSamples: family.overflowedSamples,
        evictedSeries: binding.evictedSeries * perLabelSet,
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

/** The flow records' aggregator. */
export class FlowAggregator extends RecordAggregator<FlowRecord, FlowLabel> {
  constructor(
    optionsByFamily: ReadonlyMap<string, FamilyOptions> = new Map(),
    families: readonly RecordFamilyDefinition<FlowRecord, FlowLabel>[] = FLOW_RECORDS.families,
  ) {
    super(FLOW_RECORDS, optionsByFamily, families);
  }
}

/** The DNS records' aggregator. */
export class DnsAggregator extends RecordAggregator<DnsRecord, DnsLabel> {
  constructor(optionsByFamily: ReadonlyMap<string, FamilyOptions> = new Map()) {
    super(DNS_RECORDS, optionsByFamily);
  }
}

/** The HTTP records' aggregator. */
export class HttpAggregator extends RecordAggregator<HttpRecord, HttpLabel> {
  constructor(optionsByFamily: ReadonlyMap<string, FamilyOptions> = new Map()) {
    super(HTTP_RECORDS, optionsByFamily);
  }
}

/** The Kubernetes audit records' aggregator. */
export class AuditAggregator extends RecordAggregator<AuditRecord, AuditLabel> {
  constructor(optionsByFamily: ReadonlyMap<string, FamilyOptions> = new Map()) {
    super(AUDIT_RECORDS, optionsByFamily);
  }
}
