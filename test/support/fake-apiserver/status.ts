/**
 * Kubernetes `Status` errors as the real API server writes them (k8s.io/apimachinery
 * pkg/api/errors): the same reasons, codes, messages and `details`, so a client's error handling
 * is exercised by the bodies it will meet in a cluster.
 */

export interface StatusCause {
  reason?: string;
  message?: string;
  field?: string;
}

export interface StatusDetails {
  name?: string;
  group?: string;
  /** The resource (plural) for most errors; the kind for Invalid, as the real server does. */
  kind?: string;
  uid?: string;
  causes?: StatusCause[];
  retryAfterSeconds?: number;
}

export interface Status {
  kind: 'Status';
  apiVersion: 'v1';
  metadata: Record<string, never>;
  status: 'Failure' | 'Success';
  message?: string;
  reason?: string;
  details?: StatusDetails;
  code: number;
}

/** A group and a resource (plural), e.g. `{ group: 'autoscaling', resource: 'horizontalpodautoscalers' }`. */
export interface GroupResource {
  group: string;
  resource: string;
}

/** One field problem of an `Invalid` error (k8s.io/apimachinery/pkg/util/validation/field). */
export interface FieldError {
  /** `FieldValueInvalid`, `FieldValueRequired`, `FieldValueNotSupported`, `FieldValueForbidden`, ... */
  reason: string;
  field: string;
  /** The text after `field: `, e.g. `Required value`. */
  message: string;
}

/** Thrown by the store and turned into the HTTP response `status.code` with the Status body. */
export class ApiError extends Error {
  constructor(
    readonly status: Status,
    /** Extra response headers, e.g. Retry-After. */
    readonly headers: Record<string, string> = {},
  ) {
    super(status.message ?? status.reason ?? `HTTP ${status.code}`);
    this.name = 'ApiError';
  }

  get code(): number {
    return this.status.code;
  }

  get reason(): string | undefined {
    return this.status.reason;
  }
}

function failure(code: number, reason: string, message: string, details?: StatusDetails): Status {
  const s: Status = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code };
  if (details) s.details = details;
  return s;
}

/** `horizontalpodautoscalers.autoscaling`, or `pods` for the core group. */
export function qualified(group: string, resourceOrKind: string): string {
  return group ? `${resourceOrKind}.${group}` : resourceOrKind;
}

export const OPTIMISTIC_LOCK_MESSAGE = 'the object has been modified; please apply your changes to the latest version and try again';

export const errors = {
  notFound(gr: GroupResource, name: string): ApiError {
    return new ApiError(failure(404, 'NotFound', `${qualified(gr.group, gr.resource)} "${name}" not found`, { name, group: gr.group, kind: gr.resource }));
  },
  /** 404 for a path the server does not serve at all. */
  noSuchResource(): ApiError {
    return new ApiError(failure(404, 'NotFound', 'the server could not find the requested resource', {}));
  },
  alreadyExists(gr: GroupResource, name: string): ApiError {
    return new ApiError(failure(409, 'AlreadyExists', `${qualified(gr.group, gr.resource)} "${name}" already exists`, { name, group: gr.group, kind: gr.resource }));
  },
  conflict(gr: GroupResource, name: string, why: string = OPTIMISTIC_LOCK_MESSAGE): ApiError {
    return new ApiError(failure(409, 'Conflict', `Operation cannot be fulfilled on ${qualified(gr.group, gr.resource)} "${name}": ${why}`, { name, group: gr.group, kind: gr.resource }));
  },
  /** `Kind.group "name" is invalid: field: message` (several problems are listed in brackets). */
  invalid(group: string, kind: string, name: string, problems: FieldError[]): ApiError {
    const texts = problems.map((p) => `${p.field}: ${p.message}`);
    const list = texts.length === 1 ? texts[0] : `[${texts.join(', ')}]`;
    const causes = problems.map((p) => ({ reason: p.reason, message: p.message, field: p.field }));
    return new ApiError(failure(422, 'Invalid', `${qualified(group, kind)} "${name}" is invalid: ${list}`, { name, group, kind, causes }));
  },
  /** A JSON patch that cannot be applied (NewGenericServerResponse 422 in the patch handler). */
  patchRejected(why: string): ApiError {
    return new ApiError(
      failure(422, 'Invalid', 'the server rejected our request due to an error in our request', { causes: [{ reason: 'UnexpectedServerResponse', message: why }] }),
    );
  },
  forbidden(gr: GroupResource, name: string, why: string): ApiError {
    const subject = name ? `${qualified(gr.group, gr.resource)} "${name}"` : qualified(gr.group, gr.resource);
    return new ApiError(failure(403, 'Forbidden', `${subject} is forbidden: ${why}`, { name: name || undefined, group: gr.group, kind: gr.resource }));
  },
  badRequest(message: string): ApiError {
    return new ApiError(failure(400, 'BadRequest', message));
  },
  methodNotAllowed(): ApiError {
    return new ApiError(failure(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource', {}));
  },
  unsupportedMediaType(accepted: string[]): ApiError {
    return new ApiError(failure(415, 'UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: ${accepted.join(', ')}`));
  },
  /** 410 for a watch (as an ERROR event) or a continue token older than the retained history. */
  expired(message: string): ApiError {
    return new ApiError(failure(410, 'Expired', message));
  },
  gone(message: string): ApiError {
    return new ApiError(failure(410, 'Gone', message));
  },
  internal(why: string): ApiError {
    return new ApiError(failure(500, 'InternalError', `Internal error occurred: ${why}`, { causes: [{ message: why }] }));
  },
  tooManyRequests(retryAfterSeconds: number): ApiError {
    return new ApiError(failure(429, 'TooManyRequests', 'Too many requests, please try again later.', { retryAfterSeconds }), {
      'Retry-After': String(retryAfterSeconds),
    });
  },
  unauthorized(): ApiError {
    return new ApiError(failure(401, 'Unauthorized', 'Unauthorized'));
  },
  serviceUnavailable(retryAfterSeconds?: number): ApiError {
    const headers: Record<string, string> = retryAfterSeconds === undefined ? {} : { 'Retry-After': String(retryAfterSeconds) };
    return new ApiError(failure(503, 'ServiceUnavailable', 'the server is currently unable to handle the request', retryAfterSeconds === undefined ? undefined : { retryAfterSeconds }), headers);
  },
  timeout(message: string): ApiError {
    return new ApiError(failure(504, 'Timeout', message, {}));
  },
};

/** A Status for an arbitrary injected code (failNext): the reason the real server uses for that code. */
export function statusForCode(code: number, gr: GroupResource, name: string, retryAfterSeconds?: number): ApiError {
  switch (code) {
    case 400:
      return errors.badRequest('injected bad request');
    case 401:
      return errors.unauthorized();
    case 403:
      return errors.forbidden(gr, name, 'injected');
    case 404:
      return errors.notFound(gr, name);
    case 409:
      return errors.conflict(gr, name);
    case 410:
      return errors.gone('injected: the resource version is gone');
    case 422:
      return errors.invalid(gr.group, gr.resource, name, [{ reason: 'FieldValueInvalid', field: 'metadata', message: 'Invalid value: "injected": injected' }]);
    case 429:
      return errors.tooManyRequests(retryAfterSeconds ?? 1);
    case 500:
      return errors.internal('injected failure');
    case 503:
      return errors.serviceUnavailable(retryAfterSeconds);
    case 504:
      return errors.timeout('the server was unable to return a response in the time allotted, but may still be processing the request');
    default: {
      const e = errors.internal(`injected status ${code}`);
      e.status.code = code;
      e.status.reason = 'Unknown';
      return e;
    }
  }
}
