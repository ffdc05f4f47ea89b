import { readdirSync, readFileSync } from 'fs';
import { join } from 'path';
import { AppPlugin, PanelPlugin } from '@grafana/data';

import appJson from './plugin.json';
import { plugin as app } from './module';
import { plugin as serviceGraph } from './panels/service-graph/module';
import { DEFAULT_OPTIONS } from './panels/service-graph/types';
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

  it('state the same Grafana dependency everywhere', () => {
    for (const { json } of panelJsons) {
      expect(json.dependencies.grafanaDependency).toBe(appJson.dependencies.grafanaDependency);
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
});
