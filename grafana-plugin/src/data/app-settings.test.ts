import {
  DEFAULT_APP_SETTINGS,
  defaultPrometheusUid,
  exporterUrlProblem,
  resolveAppSettings,
  settingsUpdate,
} from './app-settings';

describe('resolveAppSettings', () => {
  it('gives every field its default when nothing is saved', () => {
    expect(resolveAppSettings(undefined)).toEqual(DEFAULT_APP_SETTINGS);
    expect(resolveAppSettings({})).toEqual(DEFAULT_APP_SETTINGS);
  });

  it('reads what the provisioning sets', () => {
    expect(resolveAppSettings({ datasourceUid: 'flowlens-prometheus' }).datasourceUid).toBe('flowlens-prometheus');
  });

  it('treats blank strings as unset and ignores values of the wrong type', () => {
    const saved = { datasourceUid: ' ', defaultNamespace: '', onlyDenied: 'yes', showIdle: 1 } as unknown;
    expect(resolveAppSettings(saved as Parameters<typeof resolveAppSettings>[0])).toEqual(DEFAULT_APP_SETTINGS);
  });

  it('keeps the saved filters', () => {
    expect(resolveAppSettings({ defaultNamespace: 'shop', onlyDenied: true, showIdle: true })).toEqual({
      datasourceUid: undefined,
      defaultNamespace: 'shop',
      onlyDenied: true,
      showIdle: true,
    });
  });
});

describe('settingsUpdate', () => {
  it('saves the edited fields, enabled and pinned by default', () => {
    const update = settingsUpdate(
      {},
      { datasourceUid: 'prom', defaultNamespace: 'shop', onlyDenied: true, showIdle: false, exporterUrl: undefined },
    );
    expect(update).toEqual({
      enabled: true,
      pinned: true,
      jsonData: { datasourceUid: 'prom', defaultNamespace: 'shop', onlyDenied: true, showIdle: false },
    });
  });

  it('keeps unknown keys and the current enabled and pinned state, and drops cleared fields', () => {
    const current = {
      enabled: false,
      pinned: false,
      jsonData: { datasourceUid: 'old', defaultNamespace: 'shop', future: 1 } as Record<string, unknown>,
    };
    const update = settingsUpdate(current, { ...DEFAULT_APP_SETTINGS, defaultNamespace: ' ' });
    expect(update).toEqual({
      enabled: false,
      pinned: false,
      jsonData: { future: 1, onlyDenied: false, showIdle: false },
    });
  });
});

describe('the exporter URL and token', () => {
  it('saves the URL without trailing slashes, and leaves a cleared one out', () => {
    const saved = settingsUpdate({}, { ...DEFAULT_APP_SETTINGS, exporterUrl: ' http://flowlens.flowlens.svc:9470/ ' });
    expect(saved.jsonData.exporterUrl).toBe('http://flowlens.flowlens.svc:9470');
    expect(resolveAppSettings(saved.jsonData).exporterUrl).toBe('http://flowlens.flowlens.svc:9470');
    const cleared = settingsUpdate({ jsonData: { exporterUrl: 'http://old:9464' } }, DEFAULT_APP_SETTINGS);
    expect(cleared.jsonData).not.toHaveProperty('exporterUrl');
  });

  it('sends the token only when typed, or an empty one when reset; never otherwise', () => {
    expect(settingsUpdate({}, DEFAULT_APP_SETTINGS)).not.toHaveProperty('secureJsonData');
    expect(settingsUpdate({}, DEFAULT_APP_SETTINGS, { value: ' t0ken ', reset: false }).secureJsonData).toEqual({
      exporterToken: 't0ken',
    });
    expect(settingsUpdate({}, DEFAULT_APP_SETTINGS, { value: '', reset: true }).secureJsonData).toEqual({
      exporterToken: '',
    });
    expect(settingsUpdate({}, DEFAULT_APP_SETTINGS, { value: 'new', reset: true }).secureJsonData).toEqual({
      exporterToken: 'new',
    });
  });

  it('names what is wrong with a URL and how to write it', () => {
    expect(exporterUrlProblem(undefined)).toBeUndefined();
    expect(exporterUrlProblem('https://flowlens.example:9464/')).toBeUndefined();
    expect(exporterUrlProblem('flowlens:9464')).toMatch(/must start with http:\/\/ or https:\/\//);
    expect(exporterUrlProblem('not a url')).toMatch(/is not a URL: give the exporter's base URL/);
    expect(exporterUrlProblem('http://x:9464/?a=1')).toMatch(/leave out the query/);
  });
});

describe('defaultPrometheusUid', () => {
  it('picks the default data source when it is a Prometheus', () => {
    const list = [
      { uid: 'a', type: 'prometheus' },
      { uid: 'b', type: 'prometheus', isDefault: true },
    ];
    expect(defaultPrometheusUid(list)).toBe('b');
  });

  it('else the first Prometheus, else none', () => {
    const list = [
      { uid: 'loki', type: 'loki', isDefault: true },
      { uid: 'a', type: 'prometheus' },
      { uid: 'b', type: 'prometheus' },
    ];
    expect(defaultPrometheusUid(list)).toBe('a');
    expect(defaultPrometheusUid([{ uid: 'loki', type: 'loki', isDefault: true }])).toBeUndefined();
  });
});
