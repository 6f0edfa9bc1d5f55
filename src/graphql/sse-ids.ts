/**
 * Gives each message of a GraphQL-over-SSE stream whose result carries an event id (the root
 * field's `id`, `assetEvents { id … }`) SSE's own `id:` line, so that a browser's EventSource, or
 * any SSE client, sends it back as `Last-Event-ID` when it reconnects, and the subscription
 * resumes after it (src/graphql/types/events.ts). yoga writes the messages; this only adds lines.
 */
export async function* withEventIds(body: AsyncIterable<Uint8Array>): AsyncGenerator<string> {
  const decoder = new TextDecoder();
  let buffer = '';
  for await (const chunk of body) {
    buffer += decoder.decode(chunk, { stream: true });
    for (let end = buffer.indexOf('\n\n'); end !== -1; end = buffer.indexOf('\n\n')) {
      const message = buffer.slice(0, end + 2);
      buffer = buffer.slice(end + 2);
      yield idLineOf(message) + message;
    }
  }
  if (buffer) yield buffer;
}

function idLineOf(message: string): string {
  if (!message.startsWith('event: next\n')) return '';
  const data = /^data: (.*)$/m.exec(message)?.[1];
  if (!data) return '';
  try {
    const result = JSON.parse(data) as { data?: Record<string, { id?: unknown } | null> | null };
    for (const value of Object.values(result.data ?? {})) {
      if (typeof value?.id === 'string' && /^\d+$/.test(value.id)) return `id: ${value.id}\n`;
    }
  } catch {
    // Not ours to judge: the message goes out as yoga wrote it.
  }
  return '';
}
