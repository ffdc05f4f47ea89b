/**
 * Recommended policies as YAML `kubectl apply -f` takes: one document per policy, `---` between them, in the
 * recommender's (sorted) order, so the same flows always give byte-identical output.
 */
import { stringify } from 'yaml';
import type { Recommendation } from './recommend';

export function renderRecommendationYaml(recommendation: Recommendation): string {
  const header = [
    '# Recommended by flowlens policy recommend: least-privilege policies from observed flows.',
    `# ${count(recommendation.policies.length, 'policy', 'policies')} from ${count(recommendation.flowsUsed, 'observed flow', 'observed flows')}.`,
    ...recommendation.warnings.map((warning) => `# warning: ${warning}`),
  ].join('\n');
  const documents = recommendation.policies.map((policy) => stringify(policy, { lineWidth: 0 }));
  return `${header}\n${documents.map((document) => `---\n${document}`).join('')}`;
}

function count(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`;
}
