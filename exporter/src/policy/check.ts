/**
 * `flowlens policy check`: would a connection from A to B on a port be allowed, by which policy in each
 * direction, and what would the staged policies change? A and B are `namespace/pod` or an IP address (a pod
 * that has the address, else an address outside the cluster).
 */
import { isIP } from 'node:net';
import { UnifiedPolicyEngine, type DirectionResult, type EngineEndpoint } from './engine';
import type { PolicySnapshot } from './snapshot';
import type { PodInfo } from './kubernetes';

export class CheckInputError extends Error {}

export interface DirectionReport {
  verdict: 'allow' | 'deny';
  policy: string;
  tier: string;
  rule: number;
}

export interface StagedReport {
  direction: 'egress' | 'ingress';
  verdict: 'allow' | 'deny';
  policy: string;
  tier: string;
  rule: number;
}

export interface CheckReport {
  verdict: 'allow' | 'deny';
  egress: DirectionReport | null;
  ingress: DirectionReport | null;
  /** What the staged policies would decide, per direction, where enforcing them changes the outcome. */
  staged: StagedReport[];
}

export const CHECK_PROTOCOLS = ['TCP', 'UDP', 'SCTP'] as const;
export type CheckProtocol = (typeof CHECK_PROTOCOLS)[number];

export function resolveEndpoint(snapshot: PolicySnapshot, text: string, flag: string): EngineEndpoint {
  if (isIP(text) !== 0) {
    const pod = snapshot.pods.find((candidate) => candidate.ips.includes(text));
    return pod ? { kind: 'pod', pod, ip: text } : { kind: 'external', ip: text };
  }
  const slash = text.indexOf('/');
  if (slash <= 0 || slash === text.length - 1) {
    throw new CheckInputError(`${flag} "${text}" must be namespace/pod or an IP address`);
  }
  const namespace = text.slice(0, slash);
  const name = text.slice(slash + 1);
  const pod: PodInfo | undefined = snapshot.pods.find(
    (candidate) => candidate.namespace === namespace && candidate.name === name,
  );
  if (pod === undefined) {
    throw new CheckInputError(`${flag} "${text}": no pod ${name} in namespace ${namespace} in the resources file`);
  }
  return { kind: 'pod', pod };
}

function report(result: DirectionResult): DirectionReport {
  return { verdict: result.verdict, policy: result.policy, tier: result.tier, rule: result.rule };
}

export function checkConnection(
  snapshot: PolicySnapshot,
  from: string,
  to: string,
  port: number,
  protocol: CheckProtocol,
): CheckReport {
  const source = resolveEndpoint(snapshot, from, '--from');
  const destination = resolveEndpoint(snapshot, to, '--to');
  const engine = new UnifiedPolicyEngine(snapshot.engine);
  const verdict = engine.evaluate({ source, destination, port, protocol });
  const staged: StagedReport[] = [];
  for (const direction of ['egress', 'ingress'] as const) {
    const outcome = verdict[direction];
    if (outcome === undefined) continue;
    const { enforced, pending } = outcome;
    if (pending.verdict !== enforced.verdict || pending.policy !== enforced.policy || pending.rule !== enforced.rule) {
      staged.push({ direction, ...report(pending) });
    }
  }
  return {
    verdict: verdict.verdict,
    egress: verdict.egress ? report(verdict.egress.enforced) : null,
    ingress: verdict.ingress ? report(verdict.ingress.enforced) : null,
    staged,
  };
}
