/**
 * Calico's policy trace entries, `<index>|<tier>|<policy name>|<action>|<rule index>`, parsed into PolicyHits,
 * and the rule that picks the policy that decided a verdict. Name forms (see formats.md):
 * `<tier>.<name>` (GlobalNetworkPolicy), `<ns>/<tier>.<name>` (NetworkPolicy), `<ns>/knp.default.<name>`
 * (Kubernetes NetworkPolicy), `kanp.adminnetworkpolicy.<name>` / `kbanp.baselineadminnetworkpolicy.<name>`
 * (Admin / Baseline Admin NetworkPolicy), `__PROFILE__.<profile>` (no policy selected the endpoint); staged
 * policies carry `staged:` before the tier part.
 */
import { DecodeError } from './types';
import { NO_POLICY, type PolicyAction, type PolicyHit, type PolicyKind, type PolicyVerdict } from '../model/flow';

const ACTIONS: Record<string, PolicyAction> = { allow: 'allow', deny: 'deny', pass: 'pass', log: 'log' };
const PROFILE_TIER = '__PROFILE__';
const STAGED_PREFIX = 'staged:';

/** Parses one trace entry. Throws DecodeError('malformed') when it does not have the five parts. */
export function parsePolicyEntry(entry: string): PolicyHit {
  const parts = entry.split('|');
  if (parts.length !== 5) {
    throw new DecodeError(
      'malformed',
      `policy entry "${entry}" has ${parts.length} parts, expected index|tier|name|action|rule`,
    );
  }
  const [indexText, tier, fullName, actionText, ruleText] = parts as [string, string, string, string, string];
  const index = Number(indexText);
  const ruleIndex = ruleText === '-' ? -2 : Number(ruleText);
  if (!Number.isInteger(index) || !Number.isInteger(ruleIndex)) {
    throw new DecodeError('wrong_type', `policy entry "${entry}": index and rule index must be integers`);
  }
  const action = ACTIONS[actionText.toLowerCase()] ?? 'unknown';
  if (tier === PROFILE_TIER || fullName.startsWith(PROFILE_TIER)) {
    return {
      index,
      tier: PROFILE_TIER,
      namespace: '',
      name: fullName,
      kind: 'profile',
      staged: false,
      action,
      ruleIndex,
      // A profile deciding means no policy selected the endpoint.
      verdict: NO_POLICY,
    };
  }

  const slash = fullName.indexOf('/');
  const namespace = slash >= 0 ? fullName.slice(0, slash) : '';
  let name = slash >= 0 ? fullName.slice(slash + 1) : fullName;
  const staged = name.startsWith(STAGED_PREFIX);
  if (staged) name = name.slice(STAGED_PREFIX.length);

  let kind: PolicyKind;
  if (name.startsWith('knp.default.')) {
    kind = 'kubernetes';
    name = name.slice('knp.default.'.length);
  } else if (name.startsWith('kanp.adminnetworkpolicy.')) {
    kind = 'admin';
    name = name.slice('kanp.adminnetworkpolicy.'.length);
  } else if (name.startsWith('kbanp.baselineadminnetworkpolicy.')) {
    kind = 'baseline-admin';
    name = name.slice('kbanp.baselineadminnetworkpolicy.'.length);
  } else {
    kind = namespace === '' ? 'global' : 'calico';
    if (name.startsWith(`${tier}.`)) name = name.slice(tier.length + 1);
  }
  return {
    index,
    tier,
    namespace,
    name,
    kind,
    staged,
    action,
    ruleIndex,
    verdict: { policy: policyLabel({ namespace, name }), tier },
  };
}

/**
 * The entry that decided a trace: its last allow or deny entry. Staged entries never enforce (older Calico
 * lists them among all_policies), so they count only in a pending trace (`includeStaged`).
 */
export function decidingHit(trace: readonly PolicyHit[], includeStaged = false): PolicyHit | undefined {
  for (let i = trace.length - 1; i >= 0; i--) {
    const hit = trace[i];
    if (hit === undefined || (hit.staged && !includeStaged) || (hit.action !== 'allow' && hit.action !== 'deny'))
      continue;
    return hit;
  }
  return undefined;
}

/** The enforced policy that decided a verdict; a profile, or no deciding entry, means no policy selected the endpoint. */
export function decidingPolicy(enforced: readonly PolicyHit[]): PolicyVerdict {
  return decidingHit(enforced)?.verdict ?? NO_POLICY;
}

/** `<namespace>/<name>`, or `<name>` for cluster-wide policies: the `policy` label's value. */
export function policyLabel(hit: Pick<PolicyHit, 'namespace' | 'name'>): string {
  return hit.namespace === '' ? hit.name : `${hit.namespace}/${hit.name}`;
}

/**
 * Parses trace entries with a bounded memo: a node sees the same few hundred entries over and over, so
 * each distinct string is split once. The memo is cleared when full rather than grown.
 */
export class PolicyEntryParser {
  private readonly memo = new Map<string, PolicyHit>();

  constructor(private readonly maxEntries = 4096) {}

  parse(entry: string): PolicyHit {
    let hit = this.memo.get(entry);
    if (hit === undefined) {
      hit = Object.freeze(parsePolicyEntry(entry));
      if (this.memo.size >= this.maxEntries) this.memo.clear();
      this.memo.set(entry, hit);
    }
    return hit;
  }
}
