/**
 * The diff to enforced as a person reads it (`flowlens policy recommend --diff`): per policy its status and the
 * enforced policies on its workloads, the YAML diff of a changed one (a new one as all added lines), then the
 * traffic the two disagree on, saying when the unobserved pairs were capped or sampled.
 */
import { stringify } from 'yaml';
import type { Recommendation } from './recommend';
import type { RecommendationDiff } from './diff';
import { splitLines, type DiffLine } from './line-diff';

const MARK: Record<DiffLine['op'], string> = { same: ' ', removed: '-', added: '+' };

export function renderRecommendationDiff(
  recommendation: Recommendation,
  diff: RecommendationDiff,
  enforcedFrom: string,
): string {
  const lines: string[] = [
    `# flowlens policy recommend --diff: ${recommendation.policies.length} recommended against the policies enforced in ${enforcedFrom}`,
  ];
  const counts = ['new', 'changed', 'unchanged'].map(
    (status) => `${diff.policies.filter((policy) => policy.status === status).length} ${status}`,
  );
  lines.push(`# ${counts.join(', ')}`, '');
  diff.policies.forEach((policy, index) => {
    lines.push(`${policy.kind} ${policy.namespace}/${policy.name}: ${policy.status}`);
    lines.push(`  selects: ${policy.workloads.length === 0 ? 'no pods' : policy.workloads.join(', ')}`);
    lines.push(
      policy.enforcedSelecting.length === 0
        ? '  enforced on these workloads today: none (all traffic allowed)'
        : `  enforced on these workloads today: ${policy.enforcedSelecting
            .map((selecting) => `${selecting.policy} (${selecting.kind}, ${selecting.directions.join('+')})`)
            .join(', ')}`,
    );
    if (policy.status === 'changed' && policy.yamlDiff !== null) {
      lines.push('  --- enforced', '  +++ recommended');
      for (const line of policy.yamlDiff) lines.push(`  ${MARK[line.op]}${line.text}`);
    } else if (policy.status === 'new') {
      for (const text of splitLines(stringify(recommendation.policies[index], { lineWidth: 0 }))) {
        lines.push(`  +${text}`);
      }
    }
    lines.push('');
  });

  const today = diff.traffic.observedDeniedToday;
  lines.push('Traffic');
  lines.push(
    `  observed flows the enforced policies deny today: ${today.denied} of ${today.evaluated} (the recommendation would allow them)`,
  );
  for (const flow of today.flows) {
    lines.push(
      `    ${flow.source} -> ${flow.destination} ${flow.protocol}/${flow.port}: denied at ${flow.direction} by ${flow.deniedBy}; recommended: ${flow.recommended}`,
    );
  }
  if (today.flows.length < today.denied) lines.push(`    ... and ${today.denied - today.flows.length} more`);
  const beyond = diff.traffic.allowedBeyondObserved;
  const how = [
    beyond.enumerationComplete
      ? `${beyond.enumerated} unobserved workload pairs`
      : `the first ${beyond.enumerated} unobserved workload pairs (enumeration capped at ${beyond.maxEnumerated})`,
    beyond.sampled
      ? `a sample of ${beyond.evaluated} evaluated, about ${beyond.estimatedAllowed} in all`
      : 'all evaluated',
  ];
  lines.push(
    `  allowed today beyond the observed flows (the recommendation denies them): ${beyond.allowed} of ${how.join('; ')}; ports ${beyond.ports.join(', ') || 'none observed'}`,
  );
  for (const pair of beyond.examples) {
    lines.push(
      `    ${pair.source} -> ${pair.destination} ${pair.protocol}/${pair.port}: allowed by ${pair.allowedBy === 'none' ? 'no policy (none selects either end)' : pair.allowedBy}`,
    );
  }
  if (beyond.examples.length < beyond.allowed)
    lines.push(`    ... and ${beyond.allowed - beyond.examples.length} more`);
  return `${lines.join('\n')}\n`;
}
