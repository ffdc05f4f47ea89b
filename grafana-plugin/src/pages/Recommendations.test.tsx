import type { ComboboxOption } from '@grafana/ui';
import { fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { MemoryRouter } from 'react-router-dom-v5-compat';

import { DEFAULT_APP_SETTINGS, type ResolvedAppSettings } from '../data/app-settings';
import { parseRecommendations, recommendationsYaml } from '../data/recommendations';
import { contractAnswer } from '../data/testing/recommendations-answer';
import Recommendations from './Recommendations';

const get = jest.fn();

// getBackendSrv is Grafana's: the stand-in answers as the exporter (through the plugin proxy) would.
jest.mock('@grafana/runtime', () => ({
  ...jest.requireActual('@grafana/runtime'),
  getBackendSrv: () => ({ get }),
}));

// Combobox measures and virtualizes its menu, which jsdom cannot; a select with the same options and onChange.
jest.mock('@grafana/ui', () => ({
  ...jest.requireActual('@grafana/ui'),
  Combobox: ({
    options,
    value,
    onChange,
    id,
  }: {
    options: Array<ComboboxOption<string>>;
    value: string;
    onChange: (option: ComboboxOption<string>) => void;
    id: string;
  }) => (
    <select
      id={id}
      aria-label="Namespace"
      value={value}
      onChange={(event) => onChange({ value: event.currentTarget.value })}
    >
      {options.map((option) => (
        <option key={option.value} value={option.value}>
          {option.label}
        </option>
      ))}
    </select>
  ),
}));

const CONFIGURED: ResolvedAppSettings = {
  ...DEFAULT_APP_SETTINGS,
  defaultNamespace: 'shop',
  exporterUrl: 'http://flowlens:9464',
};

function renderPage(settings: ResolvedAppSettings = CONFIGURED, tokenConfigured = true) {
  return render(
    <MemoryRouter future={{ v7_startTransition: true, v7_relativeSplatPath: true }}>
      <Recommendations settings={settings} tokenConfigured={tokenConfigured} />
    </MemoryRouter>,
  );
}

beforeEach(() => {
  get.mockReset().mockResolvedValue(contractAnswer());
});

describe('Recommendations', () => {
  it('asks the exporter through the proxy for the default namespace, and shows each policy with its status', async () => {
    renderPage();
    const cart = await screen.findByRole('region', { name: 'NetworkPolicy shop/flowlens-recommended-cart' });
    expect(get).toHaveBeenCalledWith(
      '/api/plugin-proxy/flowlens-observability-app/exporter/api/v1/recommendations?namespace=shop&format=kubernetes&diff=true',
      undefined,
      undefined,
      { showErrorAlert: false },
    );
    expect(within(cart).getByText('changed')).toBeInTheDocument();
    const marked = (op: string) =>
      Array.from(cart.querySelectorAll(`[data-op="${op}"]`)).map((line) => line.textContent?.replace(/\s+/g, ' '));
    expect(marked('removed')).toEqual(['- flowlens.io/observed-flows: "2"', '- port: 9090']);
    expect(marked('added')).toEqual(['+ flowlens.io/observed-flows: "3"', '+ port: 8080']);
    const frontend = screen.getByRole('region', { name: 'NetworkPolicy shop/flowlens-recommended-frontend' });
    expect(within(frontend).getByText('new')).toBeInTheDocument();
    expect(frontend).toHaveTextContent('Enforced on them today: shop/frontend-from-shop (ingress)');
    const canary = screen.getByRole('region', { name: 'NetworkPolicy shop/flowlens-recommended-cart-canary' });
    expect(within(canary).getByText('unchanged')).toBeInTheDocument();
  });

  it('summarises the traffic: flows denied today, connections allowed beyond the observed', async () => {
    renderPage();
    const traffic = await screen.findByRole('region', { name: 'Traffic' });
    expect(traffic).toHaveTextContent('1 of 5 observed flows are denied by the enforced policies today');
    expect(traffic).toHaveTextContent(
      'shop/frontend → shop/cart TCP/8080: denied at ingress by shop/flowlens-recommended-cart',
    );
    expect(traffic).toHaveTextContent('11 unobserved connections are allowed today and denied by the recommendation');
    expect(traffic).toHaveTextContent('all evaluated with the policy engine');
  });

  it('offers the YAML to download, named by namespace and format; the format toggle asks again', async () => {
    renderPage();
    // jsdom has no object URLs and does not navigate: record what would be saved.
    const blobs: Blob[] = [];
    const saved: string[] = [];
    URL.createObjectURL = (blob: Blob) => {
      blobs.push(blob);
      return 'blob:recommendations';
    };
    URL.revokeObjectURL = () => undefined;
    const click = jest.spyOn(HTMLAnchorElement.prototype, 'click').mockImplementation(function (
      this: HTMLAnchorElement,
    ) {
      saved.push(`${this.download} ${this.href}`);
    });
    fireEvent.click(await screen.findByRole('button', { name: /Download YAML/ }));
    click.mockRestore();
    expect(saved).toEqual(['flowlens-recommended-shop-kubernetes.yaml blob:recommendations']);
    expect(blobs[0]?.type).toBe('application/yaml');
    const yaml = recommendationsYaml(parseRecommendations(contractAnswer()));
    expect(blobs[0]?.size).toBe(new TextEncoder().encode(yaml).length);
    expect(screen.getByRole('button', { name: /Copy YAML/ })).toBeInTheDocument();
    fireEvent.click(screen.getByRole('radio', { name: 'Calico staged' }));
    await waitFor(() =>
      expect(get).toHaveBeenLastCalledWith(expect.stringContaining('format=calico-staged'), undefined, undefined, {
        showErrorAlert: false,
      }),
    );
    fireEvent.change(screen.getByLabelText('Namespace'), { target: { value: '' } });
    await waitFor(() =>
      expect(get).toHaveBeenLastCalledWith(
        '/api/plugin-proxy/flowlens-observability-app/exporter/api/v1/recommendations?format=calico-staged&diff=true',
        undefined,
        undefined,
        { showErrorAlert: false },
      ),
    );
  });

  it('without the URL or the token, says so and links the Configuration page, without calling', () => {
    renderPage({ ...CONFIGURED, exporterUrl: undefined });
    expect(screen.getByText('The exporter API URL is not set')).toBeInTheDocument();
    expect(screen.getByRole('link', { name: 'Open the Configuration page' })).toHaveAttribute(
      'href',
      '/plugins/flowlens-observability-app',
    );
    expect(get).not.toHaveBeenCalled();
  });

  it.each([
    [401, 'The exporter refused the token (401)', /api\.tokenFile/],
    [403, 'The exporter does not allow this caller (403)', /client certificates/],
    [503, 'The exporter cannot recommend yet (503)', /--resources or --kubernetes/],
  ])('a %i from the exporter says what to fix', async (status, title, fix) => {
    get.mockRejectedValue({ status, data: 'refused\n', statusText: '', config: { url: '' } });
    renderPage();
    const alert = await screen.findByRole('alert');
    expect(alert).toHaveTextContent(title);
    expect(alert).toHaveTextContent(fix);
    expect(alert).toHaveTextContent('The exporter said: refused');
  });

  it('an answer of another shape names the field', async () => {
    get.mockResolvedValue({ ...(contractAnswer() as object), diff: undefined });
    renderPage();
    expect(await screen.findByRole('alert')).toHaveTextContent('diff is missing: the exporter predates diff=true');
  });
});
