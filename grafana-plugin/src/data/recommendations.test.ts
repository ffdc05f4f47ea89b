import {
  RecommendationsShapeError,
  downloadFileName,
  explainFailure,
  namespacesOf,
  observedSummary,
  parseRecommendations,
  policyViews,
  recommendationsUrl,
  recommendationsYaml,
  settingsProblem,
  trafficSummary,
} from './recommendations';
import { contractAnswer } from './testing/recommendations-answer';

describe('recommendationsUrl', () => {
  it("calls the exporter through Grafana's plugin proxy route, with the diff", () => {
    expect(recommendationsUrl('shop', 'calico-staged')).toBe(
      '/api/plugin-proxy/flowlens-observability-app/exporter/api/v1/recommendations?namespace=shop&format=calico-staged&diff=true',
    );
    expect(recommendationsUrl(undefined, 'kubernetes')).toBe(
      '/api/plugin-proxy/flowlens-observability-app/exporter/api/v1/recommendations?format=kubernetes&diff=true',
    );
  });
});

describe('parseRecommendations', () => {
  it("reads the exporter's answer", () => {
    const answer = parseRecommendations(contractAnswer());
    expect(answer.format).toBe('kubernetes');
    expect(answer.namespace).toBe('shop');
    expect(answer.diff.policies.map((policy) => `${policy.name} ${policy.status}`)).toEqual([
      'flowlens-recommended-cart changed',
      'flowlens-recommended-cart-canary unchanged',
      'flowlens-recommended-frontend new',
    ]);
    expect(answer.observed).toEqual({ source: 'local', flows: 8, budget: 1000, dropped: 0, complete: true });
  });

  it("says which flows the policies stand on: this exporter's, or the cluster's in Prometheus", () => {
    const local = parseRecommendations(contractAnswer());
    expect(observedSummary(local)).toBe(
      "Recommended from 8 distinct observed flows: the flows the answering exporter observed since it started (one node's; configure api.prometheus for the whole cluster).",
    );
    const fromPrometheus = contractAnswer() as { observed: Record<string, unknown> };
    fromPrometheus.observed['source'] = 'prometheus';
    fromPrometheus.observed['dropped'] = 3;
    expect(observedSummary(parseRecommendations(fromPrometheus))).toMatch(
      /^Recommended from 8 distinct observed flows: the whole cluster's allowed flows in Prometheus .*; 3 more past the budget were not kept\.$/,
    );
    fromPrometheus.observed['source'] = 'thanos';
    expect(() => parseRecommendations(fromPrometheus)).toThrow(/observed\.source must be one of local, prometheus/);
    // An exporter from before api.prometheus said nothing: its own flows.
    const older = contractAnswer() as { observed: Record<string, unknown> };
    delete older.observed['source'];
    expect(parseRecommendations(older).observed.source).toBe('local');
  });

  it('names the field that drifted', () => {
    const answer = contractAnswer() as { diff: { policies: { status: unknown }[] } };
    answer.diff.policies[1]!.status = 'modified';
    expect(() => parseRecommendations(answer)).toThrow(
      new RecommendationsShapeError('diff.policies[1].status must be one of new, changed, unchanged'),
    );
    const withoutDiff = contractAnswer() as Record<string, unknown>;
    delete withoutDiff['diff'];
    expect(() => parseRecommendations(withoutDiff)).toThrow(/diff is missing: the exporter predates diff=true/);
    expect(() => parseRecommendations('<html>')).toThrow(/the answer must be an object/);
  });
});

describe('policyViews', () => {
  const views = policyViews(parseRecommendations(contractAnswer()));

  it('a changed policy shows its YAML diff: the stale port removed, the observed one added', () => {
    const cart = views[0]!;
    expect(cart).toMatchObject({ status: 'changed', badgeColor: 'orange', selects: 'shop/cart' });
    const changes = cart.lines.filter((line) => line.op !== 'same').map((line) => `${line.op} ${line.text.trim()}`);
    expect(changes).toEqual([
      'removed flowlens.io/observed-flows: "2"',
      'added flowlens.io/observed-flows: "3"',
      'removed port: 9090',
      'added port: 8080',
    ]);
    expect([cart.added, cart.removed]).toEqual([2, 2]);
    expect(cart.enforcedToday).toBe('shop/flowlens-recommended-cart (ingress and egress)');
  });

  it('a new policy is all added lines, an unchanged one all kept', () => {
    const [, canary, frontend] = views;
    expect(frontend!.status).toBe('new');
    expect(frontend!.badgeColor).toBe('green');
    expect(frontend!.lines.every((line) => line.op === 'added')).toBe(true);
    expect(frontend!.lines[0]).toEqual({ op: 'added', text: 'apiVersion: networking.k8s.io/v1' });
    expect(frontend!.enforcedToday).toBe('shop/frontend-from-shop (ingress)');
    expect(canary!.lines.every((line) => line.op === 'same')).toBe(true);
    expect(canary!.badgeColor).toBe('blue');
  });
});

describe('trafficSummary', () => {
  it('says what is denied today and how the allowed-but-unobserved count was made', () => {
    const summary = trafficSummary(parseRecommendations(contractAnswer()));
    expect(summary.deniedToday).toBe(
      '1 of 5 observed flows are denied by the enforced policies today; the recommendation allows them.',
    );
    expect(summary.deniedFlows).toEqual([
      'shop/frontend → shop/cart TCP/8080: denied at ingress by shop/flowlens-recommended-cart',
    ]);
    expect(summary.allowedBeyond).toBe('11 unobserved connections are allowed today and denied by the recommendation.');
    expect(summary.allowedMethod).toBe(
      '70 unobserved workload pairs on the observed ports (TCP/8080, TCP/8443, UDP/53, TCP/443); all evaluated with the policy engine',
    );
    expect(summary.allowedExamples).toContain(
      'shop/frontend → payments/payments-api TCP/8443: allowed by no policy (neither end isolated)',
    );
  });

  it('a sampled count is an estimate and says so', () => {
    const answer = parseRecommendations(contractAnswer());
    const beyond = answer.diff.traffic.allowedBeyondObserved;
    Object.assign(beyond, {
      sampled: true,
      evaluated: 5000,
      allowed: 40,
      estimatedAllowed: 1600,
      enumerated: 200000,
      enumerationComplete: false,
    });
    const summary = trafficSummary(answer);
    expect(summary.allowedBeyond).toBe(
      'About 1600 unobserved connections are allowed today and denied by the recommendation (40 of 5000 sampled).',
    );
    expect(summary.allowedMethod).toBe(
      'the first 200000 unobserved workload pairs (enumeration capped at 200000); a sample of 5000 evaluated with the policy engine, so the total is an estimate',
    );
  });
});

describe('YAML to copy and download', () => {
  it('is every policy as one stream kubectl takes, with a file name of namespace and format', () => {
    const answer = parseRecommendations(contractAnswer());
    const yaml = recommendationsYaml(answer);
    expect(yaml.startsWith('# Recommended by Flowlens (kubernetes, namespace shop).\n---\napiVersion:')).toBe(true);
    expect(yaml.match(/^---$/gm)).toHaveLength(3);
    expect(yaml).toContain('name: flowlens-recommended-frontend');
    expect(downloadFileName('shop', 'kubernetes')).toBe('flowlens-recommended-shop-kubernetes.yaml');
    expect(downloadFileName(undefined, 'calico-staged')).toBe('flowlens-recommended-all-namespaces-calico-staged.yaml');
  });

  it('the namespaces it names are the picker options', () => {
    expect(namespacesOf(parseRecommendations(contractAnswer()))).toEqual(['shop']);
  });
});

describe('problems', () => {
  it('a missing URL or token points at the Configuration page', () => {
    expect(settingsProblem(undefined, true)).toMatchObject({
      title: 'The exporter API URL is not set',
      configure: true,
    });
    expect(settingsProblem('http://x:9464', false)).toMatchObject({
      title: 'The exporter API token is not set',
      configure: true,
    });
    expect(settingsProblem('http://x:9464', true)).toBeUndefined();
  });

  it("401, 403 and 503 say what to fix, with the exporter's message", () => {
    expect(explainFailure(401, 'missing or invalid bearer token\n')).toEqual({
      title: 'The exporter refused the token (401)',
      fix: "Set the API token on the Configuration page to the exporter's current api.tokenFile. The exporter said: missing or invalid bearer token",
      configure: true,
    });
    expect(explainFailure(403, '').title).toBe('The exporter does not allow this caller (403)');
    const unavailable = explainFailure(503, 'no cluster view yet: serve with --resources FILE or --kubernetes');
    expect(unavailable.configure).toBe(false);
    expect(unavailable.fix).toMatch(/--resources or --kubernetes, wait for \/readyz/);
    expect(unavailable.fix).toMatch(/The exporter said: no cluster view yet/);
    expect(explainFailure(502, { message: 'dial tcp: connection refused' })).toMatchObject({
      title: 'Grafana could not reach the exporter (502)',
      configure: true,
    });
    expect(explainFailure(400, 'namespace "Shop" must be a namespace name\n').fix).toBe(
      'namespace "Shop" must be a namespace name',
    );
  });

  it("the exporter's own busy 503 and time-limit 504 are told apart from a missing view and an unreachable exporter", () => {
    expect(explainFailure(503, 'busy: one recommendation is being computed and 4 more are waiting\n')).toEqual({
      title: 'The exporter is busy with other recommendations (503)',
      fix: 'Reload in a few seconds. The exporter said: busy: one recommendation is being computed and 4 more are waiting',
      configure: false,
    });
    const slow = explainFailure(
      504,
      'the recommendation took longer than 30s (api.recommendationTimeout) and was stopped: ask for one namespace, or raise the limit\n',
    );
    expect(slow.title).toBe('The recommendation took too long (504)');
    expect(slow.fix).toMatch(/^Pick one namespace, or raise api\.recommendationTimeout/);
    expect(slow.configure).toBe(false);
    // Grafana's proxy timing out is still about reaching the exporter.
    expect(explainFailure(504, { message: 'Gateway Timeout' }).title).toBe(
      'Grafana could not reach the exporter (504)',
    );
    expect(explainFailure(500, 'the recommendation could not be computed: boom\n')).toEqual({
      title: 'The call failed (500)',
      fix: 'the recommendation could not be computed: boom',
      configure: false,
    });
  });
});
