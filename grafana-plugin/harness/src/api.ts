// What the harness page offers the test: declared once, beside the test that drives it (test/browser/harness-api.ts);
// type-only, so the page's bundle holds none of the test's code.
export type {
  AppMountRequest,
  CanvasPoint,
  ColorCount,
  FlowlensHarness,
  MountRequest,
  MountResult,
  PanelName,
  PrometheusQueryResult,
  PrometheusResults,
  PrometheusSample,
} from '../../../test/browser/harness-api';
