import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadConfig, overridesFromEnvironment } from './config';

function withConfigFile(text: string, body: (path: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'flowlens-config-'));
  try {
    const path = join(dir, 'flowlens.yaml');
    writeFileSync(path, text);
    body(path);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function problemsOf(action: () => unknown): string[] {
  try {
    action();
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  assert.fail('expected a ConfigError');
}

test('defaults, then file, then environment, then flags', () => {
  withConfigFile(
    'listen: 127.0.0.1:9000\nlogLevel: debug\nsources: [calico-flows:/var/log/flows.log]\nmetrics:\n  ttl: 5m\n  families:\n    flowlens_flows_total: {aggregation: pod, ports: false, budget: 100}\n',
    (path) => {
      const fromFile = loadConfig({ configFile: path, environment: {}, flags: {} });
      assert.equal(fromFile.listenHost, '127.0.0.1');
      assert.equal(fromFile.listenPort, 9000);
      assert.equal(fromFile.logLevel, 'debug');
      assert.deepEqual(fromFile.sources, [
        { kind: 'calico-flows', argument: '/var/log/flows.log', id: 'calico-flows' },
      ]);
      assert.deepEqual(fromFile.families.get('flowlens_flows_total'), {
        level: 'pod',
        ports: false,
        budget: 100,
        ttlSeconds: 300,
      });
      assert.equal(fromFile.families.get('flowlens_flow_bytes_total')?.ttlSeconds, 300);
      const overridden = loadConfig({
        configFile: path,
        environment: { listen: '127.0.0.1:9100', logLevel: 'warn' },
        flags: { listen: '[::1]:9200', sources: ['hubble:/tmp/a', 'hubble:/tmp/b'], demo: true },
      });
      assert.equal(overridden.listenHost, '::1');
      assert.equal(overridden.listenPort, 9200);
      assert.equal(overridden.logLevel, 'warn');
      assert.deepEqual(
        overridden.sources.map((source) => source.id),
        ['hubble', 'hubble-2', 'demo'],
      );
    },
  );
});

test('every mistake names the key, the value and the fix', () => {
  withConfigFile(
    [
      'listen: nowhere',
      'logLevel: loud',
      'sources: [bogus:/x, calico-flows]',
      'colour: blue',
      'metrics:',
      '  budget: -5',
      '  families:',
      '    flowlens_flows_total: {aggregation: pods, ports: maybe, ttl: soon}',
      '    flowlens_nothing_total: {}',
    ].join('\n'),
    (path) => {
      const problems = problemsOf(() => loadConfig({ configFile: path, environment: {}, flags: {} }));
      const expectations = [
        /listen address "nowhere" must be HOST:PORT/,
        /log level "loud" is not one of debug, info, warn, error/,
        /unknown kind "bogus"; use one of calico-flows, calico-dns, hubble, coredns, envoy, calico-l7, envoy-als, audit, conntrack, demo/,
        /a calico-flows source needs a file, as calico-flows:\/path\/to\/file/,
        /colour: unknown key; known keys are/,
        /metrics.budget: -5 must be a whole number/,
        /metrics.families.flowlens_flows_total.aggregation: "pods" is not one of workload, pod/,
        /metrics.families.flowlens_flows_total.ports: "maybe" must be true or false/,
        /metrics.families.flowlens_flows_total.ttl: "soon" must be a duration/,
        /metrics.families.flowlens_nothing_total: unknown family/,
      ];
      for (const expected of expectations) {
        assert.ok(
          problems.some((problem) => expected.test(problem)),
          `${expected} not in:\n${problems.join('\n')}`,
        );
      }
    },
  );
});

test('an unreadable or invalid config file is reported with its path', () => {
  assert.match(
    problemsOf(() => loadConfig({ configFile: '/nonexistent/flowlens.yaml', environment: {}, flags: {} }))[0] ?? '',
    /config file \/nonexistent\/flowlens.yaml cannot be read: ENOENT/,
  );
  withConfigFile('listen: [unclosed', (path) => {
    assert.match(
      problemsOf(() => loadConfig({ configFile: path, environment: {}, flags: {} }))[0] ?? '',
      /is not valid YAML/,
    );
  });
  withConfigFile('- just\n- a list\n', (path) => {
    assert.match(
      problemsOf(() => loadConfig({ configFile: path, environment: {}, flags: {} }))[0] ?? '',
      /top level must be a mapping/,
    );
  });
});

test('FLOWLENS_* environment variables, and unknown ones are errors', () => {
  const { overrides, configFile, problems } = overridesFromEnvironment({
    FLOWLENS_LISTEN: ':9999',
    FLOWLENS_SOURCES: 'calico-flows:/a, hubble:/b',
    FLOWLENS_DEMO: 'true',
    FLOWLENS_CONFIG: '/etc/flowlens.yaml',
    FLOWLENS_LISTNE: 'typo',
    FLOWLENS_DEMO_X: '1',
    PATH: '/usr/bin',
  });
  assert.deepEqual(overrides, { listen: ':9999', sources: ['calico-flows:/a', 'hubble:/b'], demo: true });
  assert.equal(configFile, '/etc/flowlens.yaml');
  assert.equal(problems.length, 2);
  assert.match(problems[0] ?? '', /FLOWLENS_LISTNE is not known; use one of FLOWLENS_CONFIG/);
  assert.match(
    overridesFromEnvironment({ FLOWLENS_DEMO: 'yes' }).problems[0] ?? '',
    /FLOWLENS_DEMO: "yes" must be true or false/,
  );
});

test('DNS families are configured like flow families; topK only where the family has a top-K label', () => {
  withConfigFile(
    'metrics:\n  families:\n    flowlens_dns_domain_requests_total: {topK: 7, budget: 500}\n    flowlens_dns_requests_total: {aggregation: pod}\n',
    (path) => {
      const config = loadConfig({ configFile: path, environment: {}, flags: {} });
      assert.equal(config.families.get('flowlens_dns_domain_requests_total')?.topK, 7);
      assert.equal(config.families.get('flowlens_dns_domain_requests_total')?.budget, 500);
      assert.equal(config.families.get('flowlens_dns_requests_total')?.level, 'pod');
      assert.equal(config.families.get('flowlens_dns_requests_total')?.topK, undefined);
    },
  );
  withConfigFile(
    'metrics:\n  families:\n    flowlens_dns_domain_requests_total: {topK: 0}\n    flowlens_flows_total: {topK: 5}\n',
    (path) => {
      const problems = problemsOf(() => loadConfig({ configFile: path, environment: {}, flags: {} })).join('\n');
      assert.match(problems, /flowlens_dns_domain_requests_total.topK: 0 must be a whole number between 1 and 100000/);
      assert.match(problems, /flowlens_flows_total.topK: the family has no top-K label/);
    },
  );
});

test('audit.webhook takes a token file, client certificates, or both', () => {
  withConfigFile('audit:\n  webhook:\n    tokenFile: ./token\n', (path) => {
    const config = loadConfig({ configFile: path, environment: {}, flags: {} });
    assert.match(config.auditWebhook?.tokenFile ?? '', /\/token$/);
    assert.equal(config.auditWebhook?.clientCertificate, undefined);
  });
  assert.equal(loadConfig({ configFile: undefined, environment: {}, flags: {} }).auditWebhook, undefined);
  withConfigFile(
    'server:\n  tls: {certFile: s.crt, keyFile: s.key, clientCAFile: ca.crt}\naudit:\n  webhook:\n    tokenFile: ./token\n    clientCertificate:\n      allowedCommonNames: [kube-apiserver]\n',
    (path) => {
      const config = loadConfig({ configFile: path, environment: {}, flags: {} });
      assert.deepEqual(config.auditWebhook?.clientCertificate, {
        allowedCommonNames: ['kube-apiserver'],
        allowedOrganizations: [],
      });
      assert.match(config.auditWebhook?.tokenFile ?? '', /\/token$/);
      assert.match(config.tls?.clientCAFile ?? '', /\/ca\.crt$/);
    },
  );
});

test('audit.webhook mistakes name the key and the fix', () => {
  withConfigFile('audit:\n  webhook:\n    allowedCommonNames: [kube-apiserver]\n  colour: red\n', (path) => {
    const problems = problemsOf(() => loadConfig({ configFile: path, environment: {}, flags: {} }));
    assert.ok(
      problems.some((problem) =>
        /audit\.webhook\.allowedCommonNames: belongs under audit\.webhook\.clientCertificate\.allowedCommonNames/.test(
          problem,
        ),
      ),
      problems.join('\n'),
    );
    assert.ok(problems.some((problem) => /audit\.colour: unknown key/.test(problem)));
    assert.ok(problems.some((problem) => /audit\.webhook: needs tokenFile .* or clientCertificate/.test(problem)));
  });
  withConfigFile('audit:\n  webhook:\n    clientCertificate:\n      allowedCommonNames: [kube-apiserver]\n', (path) => {
    const problems = problemsOf(() => loadConfig({ configFile: path, environment: {}, flags: {} }));
    assert.equal(problems.length, 1, problems.join('\n'));
    assert.match(
      problems[0]!,
      /audit\.webhook\.clientCertificate: .*set server\.tls\.clientCAFile \(--tls-client-ca-file\)/,
    );
  });
  withConfigFile(
    'server:\n  tls: {certFile: s.crt, keyFile: s.key, clientCAFile: ca.crt}\naudit:\n  webhook:\n    clientCertificate:\n      allowedCommonName: [typo]\n      allowedOrganizations: cluster-admins\n',
    (path) => {
      const problems = problemsOf(() => loadConfig({ configFile: path, environment: {}, flags: {} }));
      assert.ok(problems.some((problem) => /clientCertificate\.allowedCommonName: unknown key/.test(problem)));
      assert.ok(
        problems.some((problem) =>
          /clientCertificate\.allowedOrganizations: "cluster-admins" must be a list/.test(problem),
        ),
      );
    },
  );
  withConfigFile(
    'server:\n  tls: {certFile: s.crt, keyFile: s.key, clientCAFile: ca.crt}\naudit:\n  webhook:\n    clientCertificate: {}\n',
    (path) => {
      const problems = problemsOf(() => loadConfig({ configFile: path, environment: {}, flags: {} }));
      assert.ok(problems.some((problem) => /clientCertificate: list at least one allowed subject/.test(problem)));
    },
  );
});

test('server.tls from the file, the environment or flags; a certificate needs its key', () => {
  withConfigFile('server:\n  tls:\n    certFile: ./tls.crt\n    keyFile: ./tls.key\n', (path) => {
    const config = loadConfig({ configFile: path, environment: {}, flags: {} });
    assert.match(config.tls?.certFile ?? '', /^\/.*\/tls\.crt$/, 'made absolute');
    assert.match(config.tls?.keyFile ?? '', /\/tls\.key$/);
    assert.equal(config.tls?.clientCAFile, undefined);
    const flagged = loadConfig({
      configFile: path,
      environment: {},
      flags: { tlsCertFile: '/etc/other.crt', tlsClientCAFile: '/etc/ca.crt' },
    });
    assert.equal(flagged.tls?.certFile, '/etc/other.crt');
    assert.equal(flagged.tls?.clientCAFile, '/etc/ca.crt');
  });
  assert.equal(loadConfig({ configFile: undefined, environment: {}, flags: {} }).tls, undefined);
  const { overrides, problems } = overridesFromEnvironment({
    FLOWLENS_TLS_CERT_FILE: '/a.crt',
    FLOWLENS_TLS_KEY_FILE: '/a.key',
  });
  assert.deepEqual(problems, []);
  assert.deepEqual(loadConfig({ configFile: undefined, environment: overrides, flags: {} }).tls, {
    certFile: '/a.crt',
    keyFile: '/a.key',
    clientCAFile: undefined,
  });
  assert.deepEqual(
    problemsOf(() => loadConfig({ configFile: undefined, environment: {}, flags: { tlsCertFile: '/a.crt' } })),
    [
      "server.tls.keyFile (--tls-key-file): missing; server.tls.certFile (--tls-cert-file) needs the server's certificate and key (PEM files) both set",
    ],
  );
  assert.deepEqual(
    problemsOf(() => loadConfig({ configFile: undefined, environment: {}, flags: { tlsClientCAFile: '/ca.crt' } })),
    [
      "server.tls.certFile (--tls-cert-file) and server.tls.keyFile (--tls-key-file): missing; server.tls.clientCAFile (--tls-client-ca-file) needs the server's certificate and key (PEM files) both set",
    ],
  );
  withConfigFile('server:\n  tls:\n    certFile: 42\n    keyFile: ./k\n    cafile: ./ca\n  port: 1\n', (path) => {
    const found = problemsOf(() => loadConfig({ configFile: path, environment: {}, flags: {} }));
    assert.ok(found.some((problem) => /server\.tls\.certFile: 42 must be the path of a PEM file/.test(problem)));
    assert.ok(found.some((problem) => /server\.tls\.cafile: unknown key; known keys are certFile/.test(problem)));
    assert.ok(found.some((problem) => /server\.port: unknown key; known keys are tls/.test(problem)));
  });
});

test('api takes a token file and/or client certificates, and a budget of observed flows', () => {
  withConfigFile('api:\n  tokenFile: ./api-token\n', (path) => {
    const config = loadConfig({ configFile: path, environment: {}, flags: {} });
    assert.match(config.api?.tokenFile ?? '', /\/api-token$/);
    assert.equal(config.api?.maxObservedFlows, 50_000);
    assert.equal(config.api?.recommendationTimeoutSeconds, 30);
  });
  withConfigFile('api:\n  tokenFile: ./api-token\n  recommendationTimeout: 2m\n', (path) => {
    assert.equal(loadConfig({ configFile: path, environment: {}, flags: {} }).api?.recommendationTimeoutSeconds, 120);
  });
  assert.equal(loadConfig({ configFile: undefined, environment: {}, flags: {} }).api, undefined, 'off by default');
  withConfigFile(
    'server:\n  tls: {certFile: s.crt, keyFile: s.key, clientCAFile: ca.crt}\napi:\n  clientCertificate:\n    allowedOrganizations: [flowlens-readers]\n  maxObservedFlows: 1000\n',
    (path) => {
      const config = loadConfig({ configFile: path, environment: {}, flags: {} });
      assert.deepEqual(config.api?.clientCertificate, {
        allowedCommonNames: [],
        allowedOrganizations: ['flowlens-readers'],
      });
      assert.equal(config.api?.maxObservedFlows, 1000);
    },
  );
});

test('api.prometheus: where the cluster flows are, with credentials from files', () => {
  withConfigFile('api:\n  tokenFile: ./t\n  prometheus:\n    url: http://prometheus.monitoring:9090\n', (path) => {
    const prometheus = loadConfig({ configFile: path, environment: {}, flags: {} }).api?.prometheus;
    assert.equal(prometheus?.url.href, 'http://prometheus.monitoring:9090/');
    assert.equal(prometheus?.range, '7d', 'a week by default');
    assert.equal(prometheus?.timeoutSeconds, 30);
    assert.equal(prometheus?.cacheSeconds, 60, 'answers reused for a minute by default');
    assert.equal(prometheus?.tokenFile, undefined);
  });
  withConfigFile(
    'api:\n  tokenFile: ./t\n  prometheus:\n    url: https://prom.example/sub\n    range: 2w\n    tokenFile: /var/run/secrets/token\n    caFile: ./ca.crt\n    timeout: 1m\n    cache: 5m\n',
    (path) => {
      const prometheus = loadConfig({ configFile: path, environment: {}, flags: {} }).api?.prometheus;
      assert.equal(prometheus?.url.href, 'https://prom.example/sub/');
      assert.equal(prometheus?.range, '2w');
      assert.equal(prometheus?.tokenFile, '/var/run/secrets/token');
      assert.match(prometheus?.caFile ?? '', /^\/.*\/ca\.crt$/, 'made absolute');
      assert.equal(prometheus?.timeoutSeconds, 60);
      assert.equal(prometheus?.cacheSeconds, 300);
    },
  );
  withConfigFile('api:\n  tokenFile: ./t\n  prometheus:\n    url: http://prom:9090\n    cache: 0\n', (path) => {
    assert.equal(loadConfig({ configFile: path, environment: {}, flags: {} }).api?.prometheus?.cacheSeconds, 0);
  });
  withConfigFile(
    'api:\n  tokenFile: ./t\n  prometheus:\n    url: http://prom:9090\n    basicAuth: {username: flowlens, passwordFile: /etc/prom/password}\n',
    (path) => {
      const prometheus = loadConfig({ configFile: path, environment: {}, flags: {} }).api?.prometheus;
      assert.deepEqual(prometheus?.basicAuth, { username: 'flowlens', passwordFile: '/etc/prom/password' });
    },
  );
});

test('api.prometheus mistakes name the key and the fix', () => {
  const api = (prometheus: string): string => `api:\n  tokenFile: ./t\n  prometheus:\n${prometheus}`;
  const cases: [string, RegExp][] = [
    ['api:\n  tokenFile: ./t\n  prometheus: http://prom\n', /api\.prometheus: must be a mapping with url/],
    [api('    range: 7d\n'), /api\.prometheus\.url: undefined must be Prometheus' URL/],
    [api('    url: prom:9090\n'), /api\.prometheus\.url: "prom:9090" must be an http:\/\/ or https:\/\/ URL/],
    [
      api('    url: http://u:secret@prom\n'),
      /api\.prometheus\.url: .*basic auth, not in the URL \(basicAuth: \{username, passwordFile\}\)/,
    ],
    [api('    url: http://prom\n    range: 7days\n'), /api\.prometheus\.range: "7days" must be a number and one unit/],
    [api('    url: http://prom\n    range: 7\n'), /api\.prometheus\.range: 7 must be a range such as 7d/],
    [api('    url: http://prom\n    caFile: ./ca\n'), /api\.prometheus\.caFile: a CA file is for https URLs/],
    [
      api('    url: http://prom\n    tokenFile: ./t\n    basicAuth: {username: a, passwordFile: ./p}\n'),
      /api\.prometheus: give tokenFile or basicAuth, not both/,
    ],
    [
      api('    url: http://prom\n    basicAuth: {username: a, password: hunter2}\n'),
      /api\.prometheus\.basicAuth\.password: unknown key; .*\(the password goes in a file\)/,
    ],
    [
      api('    url: http://prom\n    basicAuth: {username: a}\n'),
      /api\.prometheus\.basicAuth\.passwordFile: is required/,
    ],
    [api('    url: http://prom\n    timeout: soon\n'), /api\.prometheus\.timeout: "soon" must be a duration/],
    [
      api('    url: http://prom\n    cache: -1m\n'),
      /api\.prometheus\.cache \(0 turns it off\): "-1m" must be a duration/,
    ],
    [api('    url: http://prom\n    step: 1m\n'), /api\.prometheus\.step: unknown key; known keys are url, range/],
  ];
  for (const [text, message] of cases) {
    withConfigFile(text, (path) => {
      const problems = problemsOf(() => loadConfig({ configFile: path, environment: {}, flags: {} }));
      assert.ok(
        problems.some((problem) => message.test(problem)),
        `${text}\n${problems.join('\n')}`,
      );
      assert.ok(
        problems.every((problem) => !problem.includes('hunter2')),
        'a password is never repeated',
      );
    });
  }
});

test('api mistakes name the key and the fix', () => {
  const cases: [string, RegExp][] = [
    ['api: yes\n', /api: must be a mapping with tokenFile and\/or clientCertificate/],
    ['api:\n  maxObservedFlows: 10\n', /api: needs tokenFile \(a bearer token\) or clientCertificate/],
    [
      'api:\n  tokenFile: ./t\n  tokenfile: ./t\n',
      /api\.tokenfile: unknown key; known keys are tokenFile, clientCertificate, maxObservedFlows, prometheus, recommendationTimeout/,
    ],
    ['api:\n  tokenFile: 42\n', /api\.tokenFile: 42 must be the path of a file holding the bearer token/],
    [
      'api:\n  tokenFile: ./t\n  maxObservedFlows: "lots"\n',
      /api\.maxObservedFlows: .*must be a whole number of at least 1/,
    ],
    ['api:\n  tokenFile: ./t\n  maxObservedFlows: 0\n', /api\.maxObservedFlows: 0 must be a whole number/],
    [
      'api:\n  tokenFile: ./t\n  recommendationTimeout: soon\n',
      /api\.recommendationTimeout: "soon" must be a duration of at least 1s/,
    ],
    ['api:\n  tokenFile: ./t\n  recommendationTimeout: 1h\n', /api\.recommendationTimeout: "1h" must be at most 10m/],
    [
      'api:\n  clientCertificate:\n    allowedCommonNames: [reader]\n',
      /api\.clientCertificate: .*set server\.tls\.clientCAFile \(--tls-client-ca-file\)/,
    ],
    [
      'server:\n  tls: {certFile: s.crt, keyFile: s.key, clientCAFile: ca.crt}\napi:\n  clientCertificate: {}\n',
      /api\.clientCertificate: list at least one allowed subject/,
    ],
  ];
  for (const [text, message] of cases) {
    withConfigFile(text, (path) => {
      const problems = problemsOf(() => loadConfig({ configFile: path, environment: {}, flags: {} }));
      assert.ok(
        problems.some((problem) => message.test(problem)),
        `${text}\n${problems.join('\n')}`,
      );
    });
  }
});
