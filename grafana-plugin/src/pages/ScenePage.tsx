// A scene page of the app: a one-page SceneApp (page title, breadcrumbs, controls, URL sync of the variables and
// time range) around the page's scene, built once per page and settings.
import { getDataSourceSrv } from '@grafana/runtime';
import { SceneApp, SceneAppPage } from '@grafana/scenes';
import { useMemo } from 'react';

import { PAGES, pageUrl } from '../constants';
import { type ResolvedAppSettings, defaultPrometheusUid } from '../data/app-settings';
import { SCENES, type ScenePageKey } from './scenes';

export interface ScenePageProps {
  page: ScenePageKey;
  settings: ResolvedAppSettings;
}

export function sceneApp({ page, settings }: ScenePageProps): SceneApp {
  return new SceneApp({
    name: `flowlens-${PAGES[page].path}`,
    urlSyncOptions: { updateUrlOnInit: true, createBrowserHistorySteps: true },
    pages: [
      new SceneAppPage({
        title: PAGES[page].title,
        url: pageUrl(page),
        // Relative to the route that renders this page (App.tsx): the page owns everything under it.
        routePath: '*',
        getScene: () => SCENES[page](settings),
      }),
    ],
  });
}

export default function ScenePage({ page, settings }: ScenePageProps) {
  const app = useMemo(() => {
    // Without a configured data source, Grafana's default Prometheus (a data source variable alone takes the first).
    const datasourceUid =
      settings.datasourceUid ?? defaultPrometheusUid(getDataSourceSrv().getList({ pluginId: 'prometheus' }));
    return sceneApp({ page, settings: { ...settings, datasourceUid } });
  }, [page, settings]);
  return <app.Component model={app} />;
}
