/**
 * The capture file API's questions to the API server: TokenReview (who is this bearer token?) and
 * SubjectAccessReview (may they get packetcaptures/files here?). Answers are cached briefly (10 s, at most 1,024
 * entries each), so a download of many files costs two reviews, and a revoked token or role stops working within
 * seconds. A failed review (the API server away) denies.
 */
import type { Logger } from '../log';
import type { AuthenticatedUser, CaptureFileAccess } from './file-api';
import { FILES_SUBRESOURCE } from './file-api';
import type { KubeRequester } from './kube-client';

const CACHE_MS = 10_000;
const CACHE_ENTRIES = 1024;

class ShortCache<V> {
  private readonly entries = new Map<string, { value: V; until: number }>();

  get(key: string, now: number): V | undefined {
    const entry = this.entries.get(key);
    if (entry === undefined || entry.until < now) return undefined;
    return entry.value;
  }

  set(key: string, value: V, now: number): void {
    if (this.entries.size >= CACHE_ENTRIES) this.entries.clear();
    this.entries.set(key, { value, until: now + CACHE_MS });
  }
}

function asStrings(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((entry): entry is string => typeof entry === 'string') : [];
}

export class KubernetesReviews implements CaptureFileAccess {
  private readonly users = new ShortCache<AuthenticatedUser | null>();
  private readonly decisions = new ShortCache<boolean>();

  constructor(
    private readonly requester: KubeRequester,
    private readonly logger: Logger,
    private readonly clock: () => number = Date.now,
  ) {}

  async authenticate(token: string): Promise<AuthenticatedUser | undefined> {
    const now = this.clock();
    const cached = this.users.get(token, now);
    if (cached !== undefined) return cached ?? undefined;
    let user: AuthenticatedUser | null = null;
    try {
      const body = await this.requester.expectOk('POST', '/apis/authentication.k8s.io/v1/tokenreviews', {
        apiVersion: 'authentication.k8s.io/v1',
        kind: 'TokenReview',
        spec: { token },
      });
      const status = (body as { status?: Record<string, unknown> } | undefined)?.status;
      const reviewed = status?.['user'] as Record<string, unknown> | undefined;
      if (status?.['authenticated'] === true && typeof reviewed?.['username'] === 'string') {
        const extra: Record<string, string[]> = {};
        if (typeof reviewed['extra'] === 'object' && reviewed['extra'] !== null) {
          for (const [key, value] of Object.entries(reviewed['extra'])) extra[key] = asStrings(value);
        }
        user = {
          username: reviewed['username'],
          groups: asStrings(reviewed['groups']),
          ...(typeof reviewed['uid'] === 'string' ? { uid: reviewed['uid'] } : {}),
          extra,
        };
      }
    } catch (error) {
      this.logger.log('warn', 'TokenReview failed; request denied', { error: String(error) });
      return undefined;
    }
    this.users.set(token, user, now);
    return user ?? undefined;
  }

  async authorize(user: AuthenticatedUser, namespace: string, name: string): Promise<boolean> {
    const now = this.clock();
    const key = JSON.stringify([user.username, user.uid, user.groups, namespace, name]);
    const cached = this.decisions.get(key, now);
    if (cached !== undefined) return cached;
    let allowed = false;
    try {
      const body = await this.requester.expectOk('POST', '/apis/authorization.k8s.io/v1/subjectaccessreviews', {
        apiVersion: 'authorization.k8s.io/v1',
        kind: 'SubjectAccessReview',
        spec: {
          user: user.username,
          groups: user.groups,
          ...(user.uid === undefined ? {} : { uid: user.uid }),
          ...(user.extra === undefined ? {} : { extra: user.extra }),
          resourceAttributes: { namespace, verb: 'get', name, ...FILES_SUBRESOURCE },
        },
      });
      allowed = (body as { status?: { allowed?: unknown } } | undefined)?.status?.allowed === true;
    } catch (error) {
      this.logger.log('warn', 'SubjectAccessReview failed; request denied', { error: String(error) });
      return false;
    }
    this.decisions.set(key, allowed, now);
    return allowed;
  }
}
