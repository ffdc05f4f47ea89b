/** Least-privilege policy recommendations from observed flows (`flowlens policy recommend`, `/api/v1/recommendations`). */
export * from './model';
export * from './recommend';
export * from './observed';
export * from './cluster';
export * from './render';
export * from './pairs';
export * from './line-diff';
export * from './diff';
export * from './render-diff';
export * from './prometheus-observed';
export * from './prometheus-client';
