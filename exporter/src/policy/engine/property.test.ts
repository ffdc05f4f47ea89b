/**
 * Property test: for random pods and a random set of Allow/Deny GlobalNetworkPolicies in one tier, the engine
 * agrees with a brute-force evaluator of Calico's tier semantics written here from the documentation.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseCalicoPolicy, parseTier } from '../calico';
import type { NamespaceInfo, PodInfo } from '../kubernetes';
import { UnifiedPolicyEngine } from './engine';

/** mulberry32: a small seeded generator, so a failure can be replayed. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Labels = Record<string, string>;
type Term = { op: 'eq' | 'ne'; key: string; value: string } | { op: 'has' | 'hasNot'; key: string } | { op: 'all' };

interface RefRule {
  action: 'Allow' | 'Deny';
  peer: Term[] | undefined;
}

interface RefPolicy {
  name: string;
  order: number | undefined;
  selector: Term[];
  types: ('Ingress' | 'Egress')[];
  ingress: RefRule[];
  egress: RefRule[];
}

const KEYS = ['app', 'role', 'env'];
const VALUES = ['1', '2'];
const NAMESPACES = ['x', 'y', 'z'];

function termText(term: Term): string {
  switch (term.op) {
    case 'eq':
      return `${term.key} == '${term.value}'`;
    case 'ne':
      return `${term.key} != '${term.value}'`;
    case 'has':
      return `has(${term.key})`;
    case 'hasNot':
      return `!has(${term.key})`;
    case 'all':
      return 'all()';
  }
}

function termMatches(term: Term, labels: Labels): boolean {
  if (term.op === 'all') return true;
  const value = Object.hasOwn(labels, term.key) ? labels[term.key] : undefined;
  switch (term.op) {
    case 'eq':
      return value === term.value;
    case 'ne':
      return value !== term.value;
    case 'has':
      return value !== undefined;
    case 'hasNot':
      return value === undefined;
  }
}

const conjunction = (terms: Term[]): string => terms.map(termText).join(' && ');
const matchesAll = (terms: Term[], labels: Labels): boolean => terms.every((term) => termMatches(term, labels));

function generate(next: () => number): { pods: PodInfo[]; policies: RefPolicy[] } {
  const pick = <T>(list: readonly T[]): T => list[Math.floor(next() * list.length)] as T;
  const randomLabels = (): Labels => {
    const labels: Labels = {};
    for (const key of KEYS) if (next() < 0.6) labels[key] = pick(VALUES);
    return labels;
  };
  const randomTerm = (): Term => {
    const op = pick(['eq', 'ne', 'has', 'hasNot', 'all'] as const);
    if (op === 'all') return { op };
    if (op === 'has' || op === 'hasNot') return { op, key: pick(KEYS) };
    return { op, key: pick(KEYS), value: pick(VALUES) };
  };
  const randomTerms = (): Term[] => Array.from({ length: 1 + Math.floor(next() * 2) }, randomTerm);
  const randomRules = (): RefRule[] =>
    Array.from({ length: Math.floor(next() * 3) }, () => ({
      action: pick(['Allow', 'Deny'] as const),
      peer: next() < 0.2 ? undefined : randomTerms(),
    }));
  const pods: PodInfo[] = Array.from({ length: 6 }, (_, i) => ({
    namespace: pick(NAMESPACES),
    name: `pod-${i}`,
    labels: randomLabels(),
    ips: [`10.1.0.${i + 1}`],
    containerPorts: [],
  }));
  const policies: RefPolicy[] = Array.from({ length: 1 + Math.floor(next() * 5) }, (_, i) => ({
    name: `p${i}`,
    order: next() < 0.3 ? undefined : Math.floor(next() * 4),
    selector: randomTerms(),
    types: pick([['Ingress'], ['Egress'], ['Ingress', 'Egress']] as ('Ingress' | 'Egress')[][]),
    ingress: randomRules(),
    egress: randomRules(),
  }));
  return { pods, policies };
}

/** Calico's tier: policies selecting the endpoint by order then name; first Allow/Deny; else the tier's deny. */
function reference(
  policies: RefPolicy[],
  direction: 'ingress' | 'egress',
  subject: Labels,
  peer: Labels,
): { verdict: 'allow' | 'deny'; policy: string; rule: number } {
  const type = direction === 'ingress' ? 'Ingress' : 'Egress';
  const selecting = policies
    .filter((policy) => policy.types.includes(type) && matchesAll(policy.selector, subject))
    .sort((a, b) => {
      const orderA = a.order ?? Infinity;
      const orderB = b.order ?? Infinity;
      return orderA !== orderB ? orderA - orderB : a.name < b.name ? -1 : 1;
    });
  if (selecting.length === 0) return { verdict: 'allow', policy: 'none', rule: -1 };
  for (const policy of selecting) {
    const rules = policy[direction];
    for (let i = 0; i < rules.length; i++) {
      const rule = rules[i] as RefRule;
      if (rule.peer === undefined || matchesAll(rule.peer, peer)) {
        return { verdict: rule.action === 'Allow' ? 'allow' : 'deny', policy: policy.name, rule: i };
      }
    }
  }
  return { verdict: 'deny', policy: (selecting[selecting.length - 1] as RefPolicy).name, rule: -1 };
}

test('one tier of random Allow/Deny policies agrees with a brute-force evaluator', () => {
  const namespaces: NamespaceInfo[] = NAMESPACES.map((name) => ({ name, labels: { ns: name } }));
  const seen = new Set<string>();
  for (let seed = 1; seed <= 300; seed++) {
    const { pods, policies } = generate(random(seed));
    const ruleJson = (rule: RefRule, side: 'source' | 'destination'): object =>
      rule.peer === undefined
        ? { action: rule.action }
        : { action: rule.action, [side]: { selector: conjunction(rule.peer) } };
    const engine = new UnifiedPolicyEngine({
      namespaces,
      tiers: [parseTier({ kind: 'Tier', metadata: { name: 'random' }, spec: { order: 10 } })],
      calicoPolicies: policies.map((policy) =>
        parseCalicoPolicy({
          apiVersion: 'crd.projectcalico.org/v1',
          kind: 'GlobalNetworkPolicy',
          metadata: { name: `random.${policy.name}` },
          spec: {
            tier: 'random',
            order: policy.order,
            selector: conjunction(policy.selector),
            types: policy.types,
            ingress: policy.ingress.map((rule) => ruleJson(rule, 'source')),
            egress: policy.egress.map((rule) => ruleJson(rule, 'destination')),
          },
        }),
      ),
    });
    for (const source of pods) {
      for (const destination of pods) {
        if (source === destination) continue;
        const result = engine.evaluate({
          source: { kind: 'pod', pod: source },
          destination: { kind: 'pod', pod: destination },
          port: 80,
          protocol: 'tcp',
        });
        const context = `seed ${seed}: ${source.name} -> ${destination.name}`;
        for (const direction of ['egress', 'ingress'] as const) {
          const [subject, peer] =
            direction === 'egress' ? [source.labels, destination.labels] : [destination.labels, source.labels];
          const expected = reference(policies, direction, subject, peer);
          seen.add(expected.rule === -1 ? `${expected.verdict} default` : `${expected.verdict} rule`);
          const actual = result[direction]?.enforced;
          assert.ok(actual !== undefined, context);
          assert.deepEqual(
            { verdict: actual.verdict, policy: actual.policy, rule: actual.rule },
            expected,
            `${context} (${direction})`,
          );
        }
      }
    }
  }
  // The generator reaches every outcome: rule allow and deny, end-of-tier deny, no policy.
  assert.deepEqual([...seen].sort(), ['allow default', 'allow rule', 'deny default', 'deny rule']);
});
