import { DEFAULT_APP_SETTINGS, defaultPrometheusUid, resolveAppSettings, settingsUpdate } from './app-settings';

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
      { datasourceUid: 'prom', defaultNamespace: 'shop', onlyDenied: true, showIdle: false },
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
