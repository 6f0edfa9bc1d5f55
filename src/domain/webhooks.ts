import { createHmac, randomBytes } from 'node:crypto';
import { lookup as dnsLookup } from 'node:dns';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { LookupFunction } from 'node:net';
import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';
import type { Db } from '../db/client.ts';
import { NotFoundError, ValidationError } from './errors.ts';
import { checkEventTypes, eventTypes } from './events.ts';
import { isUuid } from './ids.ts';

/**
 * Webhooks: endpoints of a workspace to which its events are delivered, as Standard Webhooks
 * (https://www.standardwebhooks.com) says: `webhook-id` (the delivery's id, the same on every
 * attempt, for receivers to deduplicate), `webhook-timestamp` (seconds) and `webhook-signature`
 * (`v1,` + base64 of HMAC-SHA256 over `id.timestamp.body`, keyed with the secret's bytes); the
 * body `{type, timestamp, data}` with `data` the object as the GraphQL API shows it (the event's
 * snapshot, src/domain/events.ts). The queue that runs deliveries is src/events/webhooks.ts.
 */

export const maxWebhookUrlLength = 2048;
export const maxWebhooksPerWorkspace = 20;
/** How long a receiver has to answer (headers and the kept part of the body). */
export const webhookTimeoutMs = 10_000;
/** How much of a receiver's answer is kept in the delivery log. */
export const keptResponseBytes = 1024;
export const testEventType = 'webhook.test';

export const webhookNotFound = () => new NotFoundError('Webhook not found');
export const deliveryNotFound = () => new NotFoundError('Delivery not found');

/** Whether an address may be called: public unicast only (no loopback, private, link-local, metadata, CGNAT, multicast, reserved …). */
export function isPublicAddress(address: string): boolean {
  if (!ipaddr.isValid(address)) return false;
  let parsed = ipaddr.parse(address);
  if (parsed.kind() === 'ipv6' && (parsed as ipaddr.IPv6).isIPv4MappedAddress()) parsed = (parsed as ipaddr.IPv6).toIPv4Address();
  return parsed.range() === 'unicast';
}

const refusedAddress = (host: string) => new ValidationError('url', `URL must not point at a loopback, private, link-local or metadata address (${host} does)`);

/** Resolves a host to every address it has, each of which must be public (unless private networks are allowed). */
async function checkedAddresses(host: string, allowPrivate: boolean): Promise<{ address: string; family: number }[]> {
  const bare = host.replace(/^\[|\]$/g, '');
  const addresses = isIP(bare)
    ? [{ address: bare, family: isIP(bare) }]
    : await new Promise<{ address: string; family: number }[]>((resolve, reject) =>
        dnsLookup(bare, { all: true }, (error, found) => (error ? reject(new ValidationError('url', `URL's host ${bare} does not resolve`)) : resolve(found))),
      );
  if (!allowPrivate && addresses.some(({ address }) => !isPublicAddress(address))) throw refusedAddress(bare);
  return addresses;
}

/** The rules of a webhook URL: absolute https (http too with private networks allowed), no credentials, a host that resolves to public addresses only. */
export async function checkWebhookUrl(value: string, allowPrivate: boolean): Promise<URL> {
  const text = value.trim();
  if (!text) throw new ValidationError('url', 'URL is required');
  if (text.length > maxWebhookUrlLength) throw new ValidationError('url', `URL must be at most ${maxWebhookUrlLength} characters`);
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new ValidationError('url', 'URL must be an absolute https URL');
  }
  const schemes = allowPrivate ? ['https:', 'http:'] : ['https:'];
  if (!schemes.includes(url.protocol)) throw new ValidationError('url', 'URL must be an https URL');
  if (url.username || url.password) throw new ValidationError('url', 'URL must not hold credentials');
  await checkedAddresses(url.hostname, allowPrivate);
  return url;
}

/** A new signing secret as Standard Webhooks writes it: `whsec_` + base64 of 24 random bytes. */
export function newWebhookSecret(): string {
  return `whsec_${randomBytes(24).toString('base64')}`;
}

/** The `webhook-signature` of a body. */
export function signWebhook(secret: string, id: string, timestamp: number, body: string): string {
  const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
  return `v1,${createHmac('sha256', key).update(`${id}.${timestamp}.${body}`).digest('base64')}`;
}

const endpointSelect = { id: true, url: true, events: true, enabled: true, disabledReason: true, createdAt: true } as const;

/** Adds an endpoint; `available` refuses, once the input is found valid, where deliveries cannot run. */
export async function createWebhook(
  db: Db,
  workspaceId: string,
  input: { url: string; events?: readonly string[] | null },
  allowPrivate: boolean,
  available: () => void,
) {
  const url = await checkWebhookUrl(input.url, allowPrivate);
  const events = checkEventTypes(input.events ?? [], eventTypes, 'events');
  available();
  if ((await db.webhookEndpoint.count({ where: { workspaceId } })) >= maxWebhooksPerWorkspace) {
    throw new ValidationError('url', `A workspace has at most ${maxWebhooksPerWorkspace} webhooks`);
  }
  const secret = newWebhookSecret();
  const endpoint = await db.webhookEndpoint.create({ data: { workspaceId, url: url.href, events, secret }, select: endpointSelect });
  return { secret, endpoint };
}

export function listWebhooks(db: Db, workspaceId: string) {
  return db.webhookEndpoint.findMany({ where: { workspaceId }, orderBy: [{ createdAt: 'asc' }, { id: 'asc' }], select: endpointSelect });
}

export async function findWebhook(db: Db, workspaceId: string, id: string) {
  const endpoint = isUuid(id) ? await db.webhookEndpoint.findFirst({ where: { id, workspaceId }, select: endpointSelect }) : null;
  if (!endpoint) throw webhookNotFound();
  return endpoint;
}

export async function deleteWebhook(db: Db, workspaceId: string, id: string) {
  const endpoint = await findWebhook(db, workspaceId, id);
  await db.webhookEndpoint.deleteMany({ where: { id, workspaceId } });
  return endpoint;
}

const deliverySelect = {
  id: true,
  eventId: true,
  type: true,
  status: true,
  createdAt: true,
  deliveredAt: true,
  attempts: { orderBy: { attemptedAt: 'asc' }, select: { attemptedAt: true, statusCode: true, durationMs: true, error: true, responseBody: true } },
} as const;
export const maxListedDeliveries = 100;

/** The newest deliveries of an endpoint, each with its attempts. */
export async function listDeliveries(db: Db, workspaceId: string, endpointId: string) {
  await findWebhook(db, workspaceId, endpointId);
  return db.webhookDelivery.findMany({
    where: { endpointId },
    orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
    take: maxListedDeliveries,
    select: deliverySelect,
  });
}

export function findDelivery(db: Db, id: string) {
  return db.webhookDelivery.findUniqueOrThrow({ where: { id }, select: deliverySelect });
}

/** A test delivery to an endpoint: `{type: "webhook.test", …}`. */
export async function createTestDelivery(db: Db, workspaceId: string, endpointId: string) {
  await findWebhook(db, workspaceId, endpointId);
  const timestamp = new Date().toISOString();
  const delivery = await db.webhookDelivery.create({
    data: { endpointId, type: testEventType, payload: { type: testEventType, timestamp, data: { webhookId: endpointId } } },
    select: { id: true },
  });
  return delivery.id;
}

/** A delivery of the workspace, set to be sent again (whatever its state). */
export async function resetDelivery(db: Db, workspaceId: string, deliveryId: string) {
  const delivery = isUuid(deliveryId)
    ? await db.webhookDelivery.findFirst({ where: { id: deliveryId, endpoint: { workspaceId } }, select: { id: true } })
    : null;
  if (!delivery) throw deliveryNotFound();
  await db.webhookDelivery.update({ where: { id: deliveryId }, data: { status: 'pending', deliveredAt: null } });
  return deliveryId;
}

export interface AttemptResult {
  statusCode: number | null;
  durationMs: number;
  error: string | null;
  responseBody: string | null;
}

/**
 * One POST of a delivery. The host is resolved again here and every address checked (the
 * connection goes to the address checked, so a DNS answer that changed since, "rebinding", cannot
 * reach a private one); redirects are not followed (a 3xx is a failure); the answer must come
 * within webhookTimeoutMs, and only its first keptResponseBytes are read.
 */
export async function sendWebhook(
  target: { url: string; secret: string },
  delivery: { id: string; payload: unknown },
  allowPrivate: boolean,
): Promise<AttemptResult> {
  const start = performance.now();
  const body = JSON.stringify(delivery.payload);
  const timestamp = Math.floor(Date.now() / 1000);
  const done = (result: Omit<AttemptResult, 'durationMs'>): AttemptResult => ({ ...result, durationMs: Math.round(performance.now() - start) });
  let url: URL;
  try {
    url = await checkWebhookUrl(target.url, allowPrivate);
  } catch (error) {
    return done({ statusCode: null, error: (error as Error).message, responseBody: null });
  }
  const lookup: LookupFunction = (hostname, options, callback) => {
    checkedAddresses(hostname, allowPrivate).then(
      (addresses) => {
        if (options.all) return (callback as (e: null, a: { address: string; family: number }[]) => void)(null, addresses);
        callback(null, addresses[0].address, addresses[0].family);
      },
      (error: Error) => callback(Object.assign(error, { code: 'EREFUSED' }), '', 0),
    );
  };
  const headers = {
    'content-type': 'application/json',
    'user-agent': 'assets-gateway-webhooks',
    'webhook-id': delivery.id,
    'webhook-timestamp': String(timestamp),
    'webhook-signature': signWebhook(target.secret, delivery.id, timestamp, body),
  };
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise<AttemptResult>((resolve) => {
    let settled = false;
    const finish = (result: Omit<AttemptResult, 'durationMs'>) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      req.destroy();
      resolve(done(result));
    };
    const req = send(url, { method: 'POST', headers, lookup, agent: false }, (res: IncomingMessage) => {
      const chunks: Buffer[] = [];
      let size = 0;
      const answer = () =>
        finish({ statusCode: res.statusCode ?? null, error: null, responseBody: Buffer.concat(chunks).subarray(0, keptResponseBytes).toString('utf8') });
      res.on('data', (chunk: Buffer) => {
        chunks.push(chunk);
        size += chunk.length;
        if (size >= keptResponseBytes) answer();
      });
      res.on('end', answer);
      res.on('error', answer);
    });
    const timer = setTimeout(() => finish({ statusCode: null, error: `No answer within ${webhookTimeoutMs / 1000} s`, responseBody: null }), webhookTimeoutMs);
    req.on('error', (error: NodeJS.ErrnoException) =>
      finish({ statusCode: null, error: error.code === 'EREFUSED' ? error.message : `Connection failed (${error.code ?? error.name})`, responseBody: null }),
    );
    req.end(body);
  });
}
