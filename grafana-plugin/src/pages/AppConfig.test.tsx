import type { DataSourceInstanceSettings } from '@grafana/data';
import type { DataSourcePickerProps } from '@grafana/runtime';
import { fireEvent, render, screen, waitFor } from '@testing-library/react';

import type { FlowlensAppSettings } from '../constants';
import AppConfig, { type AppConfigProps } from './AppConfig';
import { appMeta } from './testing';

const post = jest.fn();
const reload = jest.fn();

// getBackendSrv and locationService are Grafana's; the picker lists Grafana's data sources. Stand-ins for all three.
jest.mock('@grafana/runtime', () => ({
  ...jest.requireActual('@grafana/runtime'),
  getBackendSrv: () => ({ post }),
  locationService: { reload: () => reload() },
  DataSourcePicker: ({ current, pluginId, onChange }: DataSourcePickerProps) => (
    <select
      aria-label={`${pluginId} data source`}
      value={typeof current === 'string' ? current : ''}
      onChange={(event) => onChange({ uid: event.currentTarget.value } as DataSourceInstanceSettings)}
    >
      <option value="">none</option>
      <option value="flowlens-prometheus">Flowlens Prometheus</option>
      <option value="other-prometheus">Other Prometheus</option>
    </select>
  ),
}));

function renderConfig(
  jsonData: FlowlensAppSettings,
  state: { enabled?: boolean; pinned?: boolean; secureJsonFields?: Record<string, boolean> } = {
    enabled: true,
    pinned: true,
  },
) {
  const props = { plugin: { meta: appMeta(jsonData, state) }, query: {} } as unknown as AppConfigProps;
  return render(<AppConfig {...props} />);
}

const save = () => fireEvent.click(screen.getByRole('button', { name: 'Save settings' }));

beforeEach(() => {
  post.mockReset().mockResolvedValue({});
  reload.mockReset();
});

describe('AppConfig', () => {
  it('shows the saved settings, the data source picker limited to Prometheus', () => {
    renderConfig({ datasourceUid: 'flowlens-prometheus', defaultNamespace: 'shop', onlyDenied: true });
    expect(screen.getByLabelText('prometheus data source')).toHaveValue('flowlens-prometheus');
    expect(screen.getByRole('textbox', { name: /^Namespace/ })).toHaveValue('shop');
    expect(screen.getByRole('switch', { name: /^Only denied flows/ })).toBeChecked();
    expect(screen.getByRole('switch', { name: /^Show idle edges/ })).not.toBeChecked();
  });

  it('saves the edited settings into jsonData, keeping the rest, then reloads', async () => {
    renderConfig({ datasourceUid: 'flowlens-prometheus', future: 'kept' } as FlowlensAppSettings, {
      enabled: true,
      pinned: false,
    });
    fireEvent.change(screen.getByLabelText('prometheus data source'), { target: { value: 'other-prometheus' } });
    fireEvent.change(screen.getByRole('textbox', { name: /^Namespace/ }), { target: { value: ' payments ' } });
    fireEvent.click(screen.getByRole('switch', { name: /^Show idle edges/ }));
    save();
    await waitFor(() => expect(reload).toHaveBeenCalled());
    expect(post).toHaveBeenCalledWith('/api/plugins/flowlens-observability-app/settings', {
      enabled: true,
      pinned: false,
      jsonData: {
        future: 'kept',
        datasourceUid: 'other-prometheus',
        defaultNamespace: 'payments',
        onlyDenied: false,
        showIdle: true,
      },
    });
  });

  it('leaves a cleared namespace out', async () => {
    renderConfig({ defaultNamespace: 'shop' });
    fireEvent.change(screen.getByRole('textbox', { name: /^Namespace/ }), { target: { value: '' } });
    save();
    await waitFor(() => expect(post).toHaveBeenCalled());
    expect(post.mock.calls[0][1].jsonData).toEqual({ onlyDenied: false, showIdle: false });
  });

  it('says when saving failed, and does not reload', async () => {
    post.mockRejectedValue(new Error('403 Forbidden'));
    renderConfig({});
    save();
    expect(await screen.findByText('403 Forbidden')).toBeInTheDocument();
    expect(reload).not.toHaveBeenCalled();
    expect(screen.getByRole('button', { name: 'Save settings' })).toBeEnabled();
  });

  it('saves the exporter URL into jsonData and a typed token into secureJsonData, never showing a saved one', async () => {
    renderConfig({}, { enabled: true, pinned: true });
    fireEvent.change(screen.getByRole('textbox', { name: /^Exporter API URL/ }), {
      target: { value: 'http://flowlens.flowlens.svc:9470/' },
    });
    fireEvent.change(screen.getByPlaceholderText('bearer token'), { target: { value: 's3cret' } });
    save();
    await waitFor(() => expect(post).toHaveBeenCalled());
    expect(post.mock.calls[0][1]).toEqual({
      enabled: true,
      pinned: true,
      jsonData: { exporterUrl: 'http://flowlens.flowlens.svc:9470', onlyDenied: false, showIdle: false },
      secureJsonData: { exporterToken: 's3cret' },
    });
  });

  it('shows a saved token as configured, and does not send it back untouched', async () => {
    renderConfig({}, { enabled: true, pinned: true, secureJsonFields: { exporterToken: true } });
    expect(screen.getByDisplayValue('configured')).toBeDisabled();
    save();
    await waitFor(() => expect(post).toHaveBeenCalled());
    expect(post.mock.calls[0][1]).not.toHaveProperty('secureJsonData');
  });

  it('Reset clears the saved token on save', async () => {
    renderConfig({}, { enabled: true, pinned: true, secureJsonFields: { exporterToken: true } });
    fireEvent.click(screen.getByRole('button', { name: 'Reset' }));
    save();
    await waitFor(() => expect(post).toHaveBeenCalled());
    expect(post.mock.calls[0][1].secureJsonData).toEqual({ exporterToken: '' });
  });

  it('names what is wrong with the URL and does not save it', () => {
    renderConfig({});
    fireEvent.change(screen.getByRole('textbox', { name: /^Exporter API URL/ }), {
      target: { value: 'flowlens:9464' },
    });
    expect(screen.getByText('"flowlens:9464" must start with http:// or https://')).toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Save settings' })).toBeDisabled();
  });
});
