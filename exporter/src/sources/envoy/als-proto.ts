/**
 * Loads accesslog.proto with @grpc/proto-loader, for the Access Log Service server and its test client. tsc does
 * not copy .proto files into dist/, so the file is read from the source tree: dist/src/sources/envoy/ is four levels
 * below the exporter package, and src/sources/envoy/ holds the file. The source tree is always present where the
 * compiled code runs (the package is not published; a clone builds it in place), so nothing has to be copied.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { loadSync, type MethodDefinition, type Options, type ServiceDefinition } from '@grpc/proto-loader';

export const ALS_PROTO_PATH = resolve(__dirname, '..', '..', '..', '..', 'src', 'sources', 'envoy', 'accesslog.proto');

export const ALS_SERVICE_NAME = 'envoy.service.accesslog.v3.AccessLogService';
export const ALS_METHOD_PATH = `/${ALS_SERVICE_NAME}/StreamAccessLogs`;

/** The decoding the mapping in als.ts expects (see its header). */
export const ALS_LOADER_OPTIONS: Readonly<Options> = Object.freeze({
  keepCase: false,
  longs: String,
  enums: String,
  defaults: false,
  oneofs: true,
});

export interface AlsServiceDefinition extends ServiceDefinition {
  StreamAccessLogs: MethodDefinition<object, object>;
}

let loaded: AlsServiceDefinition | undefined;

/** The AccessLogService definition (loaded once); throws naming the file when it is missing or broken. */
export function alsServiceDefinition(): AlsServiceDefinition {
  if (loaded !== undefined) return loaded;
  if (!existsSync(ALS_PROTO_PATH)) {
    throw new Error(`envoy-als: ${ALS_PROTO_PATH} is missing; it is read from the exporter's source tree at run time`);
  }
  const service = loadSync(ALS_PROTO_PATH, { ...ALS_LOADER_OPTIONS })[ALS_SERVICE_NAME];
  const method = service !== undefined && 'StreamAccessLogs' in service ? service['StreamAccessLogs'] : undefined;
  if (method === undefined || !('path' in method) || method.path !== ALS_METHOD_PATH || !method.requestStream) {
    throw new Error(`envoy-als: ${ALS_PROTO_PATH} does not define the client-streaming ${ALS_METHOD_PATH}`);
  }
  loaded = { StreamAccessLogs: method as MethodDefinition<object, object> };
  return loaded;
}
