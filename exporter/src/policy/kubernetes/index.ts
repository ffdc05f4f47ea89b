/** The Kubernetes policy engine: NetworkPolicy, AdminNetworkPolicy and BaselineAdminNetworkPolicy evaluation. */
export * from './model';
export * from './evaluate';
export { PolicyParseError } from './fields';
export { type LabelSelector, selectorMatches } from './label-selector';
export { type Cidr, type IpAddress, cidrContains, parseCidr, parseIp } from './cidr';
