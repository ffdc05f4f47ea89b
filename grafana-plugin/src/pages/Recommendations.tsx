// The Recommendations page: the exporter's least-privilege policies for a namespace, each against what is enforced
// (status badge, YAML with added and removed lines), the traffic the two disagree on, warnings, copy and download.
// The browser cannot reach the exporter: Grafana's plugin proxy calls it with the saved token (plugin.json
// `routes`). What is shown comes from src/data/recommendations.ts; this component fetches and draws.
import { css } from '@emotion/css';
import type { GrafanaTheme2 } from '@grafana/data';
import { PluginPage, getBackendSrv, isFetchError } from '@grafana/runtime';
import {
  Alert,
  Badge,
  Button,
  ClipboardButton,
  Combobox,
  Field,
  LoadingPlaceholder,
  RadioButtonGroup,
  Stack,
  Text,
  TextLink,
  useStyles2,
} from '@grafana/ui';
import { useEffect, useMemo, useState } from 'react';

import { CONFIGURATION_URL } from '../constants';
import type { ResolvedAppSettings } from '../data/app-settings';
import {
  RECOMMEND_FORMATS,
  RecommendationsShapeError,
  type DiffLine,
  type Problem,
  type RecommendFormat,
  type RecommendationsAnswer,
  downloadFileName,
  explainFailure,
  namespacesOf,
  parseRecommendations,
  policyViews,
  recommendationsUrl,
  recommendationsYaml,
  settingsProblem,
  observedSummary,
  trafficSummary,
} from '../data/recommendations';

export interface RecommendationsProps {
  settings: ResolvedAppSettings;
  /** `secureJsonFields.exporterToken`: the token is saved (its value never reaches the browser). */
  tokenConfigured: boolean;
}

const ALL_NAMESPACES = '';
const MARKS: Record<DiffLine['op'], string> = { same: ' ', added: '+', removed: '-' };

type Loaded =
  { state: 'loading' } | { state: 'failed'; problem: Problem } | { state: 'loaded'; answer: RecommendationsAnswer };

export default function Recommendations({ settings, tokenConfigured }: RecommendationsProps) {
  const [namespace, setNamespace] = useState(settings.defaultNamespace ?? ALL_NAMESPACES);
  const [format, setFormat] = useState<RecommendFormat>('kubernetes');
  const [result, setResult] = useState<{ url: string; loaded: Loaded } | undefined>();
  const [seenNamespaces, setSeenNamespaces] = useState<string[]>([]);
  const missing = settingsProblem(settings.exporterUrl, tokenConfigured);
  // The question as a URL: a new one (namespace, format) asks again; an answer to an older one is not shown.
  const url =
    missing === undefined
      ? recommendationsUrl(namespace === ALL_NAMESPACES ? undefined : namespace, format)
      : undefined;
  const loaded: Loaded = result !== undefined && result.url === url ? result.loaded : { state: 'loading' };

  useEffect(() => {
    if (url === undefined) return;
    let current = true;
    getBackendSrv()
      .get<unknown>(url, undefined, undefined, { showErrorAlert: false })
      .then((body) => {
        const answer = parseRecommendations(body);
        if (!current) return;
        setResult({ url, loaded: { state: 'loaded', answer } });
        setSeenNamespaces((seen) => [...new Set([...seen, ...namespacesOf(answer)])].sort());
      })
      .catch((error: unknown) => {
        if (current) setResult({ url, loaded: { state: 'failed', problem: problemOf(error) } });
      });
    return () => {
      current = false;
    };
  }, [url]);

  const namespaceOptions = useMemo(
    () => [
      { label: 'All namespaces', value: ALL_NAMESPACES },
      ...[...new Set([...seenNamespaces, ...(namespace === ALL_NAMESPACES ? [] : [namespace])])]
        .sort()
        .map((name) => ({ label: name, value: name })),
    ],
    [seenNamespaces, namespace],
  );

  if (missing !== undefined) {
    return (
      <PluginPage>
        <ProblemAlert problem={missing} />
      </PluginPage>
    );
  }
  return (
    <PluginPage>
      <Stack direction="column" gap={2}>
        <Stack direction="row" gap={2} wrap="wrap">
          <Field label="Namespace" description="Workloads of this namespace get policies; their peers may be anywhere.">
            <Combobox
              id="flowlens-recommendations-namespace"
              options={namespaceOptions}
              value={namespace}
              createCustomValue
              width={30}
              onChange={(option) => setNamespace(option.value)}
            />
          </Field>
          <Field label="Format">
            <RadioButtonGroup
              options={RECOMMEND_FORMATS.map((value) => ({
                value,
                label: value === 'kubernetes' ? 'NetworkPolicy' : 'Calico staged',
              }))}
              value={format}
              onChange={setFormat}
            />
          </Field>
        </Stack>
        {loaded.state === 'loading' && <LoadingPlaceholder text="Asking the exporter…" />}
        {loaded.state === 'failed' && <ProblemAlert problem={loaded.problem} />}
        {loaded.state === 'loaded' && (
          <Answer answer={loaded.answer} namespace={namespace === ALL_NAMESPACES ? undefined : namespace} />
        )}
      </Stack>
    </PluginPage>
  );
}

function problemOf(error: unknown): Problem {
  if (error instanceof RecommendationsShapeError) {
    return {
      title: 'The exporter answered in a shape this app does not read',
      fix: `${error.message}. Run an exporter and an app of the same Flowlens version.`,
      configure: false,
    };
  }
  if (isFetchError(error)) return explainFailure(error.status, error.data);
  return explainFailure(0, error instanceof Error ? error.message : String(error));
}

function ProblemAlert({ problem }: { problem: Problem }) {
  return (
    <Alert severity={problem.configure ? 'warning' : 'error'} title={problem.title}>
      <Stack direction="column" gap={1}>
        <span>{problem.fix}</span>
        {problem.configure && (
          <TextLink href={CONFIGURATION_URL} inline={false}>
            Open the Configuration page
          </TextLink>
        )}
      </Stack>
    </Alert>
  );
}

function Answer({ answer, namespace }: { answer: RecommendationsAnswer; namespace: string | undefined }) {
  const styles = useStyles2(getStyles);
  const views = useMemo(() => policyViews(answer), [answer]);
  const traffic = useMemo(() => trafficSummary(answer), [answer]);
  const yaml = useMemo(() => recommendationsYaml(answer), [answer]);
  return (
    <Stack direction="column" gap={2}>
      {answer.warnings.length > 0 && (
        <Alert severity="warning" title="Warnings">
          <ul>
            {answer.warnings.map((warning) => (
              <li key={warning}>{warning}</li>
            ))}
          </ul>
        </Alert>
      )}
      <Text element="p" color="secondary" data-testid="recommendations-observed">
        {observedSummary(answer)}
      </Text>
      <section aria-label="Traffic">
        <Text element="h3">Traffic against what is enforced</Text>
        <Text element="p">{traffic.deniedToday}</Text>
        <ul>
          {traffic.deniedFlows.map((flow) => (
            <li key={flow}>{flow}</li>
          ))}
        </ul>
        <Text element="p">{traffic.allowedBeyond}</Text>
        <Text element="p" color="secondary">
          Counted over {traffic.allowedMethod}.
        </Text>
        <ul>
          {traffic.allowedExamples.map((example) => (
            <li key={example}>{example}</li>
          ))}
        </ul>
      </section>
      <Stack direction="row" gap={1}>
        <ClipboardButton icon="copy" variant="secondary" getText={() => yaml}>
          Copy YAML
        </ClipboardButton>
        <Button
          icon="download-alt"
          variant="secondary"
          onClick={() => saveFile(yaml, downloadFileName(namespace, answer.format))}
        >
          Download YAML
        </Button>
      </Stack>
      {views.length === 0 && <Text element="p">No policies: no workloads of this scope were seen.</Text>}
      {views.map((view) => (
        <section key={view.key} aria-label={view.title} className={styles.policy}>
          <Stack direction="row" gap={1} alignItems="center">
            <Text element="h4">{view.title}</Text>
            <Badge text={view.status} color={view.badgeColor} />
            {view.status === 'changed' && (
              <Text color="secondary">
                +{view.added} −{view.removed} lines
              </Text>
            )}
          </Stack>
          <Text element="p" color="secondary">
            Selects {view.selects}. Enforced on them today: {view.enforcedToday}.
          </Text>
          <pre className={styles.yaml}>
            {view.lines.map((line, index) => (
              <div key={index} data-op={line.op} className={styles[line.op]}>
                {MARKS[line.op]} {line.text}
              </div>
            ))}
          </pre>
        </section>
      ))}
    </Stack>
  );
}

/** A file download from memory: Grafana's links refuse data: URLs, so an object URL on a transient link. */
function saveFile(text: string, fileName: string): void {
  const url = URL.createObjectURL(new Blob([text], { type: 'application/yaml' }));
  const link = document.createElement('a');
  link.href = url;
  link.download = fileName;
  link.click();
  URL.revokeObjectURL(url);
}

function getStyles(theme: GrafanaTheme2) {
  return {
    policy: css({ borderTop: `1px solid ${theme.colors.border.weak}`, paddingTop: theme.spacing(1) }),
    yaml: css({ fontFamily: theme.typography.fontFamilyMonospace, padding: theme.spacing(1), overflowX: 'auto' }),
    same: css({ whiteSpace: 'pre' }),
    added: css({ whiteSpace: 'pre', background: theme.colors.success.transparent }),
    removed: css({ whiteSpace: 'pre', background: theme.colors.error.transparent }),
  };
}
