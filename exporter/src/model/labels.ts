/**
 * Endpoint labels, kept in their input form and parsed only when something asks: most flow records are
 * aggregated without ever reading their labels, and parsing them for every record would cost more than
 * the rest of decoding.
 */
export class LabelSet {
  private parsed: Record<string, string> | undefined;

  private constructor(
    private readonly pairs: readonly string[],
    private readonly prefix: string,
  ) {}

  /** `["app=x", "tier=web"]`; `prefix` strips a source marker such as Cilium's `k8s:`. */
  static fromPairs(pairs: readonly string[], prefix = ''): LabelSet {
    return new LabelSet(pairs, prefix);
  }

  static fromRecord(labels: Readonly<Record<string, string>>): LabelSet {
    const set = new LabelSet([], '');
    set.parsed = { ...labels };
    return set;
  }

  get(key: string): string | undefined {
    return this.toRecord()[key];
  }

  has(key: string): boolean {
    return this.get(key) !== undefined;
  }

  toRecord(): Readonly<Record<string, string>> {
    if (this.parsed === undefined) {
      const labels: Record<string, string> = {};
      for (const pair of this.pairs) {
        const text = this.prefix !== '' && pair.startsWith(this.prefix) ? pair.slice(this.prefix.length) : pair;
        const equals = text.indexOf('=');
        if (equals > 0) labels[text.slice(0, equals)] = text.slice(equals + 1);
        else if (text !== '') labels[text] = '';
      }
      this.parsed = labels;
    }
    return this.parsed;
  }
}
