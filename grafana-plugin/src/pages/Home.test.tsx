import { readFileSync } from 'fs';
import { join } from 'path';
import { render, screen, within } from '@testing-library/react';
// The router @grafana/ui's links use; in Grafana the app is rendered inside it.
import { MemoryRouter } from 'react-router-dom-v5-compat';

import { DASHBOARDS, type FlowlensAppSettings } from '../constants';
import { appRootProps } from './testing';
import Home from './Home';

function renderHome(settings: FlowlensAppSettings) {
  return render(
    <MemoryRouter future={{ v7_startTransition: true, v7_relativeSplatPath: true }}>
      <Home {...appRootProps(settings)} />
    </MemoryRouter>,
  );
}

describe('Home', () => {
  it('names the configured data source', () => {
    renderHome({ datasourceUid: 'flowlens-prometheus' });
    expect(screen.getByLabelText('Data source')).toHaveTextContent('flowlens-prometheus');
  });

  it('says when no data source is configured, and what the pages use instead', () => {
    renderHome({});
    expect(screen.getByLabelText('Data source')).toHaveTextContent('No Prometheus data source is set');
    expect(screen.getByLabelText('Data source')).toHaveTextContent('the default Prometheus data source');
  });

  it('links to every page of the app', () => {
    renderHome({});
    const links = within(screen.getByLabelText('Pages')).getAllByRole('link');
    expect(links.map((link) => [link.textContent, link.getAttribute('href')])).toEqual([
      ['Service Graph', '/a/flowlens-observability-app/service-graph'],
      ['Policy Flows', '/a/flowlens-observability-app/policy-flows'],
      ['DNS', '/a/flowlens-observability-app/dns'],
      ['HTTP', '/a/flowlens-observability-app/http'],
      ['Hotspots', '/a/flowlens-observability-app/hotspots'],
      ['Anomalies', '/a/flowlens-observability-app/anomalies'],
      ['Captures', '/a/flowlens-observability-app/captures'],
      ['Recommendations', '/a/flowlens-observability-app/recommendations'],
    ]);
  });

  it('links to every dashboard by uid', () => {
    renderHome({});
    const links = within(screen.getByLabelText('Dashboards')).getAllByRole('link');
    expect(links.map((link) => link.getAttribute('href'))).toEqual(DASHBOARDS.map(({ uid }) => `/d/${uid}`));
  });
});

describe('DASHBOARDS', () => {
  it('matches the dashboards generated into dashboards/json, uid and title', () => {
    const dashboardsDir = join(__dirname, '../../../dashboards/json');
    for (const dashboard of DASHBOARDS) {
      const generated = JSON.parse(readFileSync(join(dashboardsDir, `${dashboard.uid}.json`), 'utf8'));
      expect({ uid: generated.uid, title: generated.title }).toEqual({ uid: dashboard.uid, title: dashboard.title });
    }
  });
});
