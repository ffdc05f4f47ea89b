/**
 * A line diff (Myers' O((N+M)D) greedy algorithm, "An O(ND) Difference Algorithm and Its Variations", 1986): the
 * shortest edit script turning `before` into `after`, as every line marked same, removed or added. Policies are a
 * few hundred lines at most and an enforced policy close to its recommendation differs in a few, so D is small; past
 * `maxEdits` the texts are unrelated and the answer is "remove all, add all", which bounds time and memory.
 */

export type LineOp = 'same' | 'removed' | 'added';

export interface DiffLine {
  readonly op: LineOp;
  readonly text: string;
}

export const DEFAULT_MAX_EDITS = 2_000;

export function diffLines(
  before: readonly string[],
  after: readonly string[],
  maxEdits = DEFAULT_MAX_EDITS,
): DiffLine[] {
  // Common head and tail cost nothing to match and shrink what the search has to walk.
  let head = 0;
  while (head < before.length && head < after.length && before[head] === after[head]) head++;
  let tail = 0;
  while (
    tail < before.length - head &&
    tail < after.length - head &&
    before[before.length - 1 - tail] === after[after.length - 1 - tail]
  ) {
    tail++;
  }
  const a = before.slice(head, before.length - tail);
  const b = after.slice(head, after.length - tail);
  const middle = myers(a, b, maxEdits) ?? [
    ...a.map((text): DiffLine => ({ op: 'removed', text })),
    ...b.map((text): DiffLine => ({ op: 'added', text })),
  ];
  return [
    ...before.slice(0, head).map((text): DiffLine => ({ op: 'same', text })),
    ...middle,
    ...before.slice(before.length - tail).map((text): DiffLine => ({ op: 'same', text })),
  ];
}

/** Text lines without the final newline's empty line, so `a\n` and `a` diff alike. */
export function splitLines(text: string): string[] {
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return lines;
}

/** The edit script, or undefined when it needs more than `maxEdits` edits. */
function myers(a: readonly string[], b: readonly string[], maxEdits: number): DiffLine[] | undefined {
  const n = a.length;
  const m = b.length;
  const max = Math.min(n + m, maxEdits);
  const offset = max + 1;
  // v[k + offset]: the furthest x on diagonal k (k = x - y) reached with d edits; one copy kept per d to walk back.
  let v = new Int32Array(2 * max + 3);
  const trace: Int32Array[] = [];
  for (let d = 0; d <= max; d++) {
    trace.push(v.slice());
    const next = v.slice();
    for (let k = -d; k <= d; k += 2) {
      const down = k === -d || (k !== d && (v[k - 1 + offset] as number) < (v[k + 1 + offset] as number));
      let x = down ? (v[k + 1 + offset] as number) : (v[k - 1 + offset] as number) + 1;
      let y = x - k;
      while (x < n && y < m && a[x] === b[y]) {
        x++;
        y++;
      }
      next[k + offset] = x;
      if (x >= n && y >= m) return backtrack(a, b, [...trace.slice(1), next], offset);
    }
    v = next;
  }
  return undefined;
}

/** Walks the saved frontiers from the end back to the start, emitting lines last first. */
function backtrack(a: readonly string[], b: readonly string[], frontiers: Int32Array[], offset: number): DiffLine[] {
  const lines: DiffLine[] = [];
  let x = a.length;
  let y = b.length;
  for (let d = frontiers.length - 1; d >= 0; d--) {
    const k = x - y;
    // The frontier before this step (d - 1 edits); for d = 0 the start, where both texts begin.
    const previous = d === 0 ? undefined : frontiers[d - 1];
    if (previous === undefined) {
      while (x > 0 && y > 0) {
        lines.push({ op: 'same', text: a[--x] as string });
        y--;
      }
      break;
    }
    const down = k === -d || (k !== d && (previous[k - 1 + offset] as number) < (previous[k + 1 + offset] as number));
    const previousK = down ? k + 1 : k - 1;
    const previousX = previous[previousK + offset] as number;
    const previousY = previousX - previousK;
    // The snake: equal lines after the edit.
    while (x > (down ? previousX : previousX + 1) && y > (down ? previousY + 1 : previousY)) {
      lines.push({ op: 'same', text: a[--x] as string });
      y--;
    }
    if (down) lines.push({ op: 'added', text: b[--y] as string });
    else lines.push({ op: 'removed', text: a[--x] as string });
  }
  return lines.reverse();
}
