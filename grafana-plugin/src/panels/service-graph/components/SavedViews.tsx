// Named views kept in the panel's options (so saving the dashboard keeps them): apply one, save the current view
// under a name (replacing a view of that name), delete one.
import { css } from '@emotion/css';
import type { GrafanaTheme2 } from '@grafana/data';
import { Button, useStyles2 } from '@grafana/ui';
import { useState } from 'react';

import type { SavedView } from '../types';

interface SavedViewsProps {
  views: SavedView[];
  onApply: (view: SavedView) => void;
  /** Saves the current view under the name. */
  onSave: (name: string) => void;
  onDelete: (name: string) => void;
}

export function SavedViews({ views, onApply, onSave, onDelete }: SavedViewsProps) {
  const styles = useStyles2(getStyles);
  const [name, setName] = useState('');
  const [chosen, setChosen] = useState('');
  const current = views.find((view) => view.name === chosen);
  return (
    <div className={styles.group} role="group" aria-label="Saved views">
      <select
        className={styles.control}
        aria-label="Saved view"
        value={current ? chosen : ''}
        onChange={(event) => {
          setChosen(event.target.value);
          const view = views.find((candidate) => candidate.name === event.target.value);
          if (view) onApply(view);
        }}
      >
        <option value="">{views.length === 0 ? 'No saved views' : 'Saved views…'}</option>
        {views.map((view) => (
          <option key={view.name} value={view.name}>
            {view.name}
          </option>
        ))}
      </select>
      {current && (
        <Button size="sm" variant="secondary" fill="text" onClick={() => onDelete(current.name)}>
          Delete view
        </Button>
      )}
      <input
        className={styles.control}
        aria-label="View name"
        placeholder="View name"
        value={name}
        onChange={(event) => setName(event.target.value)}
      />
      <Button
        size="sm"
        variant="secondary"
        disabled={name.trim() === ''}
        onClick={() => {
          onSave(name.trim());
          setChosen(name.trim());
          setName('');
        }}
      >
        Save view
      </Button>
    </div>
  );
}

const getStyles = (theme: GrafanaTheme2) => ({
  group: css({ display: 'flex', alignItems: 'center', gap: theme.spacing(0.5) }),
  control: css({
    height: theme.spacing(4),
    width: 130,
    padding: theme.spacing(0, 1),
    color: theme.colors.text.primary,
    background: theme.components.input.background,
    border: `1px solid ${theme.components.input.borderColor}`,
    borderRadius: theme.shape.radius.default,
    fontSize: theme.typography.bodySmall.fontSize,
  }),
});
