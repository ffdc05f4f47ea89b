import { fireEvent, render, screen } from '@testing-library/react';

import { SavedViews } from './SavedViews';

const views = [
  { name: 'denied', params: 'sg-denied=1' },
  { name: 'shop', params: 'sg-namespace=shop' },
];

describe('SavedViews', () => {
  it('applies, saves and deletes views', () => {
    const onApply = jest.fn();
    const onSave = jest.fn();
    const onDelete = jest.fn();
    render(<SavedViews views={views} onApply={onApply} onSave={onSave} onDelete={onDelete} />);
    expect(screen.getByRole('button', { name: 'Save view' })).toBeDisabled();
    fireEvent.change(screen.getByLabelText('Saved view'), { target: { value: 'shop' } });
    expect(onApply).toHaveBeenCalledWith(views[1]);
    fireEvent.click(screen.getByRole('button', { name: 'Delete view' }));
    expect(onDelete).toHaveBeenCalledWith('shop');
    fireEvent.change(screen.getByLabelText('View name'), { target: { value: ' mine ' } });
    fireEvent.click(screen.getByRole('button', { name: 'Save view' }));
    expect(onSave).toHaveBeenCalledWith('mine');
  });
});
