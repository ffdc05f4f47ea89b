import { test } from 'node:test';
import assert from 'node:assert/strict';
import { renderRecommendationDiff } from './render-diff';
import type { RecommendationDiff } from './diff';
import type { Recommendation } from './recommend';

const POLICY = {
  apiVersion: 'networking.k8s.io/v1',
  kind: 'NetworkPolicy',
  metadata: { name: 'flowlens-recommended-web', namespace: 'shop' },
  spec: { podSelector: { matchLabels: { app: 'web' } } },
};
const RECOMMENDATION: Recommendation = { policies: [POLICY], warnings: [], flowsUsed: 3, flowsSkipped: {} };

function diffWith(beyond: Partial<RecommendationDiff['traffic']['allowedBeyondObserved']>): RecommendationDiff {
  return {
    policies: [
      {
        kind: 'NetworkPolicy',
        namespace: 'shop',
        name: 'flowlens-recommended-web',
        status: 'new',
        yaml: '',
        yamlDiff: null,
        workloads: ['shop/web'],
        enforcedSelecting: [],
      },
    ],
    traffic: {
      observedDeniedToday: { evaluated: 3, denied: 0, flows: [] },
      allowedBeyondObserved: {
        ports: ['TCP/80'],
        enumerated: 200_000,
        enumerationComplete: false,
        maxEnumerated: 200_000,
        evaluated: 5_000,
        sampled: true,
        allowed: 50,
        estimatedAllowed: 2_000,
        examples: [{ source: 'shop/a', destination: 'shop/web', port: 80, protocol: 'TCP', allowedBy: 'shop/open' }],
        ...beyond,
      },
    },
  };
}

test('a new policy prints as added lines; a capped, sampled count says so and gives the estimate', () => {
  const text = renderRecommendationDiff(RECOMMENDATION, diffWith({}), 'cluster.yaml');
  assert.match(text, /^# 1 new, 0 changed, 0 unchanged$/m);
  assert.match(text, /^ {2}enforced on these workloads today: none \(all traffic allowed\)$/m);
  assert.match(text, /^ {2}\+kind: NetworkPolicy$/m);
  assert.match(
    text,
    /50 of the first 200000 unobserved workload pairs \(enumeration capped at 200000\); a sample of 5000 evaluated, about 2000 in all; ports TCP\/80/,
  );
  assert.match(text, /^ {4}shop\/a -> shop\/web TCP\/80: allowed by shop\/open$/m);
  assert.match(text, /^ {4}\.\.\. and 49 more$/m);
});

test('a complete, unsampled count says all were evaluated', () => {
  const text = renderRecommendationDiff(
    RECOMMENDATION,
    diffWith({
      enumerated: 12,
      enumerationComplete: true,
      evaluated: 12,
      sampled: false,
      allowed: 1,
      estimatedAllowed: 1,
    }),
    'cluster.yaml',
  );
  assert.match(text, /1 of 12 unobserved workload pairs; all evaluated; ports TCP\/80/);
  assert.doesNotMatch(text, /more$/m);
});
