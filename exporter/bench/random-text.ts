/** The seeded choices every benchmark generator makes: items, ranges and generated-looking names. */
export type Random = () => number;

export const pick = <T>(random: Random, items: readonly T[]): T => items[Math.floor(random() * items.length)]!;

export const between = (random: Random, low: number, high: number): number =>
  low + Math.floor(random() * (high - low + 1));

// Kubernetes' SafeEncodeString alphabet, as in ReplicaSet hashes and pod-name suffixes.
const SAFE = 'bcdfghjklmnpqrstvwxz2456789';

export function safeString(random: Random, length: number): string {
  let text = '';
  for (let i = 0; i < length; i++) text += SAFE[Math.floor(random() * SAFE.length)];
  return text;
}

export function hex(random: Random, length: number): string {
  let text = '';
  for (let i = 0; i < length; i++) text += '0123456789abcdef'[Math.floor(random() * 16)];
  return text;
}
