// The app's routes under /a/flowlens-observability-app: Home, then a scene page per view. The scene pages load
// lazily, so @grafana/scenes is fetched only when one opens.
import type { AppRootProps } from '@grafana/data';
import { LoadingPlaceholder } from '@grafana/ui';
import { Suspense, lazy, useMemo } from 'react';
import { Route, Routes } from 'react-router-dom';

import { PAGES, type FlowlensAppSettings } from '../constants';
import { resolveAppSettings } from '../data/app-settings';
import type { ScenePageKey } from './scenes';

const Home = lazy(() => import('./Home'));
const ScenePage = lazy(() => import('./ScenePage'));
const Recommendations = lazy(() => import('./Recommendations'));

const SCENE_PAGES: ScenePageKey[] = ['serviceGraph', 'policyFlows', 'dns', 'http', 'hotspots', 'anomalies', 'captures'];

export default function App(props: AppRootProps<FlowlensAppSettings>) {
  const jsonData = props.meta.jsonData;
  const settings = useMemo(() => resolveAppSettings(jsonData), [jsonData]);
  return (
    <Suspense fallback={<LoadingPlaceholder text="Loading…" />}>
      <Routes>
        {SCENE_PAGES.map((page) => (
          <Route key={page} path={`${PAGES[page].path}/*`} element={<ScenePage page={page} settings={settings} />} />
        ))}
        <Route
          path={`${PAGES.recommendations.path}/*`}
          element={
            <Recommendations
              settings={settings}
              tokenConfigured={props.meta.secureJsonFields?.['exporterToken'] === true}
            />
          }
        />
        <Route path="*" element={<Home {...props} />} />
      </Routes>
    </Suspense>
  );
}
