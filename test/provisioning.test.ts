/**
 * provisioning/ and the Dockerfile: every manifest parses; Prometheus's and Alertmanager's own checkers accept
 * their configurations; the PrometheusRule is exactly alerts/; the ClusterRole grants exactly what the live
 * cluster view watches, read-only; the DaemonSet is locked down and the kustomize components' patches apply to it.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { parse, parseAllDocuments } from 'yaml';
import { WATCHED_KINDS } from '@flowlens/exporter/dist/src/cluster/live-view';
import { Processes, REPO_ROOT, run } from './support';

const PROVISIONING = join(REPO_ROOT, 'provisioning');
const KUBERNETES = join(PROVISIONING, 'kubernetes');
const processes = new Processes();

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

function yamlFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return yamlFiles(path);
    return /\.ya?ml$/.test(name) ? [path] : [];
  });
}

function readYaml(path: string): JsonObject {
  return parse(readFileSync(path, 'utf8')) as JsonObject;
}

function object(value: Json | undefined, where: string): JsonObject {
  assert.ok(value !== null && typeof value === 'object' && !Array.isArray(value), `${where} is a mapping`);
  return value;
}

function list(value: Json | undefined, where: string): Json[] {
  assert.ok(Array.isArray(value), `${where} is a list`);
  return value;
}

/** Applies JSON-patch `add` and `replace` operations, failing on a path that does not exist (as kustomize would). */
function applyPatch(document: JsonObject, operations: Json[]): JsonObject {
  const patched = structuredClone(document);
  for (const operation of operations) {
    const { op, path, value } = object(operation, 'patch operation');
    assert.ok(op === 'add' || op === 'replace', `unsupported op ${String(op)}`);
    const segments = String(path).split('/').slice(1);
    const last = segments.pop()!;
    let parent: Json = patched;
    for (const segment of segments) {
      const next: Json | undefined = Array.isArray(parent)
        ? parent[Number(segment)]
        : object(parent, String(path))[segment];
      assert.ok(next !== undefined, `patch path ${String(path)}: ${segment} does not exist`);
      parent = next;
    }
    if (Array.isArray(parent)) {
      assert.ok(last === '-' || Number(last) < parent.length, `patch path ${String(path)}`);
      if (last === '-') parent.push(value!);
      else parent[Number(last)] = value!;
    } else {
      const target = object(parent, String(path));
      if (op === 'replace') assert.ok(last in target, `patch path ${String(path)} replaces nothing`);
      target[last] = value!;
    }
  }
  return patched;
}

function daemonSet(): JsonObject {
  return readYaml(join(KUBERNETES, 'base', 'daemonset.yaml'));
}

function podSpec(document: JsonObject): JsonObject {
  return object(object(object(document['spec'], 'spec')['template'], 'template')['spec'], 'pod spec');
}

describe('provisioning', () => {
  test('every YAML file parses, and every Kubernetes manifest names its kind', () => {
    const files = yamlFiles(PROVISIONING);
    assert.ok(files.length >= 15, `${files.length} YAML files`);
    for (const file of files) {
      const documents = parseAllDocuments(readFileSync(file, 'utf8'));
      for (const document of Array.isArray(documents) ? documents : [documents]) {
        assert.deepEqual(document.errors, [], `${relative(REPO_ROOT, file)}: ${document.errors.join('; ')}`);
        if (file.startsWith(KUBERNETES)) {
          const manifest = document.toJSON() as JsonObject;
          assert.ok(typeof manifest['apiVersion'] === 'string' && typeof manifest['kind'] === 'string', file);
        }
      }
    }
  });

  test('promtool accepts the Prometheus configuration and the rules it loads', async () => {
    const checked = await run(processes, 'promtool', [
      'check',
      'config',
      join(PROVISIONING, 'prometheus', 'prometheus.yml'),
    ]);
    assert.equal(checked.code, 0, `${checked.stdout}${checked.stderr}`);
    assert.match(checked.stdout, /SUCCESS: \d+ rules found/);
  });

  test('the in-cluster Prometheus configuration discovers the DaemonSet pods as job flowlens', () => {
    const config = readYaml(join(PROVISIONING, 'prometheus', 'prometheus-kubernetes.yml'));
    const [job] = list(config['scrape_configs'], 'scrape_configs').map((entry) => object(entry, 'scrape config'));
    assert.equal(job?.['job_name'], 'flowlens');
    assert.equal(object(list(job?.['kubernetes_sd_configs'], 'sd')[0], 'sd')['role'], 'pod');
  });

  test('amtool accepts the Alertmanager configuration', async () => {
    const checked = await run(processes, 'amtool', [
      'check-config',
      join(PROVISIONING, 'alertmanager', 'alertmanager.yml'),
    ]);
    assert.equal(checked.code, 0, `${checked.stdout}${checked.stderr}`);
    assert.match(checked.stdout, /SUCCESS/);
  });

  test('the PrometheusRule is generated from alerts/ and holds the same groups', async () => {
    const checked = await run(processes, process.execPath, [
      join(REPO_ROOT, 'scripts', 'generate-prometheusrule.mjs'),
      '--check',
    ]);
    assert.equal(checked.code, 0, `${checked.stdout}${checked.stderr}`);
    const rule = readYaml(join(KUBERNETES, 'base', 'prometheusrule.yaml'));
    const alerts = readYaml(join(REPO_ROOT, 'alerts', 'flowlens-rules.yml'));
    assert.equal(rule['kind'], 'PrometheusRule');
    assert.deepEqual(object(rule['spec'], 'spec')['groups'], alerts['groups']);
  });

  test('the ClusterRole grants get, list and watch on exactly what the live view watches', () => {
    const role = readYaml(join(KUBERNETES, 'base', 'clusterrole.yaml'));
    const granted = new Set<string>();
    for (const rule of list(role['rules'], 'rules').map((entry) => object(entry, 'rule'))) {
      assert.deepEqual(rule['verbs'], ['get', 'list', 'watch'], 'read-only verbs');
      assert.equal(rule['resourceNames'], undefined);
      for (const group of list(rule['apiGroups'], 'apiGroups')) {
        for (const resource of list(rule['resources'], 'resources'))
          granted.add(`${String(group)}/${String(resource)}`);
      }
    }
    const watched = new Set(
      WATCHED_KINDS.map((kind) => {
        const core = /^\/api\/v1\/([a-z]+)$/.exec(kind.path);
        if (core) return `/${core[1]}`;
        const grouped = /^\/apis\/([^/]+)\/[^/]+\/([a-z]+)$/.exec(kind.path);
        assert.ok(grouped, `unexpected watch path ${kind.path}`);
        return `${grouped[1]}/${grouped[2]}`;
      }),
    );
    assert.deepEqual([...granted].sort(), [...watched].sort());
  });

  test('the DaemonSet runs as nobody, read-only, without host network or PID namespace, with limits', () => {
    const spec = podSpec(daemonSet());
    assert.equal(spec['hostNetwork'], undefined);
    assert.equal(spec['hostPID'], undefined);
    const [container] = list(spec['containers'], 'containers').map((entry) => object(entry, 'container'));
    const security = object(container?.['securityContext'], 'securityContext');
    assert.equal(security['runAsNonRoot'], true);
    assert.equal(security['readOnlyRootFilesystem'], true);
    assert.equal(security['allowPrivilegeEscalation'], false);
    assert.deepEqual(object(security['capabilities'], 'capabilities')['drop'], ['ALL']);
    const resources = object(container?.['resources'], 'resources');
    assert.ok(object(resources['requests'], 'requests')['memory'] && object(resources['limits'], 'limits')['memory']);
    // Log directories are mounted read-only; only the checkpoint directory is writable.
    for (const mount of list(container?.['volumeMounts'], 'volumeMounts').map((entry) => object(entry, 'mount'))) {
      if (mount['name'] !== 'state') assert.equal(mount['readOnly'], true, `${String(mount['name'])} is read-only`);
    }
    const args = list(container?.['args'], 'args').map(String);
    assert.equal(args[0], 'serve');
    assert.ok(args.some((arg) => arg.startsWith('--source=calico-flows:')));
  });

  test('the kustomization lists files that exist, and each component’s patch applies to the DaemonSet', () => {
    const base = readYaml(join(KUBERNETES, 'base', 'kustomization.yaml'));
    for (const resource of list(base['resources'], 'resources')) {
      assert.ok(existsSync(join(KUBERNETES, 'base', String(resource))), `base/${String(resource)} exists`);
    }
    const overlay = readYaml(join(KUBERNETES, 'overlays', 'full', 'kustomization.yaml'));
    for (const component of list(overlay['components'], 'components')) {
      const file = join(KUBERNETES, 'overlays', 'full', String(component), 'kustomization.yaml');
      const kustomization = readYaml(file);
      assert.equal(kustomization['kind'], 'Component');
      let patched = daemonSet();
      for (const patch of list(kustomization['patches'], 'patches').map((entry) => object(entry, 'patch'))) {
        patched = applyPatch(patched, list(parse(String(patch['patch'])) as Json, 'operations'));
      }
      const spec = podSpec(patched);
      assert.equal(spec['hostPID'], true, `${relative(KUBERNETES, dirname(file))} needs the host PID namespace`);
      assert.equal(spec['hostNetwork'], undefined, 'and not the host network');
      const [container] = list(spec['containers'], 'containers').map((entry) => object(entry, 'container'));
      const capabilities = object(object(container?.['securityContext'], 'securityContext')['capabilities'], 'caps');
      assert.deepEqual(capabilities['drop'], ['ALL'], 'every other capability dropped');
      assert.deepEqual(capabilities['add'], ['SYS_PTRACE', 'DAC_READ_SEARCH'], 'only what reading /proc needs');
    }
  });

  test('the capture component: the CRD, least-privilege RBAC, and a patch that applies to the DaemonSet', () => {
    const dir = join(KUBERNETES, 'components', 'capture');
    const kustomization = readYaml(join(dir, 'kustomization.yaml'));
    assert.equal(kustomization['kind'], 'Component');
    for (const resource of list(kustomization['resources'], 'resources')) {
      assert.ok(existsSync(join(dir, String(resource))), `components/capture/${String(resource)} exists`);
    }
    const crd = readYaml(join(dir, 'packetcapture-crd.yaml'));
    assert.equal(crd['kind'], 'CustomResourceDefinition');
    assert.equal(object(crd['metadata'], 'metadata')['name'], 'packetcaptures.flowlens.io');
    const documents = parseAllDocuments(readFileSync(join(dir, 'rbac.yaml'), 'utf8')).map(
      (document) => document.toJSON() as JsonObject,
    );
    const role = documents.find(
      (document) =>
        document['kind'] === 'ClusterRole' && object(document['metadata'], 'm')['name'] === 'flowlens-capture',
    );
    // The controller reads captures and writes their status only.
    assert.deepEqual(role?.['rules'], [
      { apiGroups: ['flowlens.io'], resources: ['packetcaptures'], verbs: ['get', 'list', 'watch'] },
      { apiGroups: ['flowlens.io'], resources: ['packetcaptures/status'], verbs: ['update', 'patch'] },
    ]);
    const delegator = documents.find(
      (document) => object(document['metadata'], 'm')['name'] === 'flowlens-capture-auth-delegator',
    );
    assert.equal(object(delegator?.['roleRef'], 'roleRef')['name'], 'system:auth-delegator');
    let patched = daemonSet();
    for (const patch of list(kustomization['patches'], 'patches').map((entry) => object(entry, 'patch'))) {
      patched = applyPatch(patched, list(parse(String(patch['patch'])) as Json, 'operations'));
    }
    const spec = podSpec(patched);
    assert.equal(spec['hostNetwork'], true, 'capture sees the host side of pod interfaces');
    const [container] = list(spec['containers'], 'containers').map((entry) => object(entry, 'container'));
    const capabilities = object(object(container?.['securityContext'], 'securityContext')['capabilities'], 'caps');
    assert.deepEqual(capabilities['drop'], ['ALL']);
    assert.deepEqual(capabilities['add'], ['NET_RAW', 'NET_ADMIN', 'SETUID', 'SETGID', 'KILL']);
    const args = list(container?.['args'], 'args').map(String);
    assert.ok(args.includes('--capture-dir=/var/lib/flowlens/captures'));
    assert.ok(
      args.some((arg) => arg.startsWith('--tls-cert-file=')) && args.some((arg) => arg.startsWith('--tls-key-file=')),
    );
    const overlay = readYaml(join(KUBERNETES, 'overlays', 'capture', 'kustomization.yaml'));
    assert.deepEqual(overlay['components'], ['../../components/capture']);
  });

  test('Grafana provisioning points at the dashboards and the data source the dashboards expect', () => {
    const datasources = readYaml(join(PROVISIONING, 'grafana', 'datasources', 'flowlens.yaml'));
    const [source] = list(datasources['datasources'], 'datasources').map((entry) => object(entry, 'datasource'));
    assert.equal(source?.['type'], 'prometheus');
    const providers = readYaml(join(PROVISIONING, 'grafana', 'dashboards', 'flowlens.yaml'));
    const [provider] = list(providers['providers'], 'providers').map((entry) => object(entry, 'provider'));
    assert.equal(provider?.['type'], 'file');
    assert.match(String(object(provider?.['options'], 'options')['path']), /FLOWLENS_DASHBOARDS/);
    const plugins = readYaml(join(PROVISIONING, 'grafana', 'plugins', 'flowlens-app.yaml'));
    assert.match(String(object(list(plugins['apps'], 'apps')[0], 'app')['type']), /-app$/);
  });

  test('the Dockerfile builds in stages and runs the exporter as a non-root user', () => {
    const dockerfile = readFileSync(join(REPO_ROOT, 'Dockerfile'), 'utf8');
    const stages = dockerfile.split('\n').filter((line) => line.startsWith('FROM '));
    assert.ok(stages.length >= 2, 'multi-stage');
    const final = dockerfile.slice(dockerfile.lastIndexOf('\nFROM '));
    assert.match(final, /\nUSER (nonroot|\d{3,})/);
    for (const [, sources] of dockerfile.matchAll(/^COPY (?!--from)(.+) \S+$/gm)) {
      for (const path of sources!.split(' ')) assert.ok(existsSync(join(REPO_ROOT, path)), `COPY ${path} exists`);
    }
  });
});
