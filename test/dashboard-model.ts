/**
 * The parts of a committed Grafana dashboard (dashboards/json/*.json) the tests read, and the queries in it: each
 * panel's PromQL with its template variables, and the variables' own queries.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from './support';

export const DASHBOARDS_DIR = join(REPO_ROOT, 'dashboards', 'json');

export interface DashboardLink {
  title: string;
  type: string;
  url?: string;
  tags?: string[];
}

export interface Target {
  expr?: string;
  refId?: string;
  datasource?: { type?: string; uid?: string };
}

export interface Panel {
  type: string;
  title: string;
  description?: string;
  datasource?: { type?: string; uid?: string };
  targets?: Target[];
  fieldConfig?: {
    defaults?: { unit?: string; links?: DashboardLink[] };
    overrides?: { properties: { id: string; value: unknown }[] }[];
  };
  panels?: Panel[];
}

export interface Variable {
  type: string;
  name: string;
  query?: string | { query?: string };
  regex?: string;
  includeAll?: boolean;
  allValue?: string;
}

export interface Dashboard {
  uid: string;
  title: string;
  description?: string;
  tags?: string[];
  links?: DashboardLink[];
  panels?: Panel[];
  templating?: { list?: Variable[] };
  annotations?: { list?: { name: string; expr?: string }[] };
}

export function committedDashboards(): Dashboard[] {
  return readdirSync(DASHBOARDS_DIR)
    .filter((name) => name.endsWith('.json'))
    .sort()
    .map((name) => JSON.parse(readFileSync(join(DASHBOARDS_DIR, name), 'utf8')) as Dashboard);
}

/** Every panel that shows data (rows excluded, panels of collapsed rows included). */
export function dataPanels(dashboard: Dashboard): Panel[] {
  const panels: Panel[] = [];
  for (const panel of dashboard.panels ?? []) {
    if (panel.type === 'row') panels.push(...(panel.panels ?? []));
    else panels.push(panel);
  }
  return panels;
}

export function variable(dashboard: Dashboard, name: string): Variable | undefined {
  return dashboard.templating?.list?.find((candidate) => candidate.name === name);
}

export function variableQuery(candidate: Variable): string {
  return typeof candidate.query === 'string' ? candidate.query : (candidate.query?.query ?? '');
}

/** Every link of a dashboard: its own, and those of its panels and their fields. */
export function allLinks(dashboard: Dashboard): DashboardLink[] {
  const links = [...(dashboard.links ?? [])];
  for (const panel of dataPanels(dashboard)) {
    links.push(...(panel.fieldConfig?.defaults?.links ?? []));
    for (const override of panel.fieldConfig?.overrides ?? []) {
      for (const property of override.properties) {
        if (property.id === 'links' && Array.isArray(property.value))
          links.push(...(property.value as DashboardLink[]));
      }
    }
  }
  return links;
}
