/**
 * Calico (Global)NetworkSets by address: which set a peer outside the pod network belongs to. The most
 * specific set wins, as in Calico's own flow logs: the longest prefix that contains the IP, over every set.
 * Ties (two sets listing the same block) go to the GlobalNetworkSet, then to the first by namespace and name,
 * so the answer never depends on the order the sets arrived in.
 *
 * Cost: per family, one map per prefix length in use, from network address to the set that wins it. A lookup
 * parses the IP once and tries the lengths in use, longest first: at most 33 (IPv4) or 129 (IPv6) map reads,
 * in practice the handful of lengths the sets use. The maps are rebuilt on the first lookup after a change, in
 * time linear in the CIDRs (a few thousand take well under a millisecond); sets change rarely, flows often.
 */
import { parseIp, type Cidr, type IpFamily } from '../policy/kubernetes/cidr';

export interface NetworkSetRef {
  /** Empty for a GlobalNetworkSet. */
  namespace: string;
  name: string;
}

/** What the index needs of a parsed NetworkSet or GlobalNetworkSet. */
export interface NetworkSetLike extends NetworkSetRef {
  readonly nets: readonly Cidr[];
}

interface PrefixTable {
  /** The prefix lengths in use, longest first. */
  lengths: number[];
  /** By prefix length: network address to the winning set. */
  byLength: Map<number, Map<bigint, NetworkSetRef>>;
  masks: Map<number, bigint>;
}

export class NetworkSetIndex {
  private readonly sets = new Map<string, NetworkSetLike>();
  private tables: Map<IpFamily, PrefixTable> | undefined;

  get size(): number {
    return this.sets.size;
  }

  /** `key` tells sets apart (`namespace/name`, or the name of a global set). */
  upsert(key: string, set: NetworkSetLike): void {
    this.sets.set(key, set);
    this.tables = undefined;
  }

  remove(key: string): void {
    if (this.sets.delete(key)) this.tables = undefined;
  }

  /** The set whose longest prefix contains `ip`; undefined when none does or `ip` is not an address. */
  networkSetForIp(ip: string): NetworkSetRef | undefined {
    if (this.sets.size === 0) return undefined;
    const address = parseIp(ip);
    if (address === undefined) return undefined;
    this.tables ??= this.build();
    const table = this.tables.get(address.family);
    if (table === undefined) return undefined;
    for (const length of table.lengths) {
      const found = table.byLength.get(length)?.get(address.value & (table.masks.get(length) ?? 0n));
      if (found !== undefined) return found;
    }
    return undefined;
  }

  private build(): Map<IpFamily, PrefixTable> {
    const tables = new Map<IpFamily, PrefixTable>();
    for (const set of this.sets.values()) {
      const ref: NetworkSetRef = { namespace: set.namespace, name: set.name };
      for (const cidr of set.nets) {
        let table = tables.get(cidr.family);
        if (table === undefined) {
          table = { lengths: [], byLength: new Map(), masks: new Map() };
          tables.set(cidr.family, table);
        }
        let networks = table.byLength.get(cidr.prefixLength);
        if (networks === undefined) {
          networks = new Map();
          table.byLength.set(cidr.prefixLength, networks);
          table.masks.set(cidr.prefixLength, cidr.mask);
          table.lengths.push(cidr.prefixLength);
        }
        const holder = networks.get(cidr.network);
        if (holder === undefined || precedes(ref, holder)) networks.set(cidr.network, ref);
      }
    }
    for (const table of tables.values()) table.lengths.sort((a, b) => b - a);
    return tables;
  }
}

/** Between two sets listing the same block: the global one, then the first by namespace and name. */
function precedes(a: NetworkSetRef, b: NetworkSetRef): boolean {
  if ((a.namespace === '') !== (b.namespace === '')) return a.namespace === '';
  if (a.namespace !== b.namespace) return a.namespace < b.namespace;
  return a.name < b.name;
}
