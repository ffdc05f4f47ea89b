// @grafana/runtime reads `window.grafanaBootData` once, when it is first imported, and logs an error without it.
// Grafana's index page sets it; the harness sets the least it needs (a dark theme) before importing anything else.
const bootData = {
  assets: { dark: '', light: '' },
  settings: { buildInfo: { version: '12.0.0', edition: 'Open Source' } },
  user: { theme: 'dark', lightTheme: false, timezone: 'utc' },
  navTree: [],
};

(window as unknown as { grafanaBootData: typeof bootData }).grafanaBootData = bootData;

export {};
