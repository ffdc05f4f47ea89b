// The panel's toolbar: filters first (search, namespaces, only denied / unhealthy, protocol, port), then how the
// graph is drawn (level, color mode, animation). Native form controls with explicit labels: keyboard and screen
// reader friendly, and what the browser tests drive.
import { css } from '@emotion/css';
import type { GrafanaTheme2 } from '@grafana/data';
import { useStyles2 } from '@grafana/ui';
import { type ReactNode, memo, useId } from 'react';

import type { GraphLevel } from '../../../data/frames';
import type { ColorMode } from '../../../data/render-plan';
import type { ViewState } from '../../../data/view-state';

export type ViewFilter = ViewState['filter'];

export interface FilterBarProps {
  filter: ViewFilter;
  level: GraphLevel;
  showServices: boolean;
  colorBy: ColorMode;
  animate: boolean;
  namespaces: string[];
  /** Node ids offered by the workload filter's input. */
  workloads: string[];
  protocols: string[];
  ports: string[];
  /** Whether the series carry pod labels (the pod level is offered only then). */
  hasPods: boolean;
  onFilterChange: (filter: ViewFilter) => void;
  onLevelChange: (level: GraphLevel) => void;
  onShowServicesChange: (showServices: boolean) => void;
  onColorByChange: (colorBy: ColorMode) => void;
  onAnimateChange: (animate: boolean) => void;
  /** Enter in the search box. */
  onSearchSubmit: (search: string) => void;
  children?: ReactNode;
}

export function FilterBar(props: FilterBarProps) {
  const { filter, level, colorBy, animate, namespaces, workloads, protocols, ports, hasPods, onFilterChange } = props;
  const listId = useId();
  const styles = useStyles2(getStyles);
  const update = (change: Partial<ViewFilter>) => onFilterChange({ ...filter, ...change });
  const namespaceChoices = [...new Set([...namespaces, ...filter.namespaces])].sort();
  return (
    <div className={styles.bar} role="toolbar" aria-label="Service graph filters">
      <input
        // Not type="search": Chromium clears those on Escape, which closes the side panel here.
        type="text"
        className={styles.input}
        aria-label="Search workloads"
        placeholder="Search workloads (Enter: go to)"
        value={filter.search}
        onChange={(event) => update({ search: event.target.value })}
        onKeyDown={(event) => {
          if (event.key === 'Enter') props.onSearchSubmit(event.currentTarget.value);
        }}
      />
      <select
        multiple
        size={Math.min(3, Math.max(2, namespaceChoices.length))}
        className={styles.multi}
        aria-label="Namespaces"
        value={filter.namespaces}
        onChange={(event) =>
          update({ namespaces: Array.from(event.target.selectedOptions, (option) => option.value).sort() })
        }
      >
        {namespaceChoices.map((namespace) => (
          <option key={namespace} value={namespace}>
            {namespace === '' ? '(no namespace)' : namespace}
          </option>
        ))}
      </select>
      <input
        type="text"
        className={styles.input}
        aria-label="Workloads"
        placeholder="Add a workload (Enter)"
        list={listId}
        onKeyDown={(event) => {
          const id = event.currentTarget.value.trim();
          if (event.key !== 'Enter' || !workloads.includes(id)) return;
          if (!filter.workloads.includes(id)) update({ workloads: [...filter.workloads, id].sort() });
          event.currentTarget.value = '';
        }}
      />
      <WorkloadList id={listId} workloads={workloads} />
      {filter.workloads.length > 0 && (
        <button
          type="button"
          className={styles.select}
          aria-label="Clear workload filter"
          title={filter.workloads.join(', ')}
          onClick={() => update({ workloads: [] })}
        >
          {filter.workloads.length === 1 ? filter.workloads[0] : `${filter.workloads.length} workloads`} ×
        </button>
      )}
      <Checkbox
        label="Only denied"
        checked={filter.onlyDenied}
        className={styles.check}
        onChange={(checked) => update({ onlyDenied: checked })}
      />
      <Checkbox
        label="Only unhealthy"
        checked={filter.onlyUnhealthy}
        className={styles.check}
        onChange={(checked) => update({ onlyUnhealthy: checked })}
      />
      <Checkbox
        label="Idle edges"
        checked={filter.showIdle}
        className={styles.check}
        onChange={(checked) => update({ showIdle: checked })}
      />
      <select
        className={styles.select}
        aria-label="Protocol"
        value={filter.protocol}
        onChange={(event) => update({ protocol: event.target.value })}
      >
        <option value="">All protocols</option>
        {withCurrent(protocols, filter.protocol).map((protocol) => (
          <option key={protocol} value={protocol}>
            {protocol}
          </option>
        ))}
      </select>
      <select
        className={styles.select}
        aria-label="Port"
        value={filter.port}
        onChange={(event) => update({ port: event.target.value })}
      >
        <option value="">All ports</option>
        {withCurrent(ports, filter.port).map((port) => (
          <option key={port} value={port}>
            {port}
          </option>
        ))}
      </select>
      <select
        className={styles.select}
        aria-label="Level"
        value={level}
        onChange={(event) => props.onLevelChange(levelOf(event.target.value))}
      >
        <option value="namespace">Namespaces</option>
        <option value="workload">Workloads</option>
        <option value="pod" disabled={!hasPods && level !== 'pod'}>
          Pods{hasPods ? '' : ' (no pod labels)'}
        </option>
      </select>
      <Checkbox
        label="Show services"
        checked={props.showServices}
        className={styles.check}
        onChange={(checked) => props.onShowServicesChange(checked)}
      />
      <select
        className={styles.select}
        aria-label="Color by"
        value={colorBy}
        onChange={(event) => props.onColorByChange(event.target.value === 'health' ? 'health' : 'verdict')}
      >
        <option value="verdict">Color by verdict</option>
        <option value="health">Color by health</option>
      </select>
      <Checkbox
        label="Animate"
        checked={animate}
        className={styles.check}
        onChange={(checked) => props.onAnimateChange(checked)}
      />
      {props.children}
    </div>
  );
}

/** The workload input's suggestions: a thousand options, rendered again only when the workloads change. */
const WorkloadList = memo(function WorkloadList({ id, workloads }: { id: string; workloads: string[] }) {
  return (
    <datalist id={id}>
      {workloads.map((workload) => (
        <option key={workload} value={workload} />
      ))}
    </datalist>
  );
});

/** A native checkbox inside its label, so the label is its accessible name. */
function Checkbox(props: { label: string; checked: boolean; className: string; onChange: (checked: boolean) => void }) {
  return (
    <label className={props.className}>
      <input type="checkbox" checked={props.checked} onChange={(event) => props.onChange(event.target.checked)} />
      {props.label}
    </label>
  );
}

function levelOf(value: string): GraphLevel {
  return value === 'namespace' || value === 'pod' ? value : 'workload';
}

/** The choices, with the current value kept even when the data no longer has it (a URL from another time). */
function withCurrent(choices: string[], current: string): string[] {
  return current === '' || choices.includes(current) ? choices : [...choices, current];
}

const getStyles = (theme: GrafanaTheme2) => {
  const control = {
    height: theme.spacing(4),
    padding: theme.spacing(0, 1),
    color: theme.colors.text.primary,
    background: theme.components.input.background,
    border: `1px solid ${theme.components.input.borderColor}`,
    borderRadius: theme.shape.radius.default,
    fontSize: theme.typography.bodySmall.fontSize,
  };
  return {
    bar: css({
      display: 'flex',
      flexWrap: 'wrap',
      alignItems: 'center',
      gap: theme.spacing(1),
      padding: theme.spacing(0.5, 0),
    }),
    input: css({ ...control, width: 200 }),
    select: css(control),
    multi: css({ ...control, height: 'auto', padding: 0, minWidth: 120 }),
    check: css({
      display: 'flex',
      alignItems: 'center',
      gap: theme.spacing(0.5),
      margin: 0,
      fontSize: theme.typography.bodySmall.fontSize,
      whiteSpace: 'nowrap',
    }),
  };
};
