// The scene of each scene page, by page key (src/constants.ts PAGES).
import type { EmbeddedScene } from '@grafana/scenes';

import type { PageKey } from '../../constants';
import type { ResolvedAppSettings } from '../../data/app-settings';
import { anomaliesScene } from './anomalies';
import { capturesScene } from './captures';
import { dnsScene } from './dns';
import { hotspotsScene } from './hotspots';
import { httpScene } from './http';
import { policyFlowsScene } from './policy-flows';
import { serviceGraphScene } from './service-graph';

/** Every page but Home and the pages that are plain React (Recommendations asks the exporter, not Prometheus). */
export type ScenePageKey = Exclude<PageKey, 'home' | 'recommendations'>;

export const SCENES: Record<ScenePageKey, (settings: ResolvedAppSettings) => EmbeddedScene> = {
  serviceGraph: serviceGraphScene,
  policyFlows: policyFlowsScene,
  dns: dnsScene,
  http: httpScene,
  hotspots: hotspotsScene,
  anomalies: anomaliesScene,
  captures: capturesScene,
};
