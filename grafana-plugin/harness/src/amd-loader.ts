// A minimal AMD loader for the plugin's built modules, standing in for Grafana's (SystemJS with its AMD extra): a
// plugin's module.js calls the global `define([dependencies], factory)`; Grafana hands it the shared libraries it
// declared as externals and an AMD `module` whose `uri` tells webpack where the module's lazy chunks are.

type Factory = (...dependencies: unknown[]) => unknown;

interface Pending {
  uri: string;
  resolve: (exported: unknown) => void;
  reject: (error: Error) => void;
}

export interface AmdLoader {
  /** Loads `uri` with a script tag and resolves to what its `define` factory returned. */
  load(uri: string): Promise<unknown>;
}

/**
 * Installs `window.define`. `provided` maps each module name a plugin may depend on (webpack.config.mjs's
 * externals) to the module Grafana would give it. Modules load one at a time, so an anonymous `define` belongs to the
 * script being loaded.
 */
export function installAmdLoader(provided: Record<string, unknown>): AmdLoader {
  let pending: Pending | undefined;
  let queue: Promise<unknown> = Promise.resolve();

  function define(...args: unknown[]): void {
    const factory = args.find((arg): arg is Factory => typeof arg === 'function');
    const dependencies = args.find((arg): arg is string[] => Array.isArray(arg)) ?? [];
    const current = pending;
    if (current === undefined) throw new Error('define() called outside of a module load');
    if (factory === undefined) {
      current.reject(new Error(`${current.uri}: define() without a factory`));
      return;
    }
    const missing = dependencies.filter((name) => name !== 'module' && !Object.hasOwn(provided, name));
    if (missing.length > 0) {
      current.reject(new Error(`${current.uri} depends on ${missing.join(', ')}, which Grafana does not provide`));
      return;
    }
    const resolved = dependencies.map((name) =>
      name === 'module' ? { id: current.uri, uri: current.uri } : provided[name],
    );
    current.resolve(factory(...resolved));
  }
  (define as { amd?: object }).amd = {};
  (window as unknown as { define: typeof define }).define = define;

  function loadOne(uri: string): Promise<unknown> {
    return new Promise<unknown>((resolve, reject) => {
      const script = document.createElement('script');
      const done = () => {
        pending = undefined;
        script.remove();
      };
      pending = {
        uri,
        resolve: (exported) => {
          done();
          resolve(exported);
        },
        reject: (error) => {
          done();
          reject(error);
        },
      };
      script.src = uri;
      script.async = false;
      script.onerror = () => pending?.reject(new Error(`cannot load ${uri}`));
      // A script that loaded but never called define() is not a plugin module.
      script.onload = () => pending?.reject(new Error(`${uri} did not call define()`));
      document.head.appendChild(script);
    });
  }

  return {
    load(uri: string): Promise<unknown> {
      const result = queue.then(() => loadOne(uri));
      queue = result.catch(() => undefined);
      return result;
    },
  };
}
