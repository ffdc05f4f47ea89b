import { AppPlugin, type AppRootProps } from '@grafana/data';
import { LoadingPlaceholder } from '@grafana/ui';
import { Suspense, lazy } from 'react';

import type { FlowlensAppSettings } from './constants';

// Loaded on demand: Grafana loads every app's module.js early, the pages and their scenes only when opened.
const LazyApp = lazy(() => import('./pages/App'));
const LazyAppConfig = lazy(() => import('./pages/AppConfig'));

function App(props: AppRootProps<FlowlensAppSettings>) {
  return (
    <Suspense fallback={<LoadingPlaceholder text="" />}>
      <LazyApp {...props} />
    </Suspense>
  );
}

function AppConfig(props: Parameters<typeof LazyAppConfig>[0]) {
  return (
    <Suspense fallback={<LoadingPlaceholder text="" />}>
      <LazyAppConfig {...props} />
    </Suspense>
  );
}

export const plugin = new AppPlugin<FlowlensAppSettings>().setRootPage(App).addConfigPage({
  title: 'Configuration',
  icon: 'cog',
  body: AppConfig,
  id: 'configuration',
});
