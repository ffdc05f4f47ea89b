/**
 * The audit record: one Kubernetes API request, as the audit source decodes it from an audit.k8s.io/v1 `Event`,
 * with the flags people ask audit data about (who changed network policy or RBAC, who was denied, who exec'd
 * into a pod). Pure data and pure functions; decoding lives in `decode.ts`.
 */

/** The stages of one request; each may yield an event. */
export type AuditStage = 'RequestReceived' | 'ResponseStarted' | 'ResponseComplete' | 'Panic';

export const AUDIT_STAGES: readonly AuditStage[] = ['RequestReceived', 'ResponseStarted', 'ResponseComplete', 'Panic'];

/** `1xx` exists for the 101 Switching Protocols that exec, attach and port-forward answer at ResponseStarted. */
export type StatusClass = '1xx' | '2xx' | '3xx' | '4xx' | '5xx';

/**
 * Who made the request: `serviceaccount` (`system:serviceaccount:<ns>:<name>`), `system` (other `system:*`
 * users: nodes, controllers, the scheduler, `system:anonymous`), `user` (everyone else), `unauthenticated`
 * (authentication failed: the API server audits these with an empty user).
 */
export type UserKind = 'serviceaccount' | 'system' | 'user' | 'unauthenticated';

export interface AuditRecord {
  auditID: string;
  /** The stage this request was counted at (see decode.ts): ResponseComplete, Panic or ResponseStarted. */
  stage: AuditStage;
  /** `get`, `list`, `watch`, `create`, `update`, `patch`, `delete`, `deletecollection`, or an HTTP verb for non-resource URLs. */
  verb: string;
  /** Resource with its subresource: `pods`, `pods/exec`, `deployments/scale`; empty for non-resource URLs (`/healthz`). */
  resource: string;
  /** Empty for the core group. */
  apiGroup: string;
  /** Empty for cluster-scoped objects. */
  namespace: string;
  /** Empty for lists, collections and creates whose name the server generates. */
  name: string;
  requestURI: string;
  statusCode: number;
  statusClass: StatusClass;
  userName: string;
  userKind: UserKind;
  /** The user acted as through impersonation, or empty. The flags describe the request, whoever made it. */
  impersonatedUserName: string;
  userAgent: string;
  sourceIPs: string[];
  /** Unix seconds (millisecond precision), like the flow records' times. */
  requestReceivedTime: number;
  /** When the counted stage was reached, unix seconds. */
  stageTime: number;
  /**
   * A create/update/patch/delete(collection) of a network policy object: Kubernetes NetworkPolicy, (Baseline)AdminNetworkPolicy,
   * Calico (staged, global) network policies and tiers, Cilium policies. Status subresources are not policy changes.
   * Set whatever the outcome: combine with `statusClass` or `denied` for changes that happened.
   */
  policyChange: boolean;
  /** A create/update/patch/delete(collection) of roles, rolebindings, clusterroles or clusterrolebindings; any outcome. */
  rbacChange: boolean;
  /** The API server refused the request: 401 (authentication) or 403 (authorization, admission). */
  denied: boolean;
  /** exec, attach or port-forward into a pod (`pods/exec`, `pods/attach`, `pods/portforward`); any outcome. */
  podAccess: boolean;
}

/** The fields decoded from an event; the rest of the record is derived from them. */
export type AuditRequestFields = Omit<
  AuditRecord,
  'resource' | 'statusClass' | 'userKind' | 'policyChange' | 'rbacChange' | 'denied' | 'podAccess'
> & {
  /** The plural resource without its subresource. */
  baseResource: string;
  subresource: string;
};

const MUTATING_VERBS: ReadonlySet<string> = new Set(['create', 'update', 'patch', 'delete', 'deletecollection']);

/** Network policy resources by API group; Calico's API server and its CRDs serve the same kinds in two groups. */
const CALICO_POLICY_RESOURCES = [
  'networkpolicies',
  'globalnetworkpolicies',
  'stagednetworkpolicies',
  'stagedglobalnetworkpolicies',
  'stagedkubernetesnetworkpolicies',
  'tiers',
];
const POLICY_RESOURCES: ReadonlyMap<string, ReadonlySet<string>> = new Map([
  ['networking.k8s.io', new Set(['networkpolicies'])],
  ['policy.networking.k8s.io', new Set(['adminnetworkpolicies', 'baselineadminnetworkpolicies'])],
  ['projectcalico.org', new Set(CALICO_POLICY_RESOURCES)],
  ['crd.projectcalico.org', new Set(CALICO_POLICY_RESOURCES)],
  ['cilium.io', new Set(['ciliumnetworkpolicies', 'ciliumclusterwidenetworkpolicies'])],
]);

const RBAC_GROUP = 'rbac.authorization.k8s.io';
const RBAC_RESOURCES: ReadonlySet<string> = new Set(['roles', 'rolebindings', 'clusterroles', 'clusterrolebindings']);

const POD_ACCESS_SUBRESOURCES: ReadonlySet<string> = new Set(['exec', 'attach', 'portforward']);

export function classifyUser(userName: string): UserKind {
  if (userName === '') return 'unauthenticated';
  if (userName.startsWith('system:serviceaccount:')) return 'serviceaccount';
  if (userName.startsWith('system:')) return 'system';
  return 'user';
}

/** The class of an HTTP status code in 100..599. */
export function statusClassOf(code: number): StatusClass {
  const classes: readonly StatusClass[] = ['1xx', '2xx', '3xx', '4xx', '5xx'];
  const statusClass = classes[Math.floor(code / 100) - 1];
  if (statusClass === undefined) throw new RangeError(`status code ${code} is outside 100..599`);
  return statusClass;
}

export function isPolicyChange(verb: string, apiGroup: string, baseResource: string, subresource: string): boolean {
  return subresource === '' && MUTATING_VERBS.has(verb) && (POLICY_RESOURCES.get(apiGroup)?.has(baseResource) ?? false);
}

export function isRbacChange(verb: string, apiGroup: string, baseResource: string, subresource: string): boolean {
  return subresource === '' && MUTATING_VERBS.has(verb) && apiGroup === RBAC_GROUP && RBAC_RESOURCES.has(baseResource);
}

export function isPodAccess(apiGroup: string, baseResource: string, subresource: string): boolean {
  return apiGroup === '' && baseResource === 'pods' && POD_ACCESS_SUBRESOURCES.has(subresource);
}

export function isDenied(statusCode: number): boolean {
  return statusCode === 401 || statusCode === 403;
}

/** Builds the record from decoded fields, deriving the classes and flags. */
export function buildAuditRecord(fields: AuditRequestFields): AuditRecord {
  const { baseResource, subresource, ...rest } = fields;
  return {
    ...rest,
    resource: subresource === '' ? baseResource : `${baseResource}/${subresource}`,
    statusClass: statusClassOf(fields.statusCode),
    userKind: classifyUser(fields.userName),
    policyChange: isPolicyChange(fields.verb, fields.apiGroup, baseResource, subresource),
    rbacChange: isRbacChange(fields.verb, fields.apiGroup, baseResource, subresource),
    denied: isDenied(fields.statusCode),
    podAccess: isPodAccess(fields.apiGroup, baseResource, subresource),
  };
}
