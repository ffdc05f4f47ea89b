import {
  DEFAULT_VIEW,
  VIEW_PARAMS,
  type ViewState,
  hasViewParams,
  viewFromSearchParams,
  viewToLocationQuery,
  viewToSearchParams,
} from './view-state';

const view: ViewState = {
  filter: {
    namespaces: ['shop', 'data'],
    workloads: ['shop/cart'],
    search: 'red is',
    onlyDenied: true,
    onlyUnhealthy: false,
    showIdle: true,
    protocol: 'TCP',
    port: '8080',
  },
  level: 'pod',
  showServices: true,
  collapsed: ['kube-system'],
  selection: { kind: 'edge', id: 'shop/cart->data/redis' },
  viewport: { x: -120.456, y: 30, scale: 1.5 },
};

describe('view state in the URL', () => {
  it('writes nothing for the default view', () => {
    expect(viewToSearchParams(DEFAULT_VIEW).toString()).toBe('');
    expect(viewFromSearchParams(new URLSearchParams())).toEqual(DEFAULT_VIEW);
  });

  it('round-trips a view, lists sorted and the viewport to two decimals', () => {
    const params = new URLSearchParams(viewToSearchParams(view).toString());
    expect(viewFromSearchParams(params)).toEqual({
      ...view,
      filter: { ...view.filter, namespaces: ['data', 'shop'] },
      viewport: { x: -120.46, y: 30, scale: 1.5 },
    });
  });

  it('gives equal URLs for equal views', () => {
    const reordered = { ...view, filter: { ...view.filter, namespaces: ['shop', 'data'].reverse() } };
    expect(viewToSearchParams(reordered).toString()).toBe(viewToSearchParams(view).toString());
  });

  it('ignores what it cannot read, and parameters that are not its own', () => {
    const params = new URLSearchParams(
      'sg-selected=cluster:x&sg-view=1,2&sg-denied=yes&sg-namespace=a&sg-namespace=a&var-namespace=b&from=now-1h',
    );
    expect(viewFromSearchParams(params)).toEqual({
      ...DEFAULT_VIEW,
      filter: { ...DEFAULT_VIEW.filter, namespaces: ['a'] },
    });
    expect(viewFromSearchParams(new URLSearchParams('sg-view=0,0,0')).viewport).toBeUndefined();
  });

  it('keeps ids with separators in a selection', () => {
    const params = viewToSearchParams({ ...DEFAULT_VIEW, selection: { kind: 'node', id: 'namespace:shop' } });
    expect(viewFromSearchParams(params).selection).toEqual({ kind: 'node', id: 'namespace:shop' });
  });

  it('uses only prefixed parameter names', () => {
    for (const name of VIEW_PARAMS) expect(name).toMatch(/^sg-/);
    for (const name of viewToSearchParams(view).keys()) expect(VIEW_PARAMS).toContain(name);
  });

  it('gives locationService.partial every parameter: null to remove, lists where repeated', () => {
    const query = viewToLocationQuery(view);
    expect(Object.keys(query).sort()).toEqual([...VIEW_PARAMS].sort());
    expect(query['sg-namespace']).toEqual(['data', 'shop']);
    expect(query['sg-protocol']).toBe('TCP');
    expect(query['sg-level']).toBe('pod');
    expect(viewToLocationQuery(DEFAULT_VIEW)['sg-search']).toBeNull();
    // What partial would write reads back as the same view.
    const params = new URLSearchParams();
    for (const [name, value] of Object.entries(query)) {
      for (const item of value === null ? [] : Array.isArray(value) ? value : [value]) params.append(name, item);
    }
    expect(viewFromSearchParams(params)).toEqual(viewFromSearchParams(viewToSearchParams(view)));
    expect(hasViewParams(params)).toBe(true);
    expect(hasViewParams(new URLSearchParams('var-namespace=shop'))).toBe(false);
  });

  it('reads an unknown level as the workload level', () => {
    expect(viewFromSearchParams(new URLSearchParams('sg-level=cluster')).level).toBe('workload');
  });

  it('keeps Show services in sg-services, absent when off', () => {
    expect(viewToSearchParams({ ...DEFAULT_VIEW, showServices: true }).toString()).toBe('sg-services=1');
    expect(viewFromSearchParams(new URLSearchParams('sg-services=1')).showServices).toBe(true);
    expect(viewFromSearchParams(new URLSearchParams('sg-services=0')).showServices).toBe(false);
    expect(hasViewParams(new URLSearchParams('sg-services=1'))).toBe(true);
    expect(viewToLocationQuery(DEFAULT_VIEW)['sg-services']).toBeNull();
  });
});
