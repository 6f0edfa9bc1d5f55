import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

/**
 * After answering a request whose body has not all arrived, the connection keeps reading (and
 * dropping) what the client still sends for up to `lingerMs`, and no longer than `lingerIdleMs`
 * without a byte, then is destroyed. A client still sending its body reads the answer only once
 * its send completes or fails: closed at once, with its bytes still arriving, the connection
 * would be reset, and a reset can discard the answer before the client reads it.
 */
export const lingerMs = 5_000;
export const lingerIdleMs = 2_000;

/**
 * One rule for every early answer, on both faces: a request answered before its body was
 * received in full — refused for its key (401, 403), its rate (429), its route (404), its size
 * (413), its media type (415), its body's deadline (408), a malformed start (400) — gets
 * `Connection: close`, and its connection is closed once the answer is out. Otherwise Node keeps
 * the connection and reads the unread body to find the next request: a client without a key
 * could hold a connection for as long as it trickles the 100 MB it announced, and a refused
 * upload left unread stalled the client until the connection timeout.
 */
export function closeUnreadBodies(app: FastifyInstance) {
  app.addHook('onSend', (req, reply, payload, done) => {
    closeIfBodyUnread(req, reply);
    done(null, payload);
  });
}

/** The rule itself, for answers sent where no hook runs (the router's own errors, ./errors.ts). */
export function closeIfBodyUnread(req: FastifyRequest, reply: FastifyReply) {
  // Only a connection's request can be incomplete (app.inject's have no such flag: their body is whole).
  if (req.raw.complete !== false || reply.raw.headersSent) return;
  reply.header('connection', 'close');
  const socket = req.raw.socket;
  reply.raw.once('finish', () => linger(req.raw, socket));
}

function linger(req: IncomingMessage, socket: Socket | null) {
  if (!socket || socket.destroyed) return;
  // Node has ended the socket (the answer said `Connection: close`) and destroys it as soon as
  // the answer is flushed; the timers below destroy it instead, once the client is done.
  socket.removeListener('finish', socket.destroy);
  const close = () => socket.destroy();
  if (socket.readableEnded) return close();
  const deadline = setTimeout(close, lingerMs);
  socket.once('close', () => clearTimeout(deadline));
  socket.setTimeout(lingerIdleMs, close);
  // The client closed its side: nothing more will come.
  socket.once('end', close);
  // Whoever was reading the body (a refused upload's parser) has stopped: drop what arrives.
  req.unpipe();
  req.removeAllListeners('data');
  req.resume();
}
