/**
 * Access to a Prometheus-compatible API: bearer token files (re-read when they change, because
 * projected service-account tokens rotate), basic auth, custom headers (e.g. `X-Scope-OrgID` for
 * Mimir, Cortex and Thanos tenants), and redaction so secrets never reach logs or errors.
 */
import { readFile, stat } from 'node:fs/promises';
import { PrescaleError, invalidInput } from '../core/errors.js';

export interface BasicAuthOptions {
  username: string;
  /** Read on every request when it changed (same rule as the bearer token file). */
  passwordFile?: string;
  password?: string;
}

export interface AccessOptions {
  /** Sent on every request; values are never logged. */
  headers?: Record<string, string>;
  bearerTokenFile?: string;
  basicAuth?: BasicAuthOptions;
}

/** What `stat` reports that tells a rewritten or re-linked file apart (kubelet swaps a symlink). */
interface FileStamp {
  mtimeMs: number;
  size: number;
  ino: number;
}

/**
 * A secret kept in a file. `get()` stats the file on each call (cheap) and re-reads it only
 * when its mtime, size or inode changed. Leading and trailing whitespace is dropped (files
 * written with `echo` end with a newline). The error names the file, never its content.
 */
export class FileSecret {
  private cached: { stamp: FileStamp; value: string } | undefined;

  constructor(
    readonly path: string,
    private readonly what: string,
  ) {}

  async get(): Promise<string> {
    let stamp: FileStamp;
    try {
      const st = await stat(this.path);
      stamp = { mtimeMs: st.mtimeMs, size: st.size, ino: st.ino };
    } catch (e) {
      throw this.readError(e);
    }
    const c = this.cached;
    if (c && c.stamp.mtimeMs === stamp.mtimeMs && c.stamp.size === stamp.size && c.stamp.ino === stamp.ino) return c.value;
    let value: string;
    try {
      value = (await readFile(this.path, 'utf8')).trim();
    } catch (e) {
      throw this.readError(e);
    }
    if (value === '') throw invalidInput(`${this.what} ${this.path}: file is empty`);
    this.cached = { stamp, value };
    return value;
  }

  private readError(e: unknown): PrescaleError {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return invalidInput(`${this.what} ${this.path}: no such file`);
    if (code === 'EACCES') return new PrescaleError('forbidden', `${this.what} ${this.path}: permission denied`);
    return invalidInput(`${this.what} ${this.path}: cannot read (${code ?? 'error'})`);
  }
}

/** `user:pass@` taken out of a URL, so the URL can be shown and the credentials sent as a header. */
export function splitUrlCredentials(url: string): { url: string; username?: string; password?: string } {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw invalidInput(`Prometheus URL ${JSON.stringify(redactUrl(url))} is not a valid URL (want e.g. http://prometheus:9090)`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') {
    throw invalidInput(`Prometheus URL ${JSON.stringify(redactUrl(url))} must start with http:// or https://`);
  }
  if (u.username === '' && u.password === '') return { url: u.toString() };
  const username = decodeURIComponent(u.username);
  const password = decodeURIComponent(u.password);
  u.username = '';
  u.password = '';
  return { url: u.toString(), username, password };
}

/** The URL with any `user:pass@` replaced by `***@`; text that is not a URL gets the same treatment. */
export function redactUrl(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/@\s]*@/i, '$1***@');
}

const SECRET_HEADER = /auth|token|key|secret|cookie|password|session/i;

export const basicAuthHeader = (username: string, password: string): string =>
  `Basic ${Buffer.from(`${username}:${password}`, 'utf8').toString('base64')}`;

/**
 * Builds the headers for each request from the access options, and redacts every secret it has
 * seen from texts (errors, log lines) as a second line of defence.
 */
export class Credentials {
  private readonly token: FileSecret | undefined;
  private readonly password: FileSecret | undefined;
  private readonly secrets = new Set<string>();

  constructor(private readonly opts: AccessOptions) {
    if (opts.bearerTokenFile !== undefined && opts.basicAuth !== undefined) {
      throw invalidInput('Prometheus access: give either bearerTokenFile or basicAuth, not both');
    }
    const b = opts.basicAuth;
    if (b && b.password !== undefined && b.passwordFile !== undefined) {
      throw invalidInput('Prometheus basicAuth: give either password or passwordFile, not both');
    }
    this.token = opts.bearerTokenFile === undefined ? undefined : new FileSecret(opts.bearerTokenFile, 'bearer token file');
    this.password = b?.passwordFile === undefined ? undefined : new FileSecret(b.passwordFile, 'basic auth password file');
    if (b?.password) this.secrets.add(b.password);
    // Values of headers that look like credentials (not e.g. a tenant id) are redacted too.
    for (const [k, v] of Object.entries(opts.headers ?? {})) if (SECRET_HEADER.test(k) && v !== '') this.secrets.add(v);
  }

  /** Custom headers first, then Authorization (so a custom header cannot silently replace it). */
  async headers(): Promise<Record<string, string>> {
    const out: Record<string, string> = { ...(this.opts.headers ?? {}) };
    if (this.token) {
      const t = await this.token.get();
      this.secrets.add(t);
      out.Authorization = `Bearer ${t}`;
    } else if (this.opts.basicAuth) {
      const pw = this.password ? await this.password.get() : (this.opts.basicAuth.password ?? '');
      if (pw) this.secrets.add(pw);
      const h = basicAuthHeader(this.opts.basicAuth.username, pw);
      this.secrets.add(h.slice('Basic '.length));
      out.Authorization = h;
    }
    return out;
  }

  /**
   * Replaces every known secret and any URL userinfo in `text` with `***`. Linear in the text
   * (it runs over whole error bodies): a scheme is at most 32 characters, so a long run of letters
   * is not scanned again from each of its positions.
   */
  redact(text: string): string {
    let out = text.replace(/([a-z][a-z0-9+.-]{0,31}:\/\/)[^/@\s]*@/gi, '$1***@');
    for (const s of this.secrets) out = out.split(s).join('***');
    return out;
  }
}
