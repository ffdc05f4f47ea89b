// The harness page's bundle: the libraries Grafana shares with plugins (the real react, react-dom, @grafana/data,
// @grafana/ui, @grafana/runtime, @emotion/css, rxjs, lodash), an AMD loader handing them to the plugin's built
// panel modules, and a Grafana-like panel host: dark theme, PanelChrome, PanelProps with PanelData in state Done.
import './boot-data';

import * as emotionCss from '@emotion/css';
import * as emotionReact from '@emotion/react';
import * as grafanaData from '@grafana/data';
import {
  type DataFrame,
  EventBusSrv,
  type FieldConfigSource,
  LoadingState,
  type PanelData,
  PanelOptionsEditorBuilder,
  type PanelPlugin,
  type PanelProps,
  ThemeContext,
  createTheme,
  dateTime,
  getDefaultTimeRange,
} from '@grafana/data';
import * as grafanaRuntime from '@grafana/runtime';
import * as grafanaUi from '@grafana/ui';
import { GlobalStyles, PanelChrome, PanelContextProvider } from '@grafana/ui';
import * as i18next from 'i18next';
import lodash from 'lodash';
import * as React from 'react';
import { type ComponentType, useEffect, useMemo, useState } from 'react';
import * as ReactDOM from 'react-dom';
import { createRoot } from 'react-dom/client';
import * as jsxRuntime from 'react/jsx-runtime';
import * as rxjs from 'rxjs';
import * as sharedReactRouter from 'shared-react-router';
import { installAmdLoader } from './amd-loader';
import { mountApp } from './app-page';
import { registerOptionEditors } from './option-editors';
import type { ColorCount, FlowlensHarness, MountRequest, MountResult, PanelName } from './api';
import { type PrometheusResults, framesFromPrometheus } from './prometheus-frames';
import { syntheticResults } from './synthetic';

const loader = installAmdLoader({
  react: React,
  'react-dom': ReactDOM,
  'react/jsx-runtime': jsxRuntime,
  '@grafana/data': grafanaData,
  '@grafana/ui': grafanaUi,
  '@grafana/runtime': grafanaRuntime,
  '@emotion/css': emotionCss,
  '@emotion/react': emotionReact,
  // Grafana shares its i18next instance (initialised at start-up) and react-router v6; the app module asks for both.
  i18next,
  'react-router': sharedReactRouter,
  rxjs,
  lodash,
});

registerOptionEditors();
const theme = createTheme({ colors: { mode: 'dark' } });
const TITLES: Record<PanelName, string> = { 'service-graph': 'Service graph', 'policy-flow': 'Policy flow' };
type Options = Record<string, unknown>;

/** The panel's option defaults, as Grafana computes them: every item of its options builder with a default. */
function optionDefaults(plugin: PanelPlugin<Options>, series: DataFrame[]): Options {
  const builder = new PanelOptionsEditorBuilder<Options>();
  plugin.getPanelOptionsSupplier()(builder, { data: series });
  const defaults: Options = {};
  for (const item of builder.getItems()) {
    if (item.defaultValue !== undefined) lodash.set(defaults, item.path, lodash.cloneDeep(item.defaultValue));
  }
  return defaults;
}

interface HostProps {
  panel: PanelName;
  component: ComponentType<PanelProps<Options>>;
  series: DataFrame[];
  initialOptions: Options;
  width: number;
  height: number;
  /** Lets the harness API change the options from outside, as the panel editor does. */
  exposeOptions: (get: () => Options, set: (options: Options) => void) => void;
}

const eventBus = new EventBusSrv();
const timeRange = getDefaultTimeRange();

function PanelHost({ panel, component: Panel, series, initialOptions, width, height, exposeOptions }: HostProps) {
  const [options, setOptions] = useState<Options>(initialOptions);
  const [fieldConfig, setFieldConfig] = useState<FieldConfigSource>({ defaults: {}, overrides: [] });
  const [renderCounter, setRenderCounter] = useState(0);
  useEffect(() => exposeOptions(() => options, setOptions), [exposeOptions, options]);
  useEffect(() => setRenderCounter((count) => count + 1), [options, fieldConfig]);
  // One PanelData for the frames, as Grafana hands a panel the same object until new data arrives.
  const data = useMemo((): PanelData => ({ state: LoadingState.Done, series, timeRange }), [series]);
  return (
    <PanelContextProvider value={{ eventsScope: 'global', eventBus }}>
      <div data-testid="harness-panel" style={{ width, height, padding: 0 }}>
        <PanelChrome title={TITLES[panel]} width={width} height={height}>
          {(innerWidth, innerHeight) => (
            <Panel
              id={1}
              data={data}
              timeRange={timeRange}
              timeZone="utc"
              options={options}
              fieldConfig={fieldConfig}
              transparent={false}
              width={innerWidth}
              height={innerHeight}
              renderCounter={renderCounter}
              title={TITLES[panel]}
              eventBus={eventBus}
              onOptionsChange={setOptions}
              onFieldConfigChange={setFieldConfig}
              replaceVariables={(value) => value}
              // The harness has no time picker: a panel's zoom request is recorded for the test to read.
              onChangeTimeRange={(range) => {
                document.documentElement.dataset['requestedTimeRange'] =
                  `${dateTime(range.from).toISOString()}/${dateTime(range.to).toISOString()}`;
              }}
            />
          )}
        </PanelChrome>
      </div>
    </PanelContextProvider>
  );
}

let getOptions: () => Options = () => ({});
let setPanelOptions: (options: Options) => void = () => undefined;
let frameRecorder: { deltas: number[]; last: number; running: boolean } | undefined;

async function mount(request: MountRequest): Promise<MountResult> {
  let results: PrometheusResults;
  let expected: MountResult['expected'];
  if (request.frames === 'synthetic') {
    const synthetic = syntheticResults(request.synthetic?.nodes ?? 1000, request.synthetic?.edges ?? 5000);
    results = synthetic.results;
    expected = synthetic.expected;
  } else {
    const response = await fetch(`/api/prometheus-results?panel=${request.panel}`);
    if (!response.ok) throw new Error(`prometheus results: HTTP ${response.status}`);
    results = (await response.json()) as PrometheusResults;
  }
  performance.mark('harness:frames:start');
  const series = framesFromPrometheus(results);
  performance.measure('harness:frames', 'harness:frames:start');
  const exported = (await loader.load(`/dist/panels/${request.panel}/module.js`)) as { plugin?: PanelPlugin<Options> };
  const plugin = exported.plugin;
  if (plugin === undefined || plugin.panel === null || plugin.panel === undefined) {
    throw new Error(`${request.panel}: the module exports no panel plugin`);
  }
  const defaults = optionDefaults(plugin, series);
  const container = document.getElementById('root');
  if (container === null) throw new Error('no #root element');
  createRoot(container).render(
    <ThemeContext.Provider value={theme}>
      <GlobalStyles />
      <PanelHost
        panel={request.panel}
        component={plugin.panel}
        series={series}
        initialOptions={lodash.merge(lodash.cloneDeep(defaults), request.options ?? {})}
        width={request.width}
        height={request.height}
        exposeOptions={(get, set) => {
          getOptions = get;
          setPanelOptions = set;
        }}
      />
    </ThemeContext.Provider>,
  );
  return { frameCount: series.length, defaults, ...(expected === undefined ? {} : { expected }) };
}

const colorProbe = document.createElement('canvas').getContext('2d', { willReadFrequently: true });

function rgbaOf(color: string): [number, number, number, number] {
  if (colorProbe === null) throw new Error('no 2D canvas');
  colorProbe.clearRect(0, 0, 1, 1);
  colorProbe.fillStyle = color;
  colorProbe.fillRect(0, 0, 1, 1);
  const [r = 0, g = 0, b = 0, a = 0] = colorProbe.getImageData(0, 0, 1, 1).data;
  return [r, g, b, a];
}

const harness: FlowlensHarness = {
  mount,
  mountApp: (request) => mountApp(loader, theme, request),
  setOptions(patch) {
    setPanelOptions({ ...getOptions(), ...patch });
  },
  options: () => getOptions(),
  themeColors() {
    const colors = theme.colors;
    const normalize = harness.normalizeColor;
    return {
      errorText: normalize(colors.error.text),
      errorMain: normalize(colors.error.main),
      successText: normalize(colors.success.text),
      successMain: normalize(colors.success.main),
      warningText: normalize(colors.warning.text),
      warningMain: normalize(colors.warning.main),
      canvas: normalize(colors.background.canvas),
    };
  },
  normalizeColor(color) {
    const [r, g, b, a] = rgbaOf(color);
    return a === 255 ? `rgb(${r}, ${g}, ${b})` : `rgba(${r}, ${g}, ${b}, ${Math.round((a / 255) * 100) / 100})`;
  },
  canvasColorCounts(selector, colors, tolerance) {
    const canvas = document.querySelector(selector);
    if (!(canvas instanceof HTMLCanvasElement)) throw new Error(`${selector} is not a canvas`);
    const context = canvas.getContext('2d');
    if (context === null) throw new Error(`${selector} has no 2D context`);
    const pixels = context.getImageData(0, 0, canvas.width, canvas.height).data;
    const targets = colors.map(rgbaOf);
    const counts: ColorCount[] = colors.map((color) => ({ color, pixels: 0 }));
    let total = 0;
    for (let index = 0; index < pixels.length; index += 4) {
      if ((pixels[index + 3] ?? 0) === 0) continue;
      total++;
      targets.forEach(([r, g, b], which) => {
        if (
          Math.abs((pixels[index] ?? 0) - r) <= tolerance &&
          Math.abs((pixels[index + 1] ?? 0) - g) <= tolerance &&
          Math.abs((pixels[index + 2] ?? 0) - b) <= tolerance
        ) {
          counts[which]!.pixels++;
        }
      });
    }
    return { total, counts };
  },
  nearestCanvasPixel(selector, color, tolerance, from, minDistance) {
    const canvas = document.querySelector(selector);
    if (!(canvas instanceof HTMLCanvasElement)) throw new Error(`${selector} is not a canvas`);
    const context = canvas.getContext('2d');
    if (context === null) throw new Error(`${selector} has no 2D context`);
    // The canvas is sized by devicePixelRatio: its pixels are not CSS pixels.
    const box = canvas.getBoundingClientRect();
    const scaleX = canvas.width / box.width;
    const scaleY = canvas.height / box.height;
    const pixels = context.getImageData(0, 0, canvas.width, canvas.height).data;
    const [r, g, b] = rgbaOf(color);
    let nearest: { x: number; y: number } | null = null;
    let nearestDistance = Infinity;
    for (let y = 0; y < canvas.height; y++) {
      for (let x = 0; x < canvas.width; x++) {
        const index = (y * canvas.width + x) * 4;
        if (
          (pixels[index + 3] ?? 0) === 0 ||
          Math.abs((pixels[index] ?? 0) - r) > tolerance ||
          Math.abs((pixels[index + 1] ?? 0) - g) > tolerance ||
          Math.abs((pixels[index + 2] ?? 0) - b) > tolerance
        ) {
          continue;
        }
        const point = { x: (x + 0.5) / scaleX, y: (y + 0.5) / scaleY };
        const distance = Math.hypot(point.x - from.x, point.y - from.y);
        if (distance >= minDistance && distance < nearestDistance) {
          nearest = point;
          nearestDistance = distance;
        }
      }
    }
    return nearest;
  },
  measures: (prefix) =>
    performance
      .getEntriesByType('measure')
      .filter((entry) => entry.name.startsWith(prefix))
      .map((entry) => ({ name: entry.name, duration: entry.duration })),
  clearMeasures: () => performance.clearMeasures(),
  startFrameRecorder() {
    const recorder = { deltas: [] as number[], last: performance.now(), running: true };
    frameRecorder = recorder;
    const tick = (now: number) => {
      if (!recorder.running) return;
      recorder.deltas.push(now - recorder.last);
      recorder.last = now;
      requestAnimationFrame(tick);
    };
    requestAnimationFrame((now) => {
      recorder.last = now;
      requestAnimationFrame(tick);
    });
  },
  stopFrameRecorder() {
    const recorder = frameRecorder;
    frameRecorder = undefined;
    if (recorder === undefined) return [];
    recorder.running = false;
    return recorder.deltas;
  },
};

(window as unknown as { flowlensHarness: FlowlensHarness }).flowlensHarness = harness;
document.documentElement.dataset['harness'] = 'ready';
