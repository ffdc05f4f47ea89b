import { render, screen } from '@testing-library/react';
import { MemoryRouter, Route, Routes } from 'react-router-dom';

import { PLUGIN_BASE_URL, type FlowlensAppSettings } from '../constants';
import App from './App';
import type { ScenePageProps } from './ScenePage';
import type { RecommendationsProps } from './Recommendations';
import { appRootProps } from './testing';

// The scenes themselves are tested in scenes/scenes.test.ts; here, which page each route renders, with what settings.
jest.mock('./ScenePage', () => ({
  __esModule: true,
  default: ({ page, settings }: ScenePageProps) => (
    <p>
      scene page {page}, namespace {settings.defaultNamespace ?? 'all'}
    </p>
  ),
}));

jest.mock('./Recommendations', () => ({
  __esModule: true,
  default: ({ settings, tokenConfigured }: RecommendationsProps) => (
    <p>
      recommendations of {settings.exporterUrl ?? 'no exporter'}, token {tokenConfigured ? 'set' : 'unset'}
    </p>
  ),
}));

function renderAt(path: string, settings: FlowlensAppSettings = {}) {
  // Grafana renders an app's root page under /a/<app id>/*.
  return render(
    <MemoryRouter
      initialEntries={[`${PLUGIN_BASE_URL}${path}`]}
      future={{ v7_startTransition: true, v7_relativeSplatPath: true }}
    >
      <Routes>
        <Route path={`${PLUGIN_BASE_URL}/*`} element={<App {...appRootProps(settings)} />} />
      </Routes>
    </MemoryRouter>,
  );
}

describe('App routes', () => {
  it.each([
    ['/service-graph', 'serviceGraph'],
    ['/policy-flows', 'policyFlows'],
    ['/dns', 'dns'],
    ['/http', 'http'],
    ['/hotspots', 'hotspots'],
    ['/anomalies', 'anomalies'],
    ['/captures', 'captures'],
    ['/service-graph/anything/below', 'serviceGraph'],
  ])('%s renders the %s scene page', async (path, page) => {
    renderAt(path);
    expect(await screen.findByText(`scene page ${page}, namespace all`)).toBeInTheDocument();
  });

  it.each(['', '/', '/no-such-page'])('"%s" renders Home', async (path) => {
    renderAt(path);
    expect(await screen.findByLabelText('Pages')).toBeInTheDocument();
  });

  it('/recommendations renders the Recommendations page with the exporter URL and whether the token is saved', async () => {
    renderAt('/recommendations', { exporterUrl: 'http://flowlens:9464' });
    expect(await screen.findByText('recommendations of http://flowlens:9464, token unset')).toBeInTheDocument();
  });

  it('passes the pages the app settings', async () => {
    renderAt('/dns', { defaultNamespace: 'shop' });
    expect(await screen.findByText('scene page dns, namespace shop')).toBeInTheDocument();
  });
});
