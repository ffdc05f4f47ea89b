// The app's Configuration page (plugin.addConfigPage): the Prometheus data source the pages query and the filters
// they open with, saved into the app's jsonData the way create-plugin's AppConfig saves settings.
import type { AppPluginMeta, PluginConfigPageProps } from '@grafana/data';
import { DataSourcePicker, getBackendSrv, locationService } from '@grafana/runtime';
import { Alert, Button, Field, FieldSet, Input, SecretInput, Stack, Switch } from '@grafana/ui';
import { type FormEvent, useState } from 'react';

import { PLUGIN_ID, type FlowlensAppSettings } from '../constants';
import {
  type ResolvedAppSettings,
  type TokenEdit,
  exporterUrlProblem,
  resolveAppSettings,
  settingsUpdate,
} from '../data/app-settings';

export type AppConfigProps = PluginConfigPageProps<AppPluginMeta<FlowlensAppSettings>>;

export default function AppConfig({ plugin }: AppConfigProps) {
  const { enabled, pinned, jsonData, secureJsonFields } = plugin.meta;
  const [edited, setEdited] = useState<ResolvedAppSettings>(() => resolveAppSettings(jsonData));
  const [token, setToken] = useState<TokenEdit>({ value: '', reset: false });
  const tokenSaved = secureJsonFields?.['exporterToken'] === true && !token.reset;
  const urlProblem = exporterUrlProblem(edited.exporterUrl);
  const [saving, setSaving] = useState(false);
  const [error, setError] = useState<string | undefined>();
  const edit = (change: Partial<ResolvedAppSettings>) => setEdited((current) => ({ ...current, ...change }));

  const onSubmit = async (event: FormEvent) => {
    event.preventDefault();
    setSaving(true);
    setError(undefined);
    try {
      await getBackendSrv().post(
        `/api/plugins/${PLUGIN_ID}/settings`,
        settingsUpdate({ enabled, pinned, jsonData }, edited, token),
      );
      // The app reads its settings when Grafana loads it: a reload shows the pages the new ones.
      locationService.reload();
    } catch (caught) {
      setError(caught instanceof Error ? caught.message : 'The settings could not be saved.');
      setSaving(false);
    }
  };

  return (
    <form onSubmit={onSubmit} aria-label="Flowlens settings">
      <FieldSet label="Data source">
        <Field
          label="Prometheus data source"
          description="The Prometheus that scrapes the Flowlens exporters. Unset, the pages use the default Prometheus data source."
        >
          <DataSourcePicker
            pluginId="prometheus"
            current={edited.datasourceUid ?? null}
            noDefault
            width={40}
            onChange={(datasource) => edit({ datasourceUid: datasource.uid })}
            onClear={() => edit({ datasourceUid: undefined })}
          />
        </Field>
      </FieldSet>
      <FieldSet label="Exporter API">
        <Field
          label="Exporter API URL"
          description="The exporter's base URL, for the Recommendations page (its api section must be configured). Grafana's server calls it through the app's proxy route, so it must be reachable from there."
          invalid={urlProblem !== undefined}
          error={urlProblem}
        >
          <Input
            id="flowlens-exporter-url"
            width={60}
            value={edited.exporterUrl ?? ''}
            placeholder="http://flowlens.flowlens.svc:9470"
            onChange={(event) => edit({ exporterUrl: event.currentTarget.value })}
          />
        </Field>
        <Field
          label="Exporter API token"
          description="The contents of the exporter's api.tokenFile. Stored encrypted by Grafana and sent only by its server; never shown again."
        >
          <SecretInput
            id="flowlens-exporter-token"
            width={60}
            isConfigured={tokenSaved}
            value={token.value}
            placeholder="bearer token"
            onChange={(event) => setToken({ ...token, value: event.currentTarget.value })}
            onReset={() => setToken({ value: '', reset: true })}
          />
        </Field>
      </FieldSet>
      <FieldSet label="Default filters">
        <Field label="Namespace" description="The namespace the pages open on. Empty: all namespaces.">
          <Input
            id="flowlens-default-namespace"
            width={40}
            value={edited.defaultNamespace ?? ''}
            placeholder="all namespaces"
            onChange={(event) => edit({ defaultNamespace: event.currentTarget.value })}
          />
        </Field>
        <Field label="Only denied flows" description="The service graph opens showing only edges with denied flows.">
          <Switch
            id="flowlens-only-denied"
            value={edited.onlyDenied}
            onChange={(event) => edit({ onlyDenied: event.currentTarget.checked })}
          />
        </Field>
        <Field label="Show idle edges" description="The service graph opens showing edges whose rates are all zero.">
          <Switch
            id="flowlens-show-idle"
            value={edited.showIdle}
            onChange={(event) => edit({ showIdle: event.currentTarget.checked })}
          />
        </Field>
      </FieldSet>
      <Stack direction="column" gap={2}>
        {error !== undefined && (
          <Alert severity="error" title="Saving the settings failed">
            {error}
          </Alert>
        )}
        <div>
          <Button type="submit" disabled={saving || urlProblem !== undefined}>
            {saving ? 'Saving…' : 'Save settings'}
          </Button>
        </div>
      </Stack>
    </form>
  );
}
