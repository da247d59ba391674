/**
 * Which Prometheus endpoints a scaler may name (`--allowed-prometheus`): a scaler must not be able
 * to make the operator send requests, and with them credentials, anywhere it likes. URLs are
 * compared as URLs, not strings: scheme, host and port equal, the allowed path a prefix of the
 * requested one at a `/` boundary; userinfo, query and fragment play no part. Pure.
 */

export interface AllowedPrefix {
  readonly protocol: string;
  readonly host: string;
  /** Normalised port (the scheme's default filled in). */
  readonly port: string;
  /** Path without a trailing slash ('' for the root). */
  readonly path: string;
}

const DEFAULT_PORTS: Readonly<Record<string, string>> = { 'http:': '80', 'https:': '443' };

/** The prefix of an http(s) URL, or undefined when it is not one. */
export function allowedPrefix(url: string): AllowedPrefix | undefined {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return undefined;
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') return undefined;
  return { protocol: u.protocol, host: u.hostname.toLowerCase(), port: u.port || DEFAULT_PORTS[u.protocol]!, path: u.pathname.replace(/\/+$/, '') };
}

/** True when `url` lies under one of `allowed`. */
export function isAllowed(url: string, allowed: readonly AllowedPrefix[]): boolean {
  const p = allowedPrefix(url);
  if (!p) return false;
  return allowed.some((a) => a.protocol === p.protocol && a.host === p.host && a.port === p.port && (a.path === '' || p.path === a.path || p.path.startsWith(`${a.path}/`)));
}

/** A URL for messages: scheme, host, port and path only (never userinfo or query). */
export function safeUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname === '/' ? '' : u.pathname}`;
  } catch {
    return '(not a URL)';
  }
}
