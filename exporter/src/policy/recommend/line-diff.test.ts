import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SeededRandom } from '../../demo/random';
import { diffLines, splitLines, type DiffLine } from './line-diff';

function render(lines: readonly DiffLine[]): string {
  return lines.map((line) => `${line.op === 'same' ? ' ' : line.op === 'added' ? '+' : '-'}${line.text}`).join('\n');
}

function sides(lines: readonly DiffLine[]): { before: string[]; after: string[] } {
  return {
    before: lines.filter((line) => line.op !== 'added').map((line) => line.text),
    after: lines.filter((line) => line.op !== 'removed').map((line) => line.text),
  };
}

test('a changed line, an added and a removed one', () => {
  const before = ['spec:', '  podSelector: {}', '  ingress:', '    - port: 80', 'end'];
  const after = ['spec:', '  podSelector: {}', '  ingress:', '    - port: 8080', '    - port: 443', 'end'];
  assert.equal(
    render(diffLines(before, after)),
    [
      ' spec:',
      '   podSelector: {}',
      '   ingress:',
      '-    - port: 80',
      '+    - port: 8080',
      '+    - port: 443',
      ' end',
    ].join('\n'),
  );
  assert.equal(render(diffLines(['a', 'b', 'c'], ['b', 'c'])), '-a\n b\n c');
  assert.equal(render(diffLines([], ['x'])), '+x');
  assert.equal(render(diffLines(['x'], ['x'])), ' x');
});

test('on random texts the script rebuilds both sides and is no longer than an LCS says it must be', () => {
  const random = new SeededRandom(7);
  for (let round = 0; round < 300; round++) {
    const text = (): string[] => Array.from({ length: random.int(12) }, () => 'abcd'[random.int(4)] as string);
    const before = text();
    const after = text();
    const lines = diffLines(before, after);
    assert.deepEqual(sides(lines), { before, after }, `round ${round}`);
    // The shortest script keeps exactly the longest common subsequence.
    const lcs: number[][] = Array.from({ length: before.length + 1 }, () =>
      new Array<number>(after.length + 1).fill(0),
    );
    for (let i = before.length - 1; i >= 0; i--) {
      for (let j = after.length - 1; j >= 0; j--) {
        lcs[i]![j] = before[i] === after[j] ? lcs[i + 1]![j + 1]! + 1 : Math.max(lcs[i + 1]![j]!, lcs[i]![j + 1]!);
      }
    }
    assert.equal(lines.filter((line) => line.op === 'same').length, lcs[0]![0], `round ${round}`);
  }
});

test('past maxEdits the answer is remove all, add all, still correct', () => {
  const before = ['a', 'b', 'c', 'd'];
  const after = ['w', 'x', 'y', 'z'];
  assert.equal(render(diffLines(before, after, 2)), '-a\n-b\n-c\n-d\n+w\n+x\n+y\n+z');
  assert.deepEqual(sides(diffLines(['k', 'a', 'b', 'k'], ['k', 'c', 'k'], 1)), {
    before: ['k', 'a', 'b', 'k'],
    after: ['k', 'c', 'k'],
  });
});

test('splitLines drops the final newline only', () => {
  assert.deepEqual(splitLines('a\nb\n'), ['a', 'b']);
  assert.deepEqual(splitLines('a\n\n'), ['a', '']);
  assert.deepEqual(splitLines(''), []);
});
