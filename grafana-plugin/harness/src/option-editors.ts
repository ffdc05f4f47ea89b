// Grafana core fills @grafana/data's registry of option editors at start-up (app/core/components/OptionsUI); a
// panel's options builder looks its editors up there. The harness has no options pane, so each standard editor id
// gets a placeholder that draws nothing: enough for the builder to run and give the option defaults.
import { type StandardEditorsRegistryItem, standardEditorsRegistry } from '@grafana/data';

const EDITOR_IDS = [
  'boolean',
  'color',
  'dashboard-uid',
  'field-name',
  'multi-select',
  'number',
  'radio',
  'select',
  'slider',
  'strings',
  'text',
  'timezone',
  'unit',
];

export function registerOptionEditors(): void {
  standardEditorsRegistry.setInit(() =>
    EDITOR_IDS.map((id): StandardEditorsRegistryItem => ({
      id,
      name: id,
      description: `placeholder for the ${id} editor`,
      editor: () => null,
    })),
  );
}
