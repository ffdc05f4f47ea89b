import { fireEvent, render, screen } from '@testing-library/react';

import { DEFAULT_VIEW } from '../../../data/view-state';
import { FilterBar, type FilterBarProps } from './FilterBar';

function renderBar(props: Partial<FilterBarProps> = {}) {
  const handlers = {
    onFilterChange: jest.fn(),
    onLevelChange: jest.fn(),
    onShowServicesChange: jest.fn(),
    onColorByChange: jest.fn(),
    onAnimateChange: jest.fn(),
    onSearchSubmit: jest.fn(),
  };
  render(
    <FilterBar
      filter={DEFAULT_VIEW.filter}
      level="workload"
      showServices={false}
      colorBy="verdict"
      animate={false}
      namespaces={['shop', 'data']}
      workloads={['data/db', 'shop/cart']}
      protocols={['TCP', 'UDP']}
      ports={['53', '443']}
      hasPods={false}
      {...handlers}
      {...props}
    />,
  );
  return handlers;
}

describe('FilterBar', () => {
  it('has a Show services checkbox, off by default, reporting its change', () => {
    const { onShowServicesChange } = renderBar();
    const checkbox = screen.getByLabelText('Show services');
    expect(checkbox).not.toBeChecked();
    fireEvent.click(checkbox);
    expect(onShowServicesChange).toHaveBeenLastCalledWith(true);
  });

  it('reports each filter change with the rest of the filter kept', () => {
    const { onFilterChange } = renderBar({ filter: { ...DEFAULT_VIEW.filter, search: 'cart' } });
    fireEvent.click(screen.getByLabelText('Only denied'));
    expect(onFilterChange).toHaveBeenLastCalledWith({ ...DEFAULT_VIEW.filter, search: 'cart', onlyDenied: true });
    fireEvent.click(screen.getByLabelText('Only unhealthy'));
    expect(onFilterChange).toHaveBeenLastCalledWith({ ...DEFAULT_VIEW.filter, search: 'cart', onlyUnhealthy: true });
    fireEvent.change(screen.getByLabelText('Protocol'), { target: { value: 'UDP' } });
    expect(onFilterChange).toHaveBeenLastCalledWith(expect.objectContaining({ protocol: 'UDP' }));
    fireEvent.change(screen.getByLabelText('Port'), { target: { value: '53' } });
    expect(onFilterChange).toHaveBeenLastCalledWith(expect.objectContaining({ port: '53' }));
  });

  it('selects several namespaces', () => {
    const { onFilterChange } = renderBar();
    const select = screen.getByLabelText('Namespaces') as HTMLSelectElement;
    for (const option of Array.from(select.options)) option.selected = true;
    fireEvent.change(select);
    expect(onFilterChange).toHaveBeenLastCalledWith(expect.objectContaining({ namespaces: ['data', 'shop'] }));
  });

  it('submits the search on Enter', () => {
    const { onSearchSubmit, onFilterChange } = renderBar({ filter: { ...DEFAULT_VIEW.filter, search: 'db' } });
    const search = screen.getByLabelText('Search workloads');
    fireEvent.change(search, { target: { value: 'redis' } });
    expect(onFilterChange).toHaveBeenLastCalledWith(expect.objectContaining({ search: 'redis' }));
    fireEvent.keyDown(search, { key: 'Enter' });
    expect(onSearchSubmit).toHaveBeenCalledWith('db');
  });

  it('offers the pod level only when the series carry pods, and changes color mode and level', () => {
    const { onColorByChange, onLevelChange } = renderBar();
    expect(screen.getByRole('option', { name: /Pods/ })).toBeDisabled();
    fireEvent.change(screen.getByLabelText('Color by'), { target: { value: 'health' } });
    expect(onColorByChange).toHaveBeenCalledWith('health');
    fireEvent.change(screen.getByLabelText('Level'), { target: { value: 'namespace' } });
    expect(onLevelChange).toHaveBeenCalledWith('namespace');
  });

  it('adds a known workload to the workload filter on Enter', () => {
    const { onFilterChange } = renderBar({ filter: { ...DEFAULT_VIEW.filter, workloads: ['shop/cart'] } });
    const input = screen.getByLabelText('Workloads');
    fireEvent.change(input, { target: { value: 'nope/x' } });
    fireEvent.keyDown(input, { key: 'Enter' });
    expect(onFilterChange).not.toHaveBeenCalled();
    fireEvent.change(input, { target: { value: 'data/db' } });
    fireEvent.keyDown(input, { key: 'Enter' });
    expect(onFilterChange).toHaveBeenLastCalledWith(expect.objectContaining({ workloads: ['data/db', 'shop/cart'] }));
  });

  it('shows and clears a workload filter', () => {
    const { onFilterChange } = renderBar({ filter: { ...DEFAULT_VIEW.filter, workloads: ['shop/cart'] } });
    fireEvent.click(screen.getByRole('button', { name: 'Clear workload filter' }));
    expect(onFilterChange).toHaveBeenLastCalledWith(expect.objectContaining({ workloads: [] }));
  });
});
