/**
 * A small HTTP proxy (node:http) between a client and a real server that records every request
 * and can inject faults: an error status (500, 429 with Retry-After...), a hang past the client's
 * timeout, a slow answer (forwarded after a delay), a connection reset, or a JSON body cut short
 * (sent as a clean, complete HTTP response, the hardest case for a client: nothing but the body
 * tells it something is wrong).
 */
import { createServer, request as httpRequest, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

export type Fault =
  | { kind: 'status'; status: number; body?: string; retryAfter?: string }
  | { kind: 'hang' }
  /** Forward after `ms` (a slow server: the answer comes, late). */
  | { kind: 'delay'; ms: number }
  | { kind: 'reset' }
  /** Forward, then send only `fraction` (default 0.5) of the upstream body. */
  | { kind: 'truncate'; fraction?: number };

export interface RecordedRequest {
  method: string;
  path: string;
  /** Query-string and form-body parameters together. */
  params: URLSearchParams;
  headers: IncomingHttpHeaders;
  /** The fault injected into this request, if any. */
  fault?: Fault['kind'];
}

export interface FaultProxy {
  url: string;
  readonly requests: RecordedRequest[];
  /** Faults for the next requests, in order; when the queue is empty requests pass through. */
  inject(...faults: Fault[]): void;
  /** Chooses a fault per request (used when the queue is empty); undefined passes through. */
  setRule(rule?: (req: RecordedRequest, index: number) => Fault | undefined): void;
  /** Forgets recorded requests, queued faults and the rule. */
  reset(): void;
  /** Forwards from now on to `targetUrl` (a server restarted on another port). */
  retarget(targetUrl: string): void;
  close(): Promise<void>;
}

export async function startFaultProxy(targetUrl: string): Promise<FaultProxy> {
  let target = new URL(targetUrl);
  const requests: RecordedRequest[] = [];
  let queue: Fault[] = [];
  let rule: ((req: RecordedRequest, index: number) => Fault | undefined) | undefined;
  const sockets = new Set<Socket>();

  const forward = (rec: RecordedRequest, body: Buffer, res: ServerResponse, truncate?: number): void => {
    const headers = { ...rec.headers, host: target.host };
    // Truncate plain text, not gzip (a cut gzip stream fails differently and more obviously).
    if (truncate !== undefined) headers['accept-encoding'] = 'identity';
    const up = httpRequest({ host: target.hostname, port: target.port, method: rec.method, path: rec.path, headers }, (ur) => {
      if (truncate === undefined) {
        res.writeHead(ur.statusCode ?? 502, ur.headers);
        ur.pipe(res);
        return;
      }
      const parts: Buffer[] = [];
      ur.on('data', (d: Buffer) => parts.push(d));
      ur.on('end', () => {
        const full = Buffer.concat(parts);
        const h = { ...ur.headers };
        delete h['content-length'];
        res.writeHead(ur.statusCode ?? 502, h);
        res.end(full.subarray(0, Math.floor(full.length * truncate)));
      });
    });
    up.on('error', (e) => {
      res.writeHead(502, { 'content-type': 'text/plain' });
      res.end(`fault-proxy: upstream error ${e.message}`);
    });
    up.end(body);
  };

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (d: Buffer) => chunks.push(d));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const url = new URL(req.url ?? '/', 'http://proxy');
      const params = new URLSearchParams(url.search);
      if (String(req.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded')) {
        for (const [k, v] of new URLSearchParams(body.toString('utf8'))) params.append(k, v);
      }
      const rec: RecordedRequest = { method: req.method ?? 'GET', path: req.url ?? '/', params, headers: req.headers };
      const index = requests.length;
      requests.push(rec);
      const fault = queue.shift() ?? rule?.(rec, index);
      rec.fault = fault?.kind;
      if (!fault) return forward(rec, body, res);
      switch (fault.kind) {
        case 'status': {
          const h: Record<string, string> = { 'content-type': 'application/json' };
          if (fault.retryAfter !== undefined) h['retry-after'] = fault.retryAfter;
          res.writeHead(fault.status, h);
          res.end(fault.body ?? JSON.stringify({ status: 'error', errorType: 'internal', error: `injected ${fault.status}` }));
          return;
        }
        case 'hang':
          return; // never answer; close() destroys the socket
        case 'delay': {
          const timer = setTimeout(() => forward(rec, body, res), fault.ms);
          res.on('close', () => clearTimeout(timer)); // the client gave up: nothing to forward
          return;
        }
        case 'reset':
          req.socket.resetAndDestroy();
          return;
        case 'truncate':
          return forward(rec, body, res, fault.fraction ?? 0.5);
      }
    });
  });
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const addr = server.address();
  if (typeof addr !== 'object' || addr === null) throw new Error('fault-proxy: no address');

  return {
    url: `http://127.0.0.1:${addr.port}`,
    requests,
    inject: (...faults) => void queue.push(...faults),
    setRule: (r) => void (rule = r),
    reset: () => {
      requests.length = 0;
      queue = [];
      rule = undefined;
    },
    retarget: (u) => void (target = new URL(u)),
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
