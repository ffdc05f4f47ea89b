// An app plugin's page as Grafana opens one (public/app/features/plugins/components/AppRootPage.tsx): the plugin's
// settings from GET /api/plugins/<id>/settings (jsonData and secureJsonFields; the secrets stay on the server), the
// BUILT module.js through the AMD loader, `plugin.init(meta)`, then `plugin.root` with AppRootProps under Grafana's
// router at /a/<id>/*, in the theme's context. What Grafana sets in @grafana/runtime before a plugin runs and a
// page needs, the harness sets too (setBackendSrv); PluginPage and locationService keep @grafana/runtime's defaults,
// see mountApp.
import { type AppPlugin, type AppPluginMeta, ThemeContext, type createTheme } from '@grafana/data';
import { setBackendSrv } from '@grafana/runtime';
import { GlobalStyles } from '@grafana/ui';
import { createRoot } from 'react-dom/client';
import { MemoryRouter, Route, Routes } from 'shared-react-router';
import type { AmdLoader } from './amd-loader';
import type { AppMountRequest } from './api';
import { HarnessBackendSrv } from './backend-srv';

export async function mountApp(
  loader: AmdLoader,
  theme: ReturnType<typeof createTheme>,
  request: AppMountRequest,
): Promise<void> {
  setBackendSrv(new HarnessBackendSrv());
  const settingsResponse = await fetch(`/api/plugins/${encodeURIComponent(request.pluginId)}/settings`);
  if (!settingsResponse.ok) throw new Error(`plugin settings: HTTP ${settingsResponse.status}`);
  const meta = (await settingsResponse.json()) as AppPluginMeta;
  const exported = (await loader.load(`/${meta.module}`)) as { plugin?: AppPlugin };
  const plugin = exported.plugin;
  if (plugin === undefined || plugin.root === undefined) throw new Error(`${meta.module} exports no app root`);
  // Grafana's importAppPlugin: init with the settings, then keep them on the plugin.
  plugin.init(meta);
  plugin.meta = meta;
  const Root = plugin.root;
  const basename = `/a/${meta.id}`;
  const container = document.getElementById('root');
  if (container === null) throw new Error('no #root element');
  // PluginPage: @grafana/runtime's default draws the children in a <div> until Grafana calls setPluginPage with its
  // page chrome (title, navigation); the harness has no navigation, so the default stands. locationService: the
  // Recommendations page does not use it; Grafana's router sits on its browser history, the harness's is a
  // MemoryRouter of the same react-router that Grafana shares with plugins as `react-router` and @grafana/ui's links
  // use (see webpack.config.mjs's `shared-react-router`), so the app's <Routes> and TextLink find one router.
  createRoot(container).render(
    <ThemeContext.Provider value={theme}>
      <GlobalStyles />
      <MemoryRouter initialEntries={[`${basename}/${request.path}`]}>
        <Routes>
          <Route
            path={`${basename}/*`}
            element={
              <Root
                meta={meta}
                basename={basename}
                path={`${basename}/${request.path}`}
                query={{}}
                onNavChanged={() => undefined}
              />
            }
          />
        </Routes>
      </MemoryRouter>
    </ThemeContext.Provider>,
  );
}
