import { type DataSourceInstanceSettings, PanelPlugin, type PanelPluginMeta } from '@grafana/data';
import {
  type DataSourceSrv,
  LocationServiceProvider,
  locationService,
  setDataSourceSrv,
  setPluginImportUtils,
} from '@grafana/runtime';
import { render, screen } from '@testing-library/react';
import { MemoryRouter, Route, Routes } from 'react-router-dom';

import { PLUGIN_BASE_URL } from '../constants';
import { DEFAULT_APP_SETTINGS } from '../data/app-settings';
import ScenePage from './ScenePage';
import type { ScenePageKey } from './scenes';

function prometheus(uid: string, name: string, isDefault: boolean) {
  return {
    uid,
    name,
    type: 'prometheus',
    meta: { id: 'prometheus' },
    isDefault,
  } as unknown as DataSourceInstanceSettings;
}
// Listed first, as Grafana lists by name; the default is the second.
const dataSources = [
  prometheus('archive', 'Archive Prometheus', false),
  prometheus('flowlens', 'Flowlens Prometheus', true),
];

beforeAll(() => {
  // Grafana's data source service: two Prometheus, which never answer (the test looks at the page, not its data).
  setDataSourceSrv({
    getList: () => dataSources,
    getInstanceSettings: (ref: string | { uid?: string } | null | undefined) =>
      dataSources.find(({ uid }) => uid === (typeof ref === 'string' ? ref : ref?.uid)),
    get: () => new Promise(() => undefined),
    reload: async () => undefined,
    registerRuntimeDataSource: () => undefined,
  } as unknown as DataSourceSrv);
  // Grafana's panel plugin loader: every panel id loads a stand-in panel.
  setPluginImportUtils({
    importPanelPlugin: async (id: string) => {
      const plugin = new PanelPlugin(() => <p>{id} panel</p>);
      plugin.meta = { id, name: id, info: { logos: {} }, module: '', baseUrl: '' } as unknown as PanelPluginMeta;
      return plugin;
    },
    getPanelPluginFromCache: () => undefined,
  });
});

function renderPage(page: ScenePageKey, path: string) {
  // In Grafana, the location service and the router follow the same history; here both start at the page.
  locationService.push(`${PLUGIN_BASE_URL}/${path}`);
  return render(
    <LocationServiceProvider service={locationService}>
      <MemoryRouter
        initialEntries={[`${PLUGIN_BASE_URL}/${path}`]}
        future={{ v7_startTransition: true, v7_relativeSplatPath: true }}
      >
        <Routes>
          <Route
            path={`${PLUGIN_BASE_URL}/${path}/*`}
            element={<ScenePage page={page} settings={DEFAULT_APP_SETTINGS} />}
          />
        </Routes>
      </MemoryRouter>
    </LocationServiceProvider>,
  );
}

describe('ScenePage', () => {
  it('renders the DNS page: variable pickers and its panels, on the default Prometheus', async () => {
    renderPage('dns', 'dns');
    expect(await screen.findByText('Queries by client workload')).toBeInTheDocument();
    expect(screen.getByText('Flowlens Prometheus')).toBeInTheDocument();
    expect(screen.queryByText('Archive Prometheus')).not.toBeInTheDocument();
    expect(screen.getByText('p99 latency by client workload')).toBeInTheDocument();
    expect(screen.getByText('Namespace')).toBeInTheDocument();
  });

  it('renders the Captures page: its table, the note on fetching files, its time series and the namespace picker', async () => {
    renderPage('captures', 'captures');
    expect(await screen.findByText('Getting the files')).toBeInTheDocument();
    expect(screen.getByText('Captures running, by node')).toBeInTheDocument();
    expect(screen.getByText('Bytes captured, by namespace')).toBeInTheDocument();
    expect(screen.getByText('Namespace')).toBeInTheDocument();
  });

  // The panel's body is not drawn here (jsdom gives it no size): scenes.test.ts checks its plugin id.
  it('renders the Service Graph page: its panel and the namespace and workload pickers', async () => {
    renderPage('serviceGraph', 'service-graph');
    expect(await screen.findByText('Service graph')).toBeInTheDocument();
    expect(screen.getByText('Namespace')).toBeInTheDocument();
    expect(screen.getByText('Workload')).toBeInTheDocument();
  });
});
