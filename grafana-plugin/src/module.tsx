import { AppPlugin, type AppRootProps } from '@grafana/data';
import { LoadingPlaceholder } from '@grafana/ui';
import { Suspense, lazy } from 'react';

import type { FlowlensAppSettings } from './constants';

const LazyHome = lazy(() => import('./pages/Home'));

function App(props: AppRootProps<FlowlensAppSettings>) {
  return (
    <Suspense fallback={<LoadingPlaceholder text="" />}>
      <LazyHome {...props} />
    </Suspense>
  );
}

export const plugin = new AppPlugin<FlowlensAppSettings>().setRootPage(App);
