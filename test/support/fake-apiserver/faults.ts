/**
 * What a test can do to requests: RBAC denials (403 with the authorizer's message), injected
 * failures (500, 429, 409, ...) and delays for the next matching requests.
 */
import { errors, type ApiError } from './status.js';

/** Verbs as RBAC names them. */
export type Verb = 'get' | 'list' | 'watch' | 'create' | 'update' | 'patch' | 'delete';

/** What a request is, for matching rules. */
export interface RequestAttributes {
  verb: Verb;
  group: string;
  /** Plural, e.g. `horizontalpodautoscalers`. */
  resource: string;
  subresource?: string;
  namespace?: string;
  name?: string;
}

/** Which requests a fault applies to; every field left out matches anything. */
export interface RequestMatch {
  verb?: Verb;
  /** `horizontalpodautoscalers`, or `predictivescalers/status` for a subresource only. */
  resource?: string;
  namespace?: string;
  name?: string;
}

export interface DenyRule {
  verb: Verb | '*';
  /** API group ('' for core); left out, any group. */
  group?: string;
  /** `horizontalpodautoscalers` or `deployments/scale`. */
  resource: string;
  /** Left out, every namespace. */
  namespace?: string;
}

export interface FailRule extends RequestMatch {
  /** HTTP status to answer, with the Status the real server sends for it (500 InternalError, 429 TooManyRequests, 409 Conflict, ...). */
  status: number;
  /** How many matching requests fail (default 1). */
  count?: number;
  /** Retry-After header (and details.retryAfterSeconds for 429). */
  retryAfterSeconds?: number;
}

export interface DelayRule extends RequestMatch {
  ms: number;
  /** How many matching requests are delayed (default 1). */
  count?: number;
}

const resourcePath = (a: RequestAttributes): string => (a.subresource ? `${a.resource}/${a.subresource}` : a.resource);

function matches(m: RequestMatch, a: RequestAttributes): boolean {
  return (
    (m.verb === undefined || m.verb === a.verb) &&
    (m.resource === undefined || m.resource === resourcePath(a)) &&
    (m.namespace === undefined || m.namespace === a.namespace) &&
    (m.name === undefined || m.name === a.name)
  );
}

const sameRule = (x: DenyRule, y: DenyRule): boolean => x.verb === y.verb && x.group === y.group && x.resource === y.resource && x.namespace === y.namespace;

export class Faults {
  private denied: DenyRule[] = [];
  private failures: (FailRule & { left: number })[] = [];
  private delays: (DelayRule & { left: number })[] = [];

  constructor(private readonly user: string) {}

  deny(rule: DenyRule): void {
    if (!this.denied.some((r) => sameRule(r, rule))) this.denied.push({ ...rule });
  }

  /** Lifts a denial made with the same rule. */
  allow(rule: DenyRule): void {
    this.denied = this.denied.filter((r) => !sameRule(r, rule));
  }

  failNext(rule: FailRule): void {
    this.failures.push({ ...rule, left: rule.count ?? 1 });
  }

  delayNext(rule: DelayRule): void {
    this.delays.push({ ...rule, left: rule.count ?? 1 });
  }

  /** The delay (ms) for this request, using up one count of the first matching rule. */
  takeDelay(a: RequestAttributes): number {
    const rule = this.delays.find((r) => r.left > 0 && matches(r, a));
    if (!rule) return 0;
    rule.left -= 1;
    return rule.ms;
  }

  /** The failure for this request, using up one count of the first matching rule. */
  takeFailure(a: RequestAttributes): FailRule | undefined {
    const rule = this.failures.find((r) => r.left > 0 && matches(r, a));
    if (!rule) return undefined;
    rule.left -= 1;
    return rule;
  }

  /** A 403 like RBAC's when a denial covers this request. */
  authorize(a: RequestAttributes): ApiError | undefined {
    const hit = this.denied.find(
      (r) => (r.verb === '*' || r.verb === a.verb) && (r.group === undefined || r.group === a.group) && r.resource === resourcePath(a) && (r.namespace === undefined || r.namespace === a.namespace),
    );
    if (!hit) return undefined;
    const scope = a.namespace ? `in the namespace "${a.namespace}"` : 'at the cluster scope';
    const why = `User "${this.user}" cannot ${a.verb} resource "${resourcePath(a)}" in API group "${a.group}" ${scope}`;
    return errors.forbidden({ group: a.group, resource: a.resource }, a.name ?? '', why);
  }
}
