import { type Client, createClient } from 'graphql-ws';
import WebSocket from 'ws';

/** Clients of the live event subscriptions, over a real listening server: SSE (fetch) and WebSocket (graphql-ws). */

export interface LiveEvent {
  /** SSE's `id:` line (SSE only). */
  sseId?: string;
  // biome-ignore lint/suspicious/noExplicitAny: a subscription's data, as each test selects it
  data?: Record<string, any> | null;
  errors?: { message: string; extensions?: Record<string, unknown> }[];
}

/**
 * A queue of what a subscription received; `next()` waits for the next one, null once the stream
 * ended, or rejects with what broke it (a cut connection, a message that does not parse).
 */
export class Received {
  private readonly items: LiveEvent[] = [];
  private waiting: ((item: LiveEvent | null) => void) | null = null;
  ended = false;
  /** The server ended the subscription (SSE's `complete` event, graphql-ws' complete). */
  completed = false;
  private failure: Error | null = null;
  /** Everything received so far, in order. */
  readonly all: LiveEvent[] = [];

  push(item: LiveEvent) {
    this.all.push(item);
    if (this.waiting) {
      const resolve = this.waiting;
      this.waiting = null;
      resolve(item);
    } else this.items.push(item);
  }

  end(failure: Error | null = null) {
    if (this.ended) return;
    this.ended = true;
    this.failure = failure;
    this.waiting?.(null);
    this.waiting = null;
  }

  next(timeoutMs = 15_000): Promise<LiveEvent | null> {
    const item = this.items.shift();
    if (item) return Promise.resolve(item);
    if (this.ended) return this.failure ? Promise.reject(this.failure) : Promise.resolve(null);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no event within ${timeoutMs} ms; received so far: ${JSON.stringify(this.all)}`)), timeoutMs);
      this.waiting = (value) => {
        clearTimeout(timer);
        if (this.failure) reject(this.failure);
        else resolve(value);
      };
    });
  }

  /** The next `count` events' data under `field`. */
  async take(count: number, field = 'assetEvents') {
    const taken = [];
    for (let i = 0; i < count; i++) {
      const item = await this.next();
      if (!item) throw new Error(`the stream ended after ${i} of ${count} events`);
      if (item.errors) throw new Error(`errors: ${JSON.stringify(item.errors)}`);
      taken.push(item.data![field]);
    }
    return taken;
  }
}

export interface Live {
  received: Received;
  /** The HTTP status of the SSE answer. */
  status: number;
  close(): void;
}

/** A subscription over GraphQL-over-SSE (yoga's distinct connections mode): POST with Accept: text/event-stream. */
export async function sseSubscribe(
  base: string,
  key: string,
  query: string,
  variables: Record<string, unknown> = {},
  headers: Record<string, string> = {},
): Promise<Live> {
  const abort = new AbortController();
  const response = await fetch(`${base}/graphql`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', accept: 'text/event-stream', ...headers },
    body: JSON.stringify({ query, variables }),
    signal: abort.signal,
  });
  const received = new Received();
  if (!response.ok || !response.headers.get('content-type')?.startsWith('text/event-stream')) {
    received.push(await response.json().catch(() => ({ errors: [{ message: `status ${response.status}` }] })));
    received.end();
    return { received, status: response.status, close: () => {} };
  }
  void (async () => {
    const decoder = new TextDecoder();
    let buffer = '';
    try {
      for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
        buffer += decoder.decode(chunk, { stream: true });
        for (let end = buffer.indexOf('\n\n'); end !== -1; end = buffer.indexOf('\n\n')) {
          const message = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const fields = Object.fromEntries(
            message
              .split('\n')
              .filter((line) => line && !line.startsWith(':'))
              .map((line) => [line.slice(0, line.indexOf(':')), line.slice(line.indexOf(':') + 2)]),
          );
          if (fields.event === 'complete') {
            received.completed = true;
            return received.end();
          }
          if (fields.event === 'next') received.push({ ...JSON.parse(fields.data), ...(fields.id ? { sseId: fields.id } : {}) });
        }
      }
    } catch (error) {
      // Closed by close(): a plain end. Anything else broke the stream, and next() says so.
      if (!abort.signal.aborted) received.end(error as Error);
    } finally {
      received.end();
    }
  })();
  return { received, status: response.status, close: () => abort.abort() };
}

/** A graphql-ws client on /graphql with the key in connectionParams; `closed` gets the close event's code. */
export function wsClient(base: string, key: string | null): { client: Client; closed: Promise<number> } {
  let closedWith: (code: number) => void = () => {};
  const closed = new Promise<number>((resolve) => {
    closedWith = resolve;
  });
  const client = createClient({
    url: `${base.replace(/^http/, 'ws')}/graphql`,
    webSocketImpl: WebSocket,
    connectionParams: key ? { Authorization: `Bearer ${key}` } : {},
    retryAttempts: 0,
    lazy: false,
    on: { closed: (event) => closedWith((event as { code: number }).code) },
  });
  return { client, closed };
}

/** A subscription over a graphql-ws client. */
export function wsSubscribe(client: Client, query: string, variables: Record<string, unknown> = {}): Live {
  const received = new Received();
  const dispose = client.subscribe(
    { query, variables },
    {
      next: (result) => received.push(result as LiveEvent),
      error: (error) => {
        received.push({ errors: Array.isArray(error) ? error : [{ message: String((error as { code?: number }).code ?? error) }] });
        received.end();
      },
      complete: () => {
        received.completed = true;
        received.end();
      },
    },
  );
  return { received, status: 101, close: dispose };
}
