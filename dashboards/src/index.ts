/** Every Flowlens dashboard, in the order of the dashboards dropdown. `npm run dashboards` writes them as JSON. */
import type * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import { overviewDashboard } from './overview';
import { namespaceDashboard } from './namespace';
import { workloadDashboard } from './workload';
import { flowsDashboard } from './flows';
import { dnsDashboard } from './dns';
import { httpDashboard } from './http';
import { tcpDashboard } from './tcp';
import { auditDashboard } from './audit';
import { exporterDashboard } from './exporter';

export { DASHBOARDS } from './common';

export const ALL_DASHBOARDS: readonly (() => dashboard.Dashboard)[] = [
  overviewDashboard,
  namespaceDashboard,
  workloadDashboard,
  flowsDashboard,
  dnsDashboard,
  httpDashboard,
  tcpDashboard,
  auditDashboard,
  exporterDashboard,
];

/** The committed file of a dashboard: dashboards/json/<uid>.json. */
export function dashboardFileName(built: dashboard.Dashboard): string {
  return `${built.uid ?? 'missing-uid'}.json`;
}

/** A dashboard as committed: two-space JSON and a final newline. */
export function dashboardJson(built: dashboard.Dashboard): string {
  return `${JSON.stringify(built, null, 2)}\n`;
}
