import { EventEmitter, once } from 'node:events';
import { setTimeout } from 'node:timers/promises';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { isUpload } from './timeouts.ts';

declare module 'fastify' {
  interface FastifyInstance {
    /** Requests in flight, and the stop that lets them finish (./drain.ts). */
    drain: Drain;
  }
}

export interface InFlight {
  requests: number;
  /** Of which multipart bodies (uploads, on either face). */
  uploads: number;
}

export interface Drain {
  /** True once a stop has begun: /readyz answers 503 and every answer closes its connection. */
  readonly stopping: boolean;
  inFlight(): InFlight;
  /**
   * Stops serving: no new connection is accepted, idle ones are closed at once, and each request
   * in flight is answered with `Connection: close`. Waits up to `graceMs` (or until `stopNow`)
   * for those requests; any still running then are cut, as if their clients had left, and their
   * handlers get a moment to clean up (an upload cut mid-body removes its partial file).
   * Resolves with what was cut (nothing when every request finished).
   */
  stop(graceMs: number): Promise<InFlight>;
  /** Runs `listener` when a stop begins: long-lived answers (subscriptions, WebSockets) end then rather than wait for the grace. */
  onStop(listener: () => Promise<void> | void): void;
  /** Ends the grace of a stop under way: what is still in flight is cut at once. */
  stopNow(): void;
}

/** How long cut requests get to clean up before the stop returns (the process then exits). */
const cleanupWaitMs = 5_000;

interface Tracked {
  upload: boolean;
  /** The handler has answered: whatever it had to clean up is cleaned up. */
  answered: boolean;
  /** The answer is complete, or its connection is gone. */
  closed: boolean;
}

/** Whether `promise` settled within `ms` (and before `signal`, if any, aborted). */
async function within(ms: number, promise: Promise<unknown>, signal?: AbortSignal): Promise<boolean> {
  const timer = new AbortController();
  const stop = signal ? AbortSignal.any([signal, timer.signal]) : timer.signal;
  try {
    return await Promise.race([promise.then(() => true), setTimeout(ms, false, { signal: stop }).catch(() => false)]);
  } finally {
    timer.abort();
  }
}

/**
 * Counts the requests in flight, from their arrival until both their answer is complete (or
 * their connection gone) and their handler has answered: a handler whose client left runs on
 * until it has removed what it half wrote, and a stop waits for that too. Add it before any
 * route, so that it sees every request.
 */
export function addDrain(app: FastifyInstance) {
  const requests = new Map<FastifyRequest, Tracked>();
  const events = new EventEmitter();
  let stopping = false;

  const settle = (req: FastifyRequest, tracked: Tracked) => {
    if (!tracked.answered || !tracked.closed || !requests.delete(req)) return;
    if (requests.size === 0) events.emit('idle');
  };
  const stopListeners: (() => Promise<void> | void)[] = [];
  app.addHook('onRequest', (req, reply, done) => {
    // A WebSocket's upgrade has no answer to wait for: its connections are closed by onStop's listeners.
    if (req.headers.upgrade) return done();
    const tracked: Tracked = { upload: isUpload(req), answered: false, closed: false };
    requests.set(req, tracked);
    const closed = () => {
      tracked.closed = true;
      settle(req, tracked);
    };
    // 'finish': the answer is out ('close' may not follow: app.inject's answers); 'close': the connection went first.
    reply.raw.once('finish', closed);
    reply.raw.once('close', closed);
    done();
  });
  app.addHook('onSend', (req, reply, payload, done) => {
    if (stopping) reply.header('connection', 'close');
    const tracked = requests.get(req);
    if (tracked) {
      tracked.answered = true;
      settle(req, tracked);
    }
    done(null, payload);
  });

  const inFlight = (): InFlight => {
    let uploads = 0;
    for (const tracked of requests.values()) if (tracked.upload) uploads++;
    return { requests: requests.size, uploads };
  };
  const idle = async () => {
    if (requests.size) await once(events, 'idle');
  };
  const stopNow = new AbortController();

  app.decorate('drain', {
    get stopping() {
      return stopping;
    },
    inFlight,
    async stop(graceMs: number) {
      stopping = true;
      await Promise.allSettled(stopListeners.map((listener) => listener()));
      // Node's close also closes the connections that carry no request (keep-alive between requests).
      app.server.close(() => {});
      const finished = await within(graceMs, idle(), stopNow.signal);
      const cut = finished ? { requests: 0, uploads: 0 } : inFlight();
      // What is left carries no request (half-sent headers, a refusal's linger), or is cut.
      app.server.closeAllConnections();
      if (!finished) await within(cleanupWaitMs, idle());
      return cut;
    },
    stopNow: () => stopNow.abort(),
    onStop: (listener) => void stopListeners.push(listener),
  } satisfies Drain);
}
