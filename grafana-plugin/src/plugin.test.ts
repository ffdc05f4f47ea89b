import { readdirSync, readFileSync } from 'fs';
import { join } from 'path';
import { AppPlugin, PanelPlugin } from '@grafana/data';

import { DASHBOARDS, EXPORTER_ROUTE, PAGES, POLICY_FLOW_PANEL_ID, SERVICE_GRAPH_PANEL_ID, pageUrl } from './constants';
import appJson from './plugin.json';
import { plugin as app } from './module';
import { plugin as serviceGraph } from './panels/service-graph/module';
import { DEFAULT_OPTIONS } from './panels/service-graph/types';
import { DEFAULT_OPTIONS as POLICY_FLOW_DEFAULTS } from './panels/policy-flow/types';
import { plugin as policyFlow } from './panels/policy-flow/module';

const panelsDir = join(__dirname, 'panels');
const panelJsons = readdirSync(panelsDir).map((name) => ({
  name,
  json: JSON.parse(readFileSync(join(panelsDir, name, 'plugin.json'), 'utf8')),
}));

describe('plugin.json files', () => {
  it('lists every nested panel in the app by name, each with an id of the form flowlens-<name>-panel', () => {
    const included = appJson.includes.filter((include) => include.type === 'panel').map((include) => include.name);
    expect(panelJsons.map(({ json }) => json.name).sort()).toEqual([...included].sort());
    for (const { json } of panelJsons) {
      expect(json.type).toBe('panel');
      expect(json.id).toMatch(/^flowlens-[a-z0-9]+-panel$/);
    }
  });

  it("proxies exactly the exporter's recommendations, GET only, with the secret token", () => {
    // Grafana 12/13 match a route's path as a pattern (older versions as a prefix, appending the rest to the URL).
    // Naming the endpoint in both path and URL keeps the token from opening the rest of the exporter's API either way.
    expect(appJson.routes).toEqual([
      {
        path: `${EXPORTER_ROUTE}/api/v1/recommendations`,
        method: 'GET',
        reqRole: 'Viewer',
        url: '{{ .JsonData.exporterUrl }}/api/v1/recommendations',
        headers: [{ name: 'Authorization', content: 'Bearer {{ .SecureJsonData.exporterToken }}' }],
      },
    ]);
  });

  it('state the same Grafana dependency everywhere', () => {
    for (const { json } of panelJsons) {
      expect(json.dependencies.grafanaDependency).toBe(appJson.dependencies.grafanaDependency);
    }
  });

  it('give the panel ids the app pages use', () => {
    expect(panelJsons.map(({ json }) => json.id).sort()).toEqual([POLICY_FLOW_PANEL_ID, SERVICE_GRAPH_PANEL_ID].sort());
  });

  it('list a page in the navigation for every route of the app, Home first, and the Configuration page', () => {
    const pages = appJson.includes.filter((include) => include.type === 'page');
    const routes = Object.keys(PAGES).map((key) => pageUrl(key as keyof typeof PAGES));
    expect(pages.map((page) => page.path?.replace('%PLUGIN_ID%', appJson.id))).toEqual([
      ...routes,
      `/plugins/${appJson.id}`,
    ]);
    expect(pages.map((page) => page.name)).toEqual([
      ...Object.values(PAGES).map(({ title }) => title),
      'Configuration',
    ]);
    expect(pages.every((page) => page.addToNav)).toBe(true);
    expect(pages.filter((page) => 'defaultNav' in page && page.defaultNav).map((page) => page.name)).toEqual(['Home']);
  });

  it('include every dashboard of dashboards/json, by file, with the uid and title of src/constants.ts', () => {
    const dashboardsDir = join(__dirname, '../../dashboards/json');
    const included = appJson.includes.filter((include) => include.type === 'dashboard');
    expect(included.map(({ name, path }) => ({ name, path }))).toEqual(
      DASHBOARDS.map(({ uid, title }) => ({ name: title, path: `dashboards/${uid}.json` })),
    );
    expect(readdirSync(dashboardsDir).sort()).toEqual(DASHBOARDS.map(({ uid }) => `${uid}.json`).sort());
    for (const { uid, title } of DASHBOARDS) {
      const generated = JSON.parse(readFileSync(join(dashboardsDir, `${uid}.json`), 'utf8'));
      expect({ uid: generated.uid, title: generated.title }).toEqual({ uid, title });
    }
  });

  it('name the app id the provisioning enables', () => {
    const provisioning = readFileSync(join(__dirname, '../../provisioning/grafana/plugins/flowlens-app.yaml'), 'utf8');
    expect(provisioning).toContain(`type: ${appJson.id}\n`);
  });
});

describe('module files', () => {
  it('export the app and panel plugins', () => {
    expect(app).toBeInstanceOf(AppPlugin);
    expect(app.root).toBeDefined();
    expect(app.configPages?.map(({ id, title }) => ({ id, title }))).toEqual([
      { id: 'configuration', title: 'Configuration' },
    ]);
    expect(serviceGraph).toBeInstanceOf(PanelPlugin);
    expect(policyFlow).toBeInstanceOf(PanelPlugin);
  });

  it('give every service graph option its default', () => {
    // Grafana fills the option editors' registry at run time; a recording builder stands in for it.
    const defaults: Record<string, unknown> = {};
    const record = (item: { path: string; defaultValue?: unknown }) => {
      defaults[item.path] = item.defaultValue;
      return builder;
    };
    const builder = {
      addTextInput: record,
      addBooleanSwitch: record,
      addNumberInput: record,
      addStringArray: record,
      addRadio: record,
      addCustomEditor: record,
    };
    const supplier = serviceGraph.getPanelOptionsSupplier();
    supplier(builder as unknown as Parameters<typeof supplier>[0], { data: [] });
    expect(defaults).toEqual(DEFAULT_OPTIONS);
  });

  it('give every policy flow option its default', () => {
    const defaults: Record<string, unknown> = {};
    const record = (item: { path: string; defaultValue?: unknown }) => {
      defaults[item.path] = item.defaultValue;
      return builder;
    };
    const builder = {
      addRadio: record,
      addTextInput: record,
      addBooleanSwitch: record,
      addNumberInput: record,
      addStringArray: record,
    };
    const supplier = policyFlow.getPanelOptionsSupplier();
    supplier(builder as unknown as Parameters<typeof supplier>[0], { data: [] });
    expect(defaults).toEqual(POLICY_FLOW_DEFAULTS);
  });
});
