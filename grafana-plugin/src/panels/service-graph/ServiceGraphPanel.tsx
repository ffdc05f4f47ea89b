// For now the panel lists the edges its query gives as a table, through the same data code the drawn graph will
// use; drawing (canvas or WebGL), the side panel and namespace boxes are still to come (grafana-plugin/README.md).
import type { PanelProps } from '@grafana/data';
import { useMemo } from 'react';

import { collapseNamespaces, filterGraph } from '../../data/filters';
import { framesToGraph } from '../../data/frames';
import { EdgeTable } from './components/EdgeTable';
import type { ServiceGraphOptions } from './types';

export function ServiceGraphPanel({ data, options, width, height }: PanelProps<ServiceGraphOptions>) {
  const model = useMemo(() => framesToGraph(data.series), [data.series]);
  const view = useMemo(
    () =>
      collapseNamespaces(
        filterGraph(model, {
          search: options.search,
          onlyDenied: options.onlyDenied,
          onlyUnhealthy: options.onlyUnhealthy,
          showIdle: options.showIdle,
          thresholds: { errorRatio: options.errorRatioThreshold, p99Seconds: options.p99ThresholdSeconds },
        }),
        options.collapsedNamespaces ?? [],
      ),
    [model, options],
  );
  return (
    <div style={{ width, height, overflow: 'auto' }}>
      <EdgeTable model={view} maxEdges={options.maxEdges} />
    </div>
  );
}
