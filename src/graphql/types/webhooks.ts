import { GraphQLError } from 'graphql';
import { scopeRule } from '../../auth/scopes.ts';
import { eventTypes } from '../../domain/events.ts';
import {
  createTestDelivery,
  createWebhook,
  deleteWebhook,
  findDelivery,
  keptResponseBytes,
  listDeliveries,
  listWebhooks,
  maxListedDeliveries,
  maxWebhookUrlLength,
  resetDelivery,
  webhookTimeoutMs,
} from '../../domain/webhooks.ts';
import { webhookServiceOf, type WebhookService } from '../../events/webhooks.ts';
import { builder } from '../builder.ts';
import type { Context } from '../context.ts';
import { ErrorCode } from '../errors.ts';
import { rules } from '../rules.ts';

/** Webhooks of your workspace (scope admin:webhooks): endpoints, their deliveries and the attempts of each. */

interface EndpointShape {
  id: string;
  url: string;
  events: string[];
  enabled: boolean;
  disabledReason: string | null;
  createdAt: Date;
}

const WebhookEndpoint = builder.objectRef<EndpointShape>('WebhookEndpoint').implement({
  description: "An endpoint your workspace's events are delivered to (Standard Webhooks). Never its secret.",
  fields: (t) => ({
    id: t.exposeID('id'),
    url: t.exposeString('url'),
    events: t.exposeStringList('events', { description: 'The event types delivered; empty: all.' }),
    enabled: t.exposeBoolean('enabled', { description: 'False once the receiver answered 410 Gone.' }),
    disabledReason: t.exposeString('disabledReason', { nullable: true }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
  }),
});

const CreatedWebhookEndpoint = builder.objectRef<{ secret: string; endpoint: EndpointShape }>('CreatedWebhookEndpoint').implement({
  fields: (t) => ({
    secret: t.exposeString('secret', { description: 'The signing secret (`whsec_` + base64): shown this once.' }),
    endpoint: t.field({ type: WebhookEndpoint, resolve: (created) => created.endpoint }),
  }),
});

interface AttemptShape {
  attemptedAt: Date;
  statusCode: number | null;
  durationMs: number;
  error: string | null;
  responseBody: string | null;
}

const WebhookAttempt = builder.objectRef<AttemptShape>('WebhookAttempt').implement({
  description: 'One attempt of a delivery.',
  fields: (t) => ({
    attemptedAt: t.expose('attemptedAt', { type: 'DateTime' }),
    statusCode: t.exposeInt('statusCode', { nullable: true, description: "The receiver's status; null when it did not answer." }),
    durationMs: t.exposeInt('durationMs'),
    error: t.exposeString('error', { nullable: true }),
    responseBody: t.exposeString('responseBody', { nullable: true, description: `At most the first ${keptResponseBytes} bytes of the answer.` }),
  }),
});

interface DeliveryShape {
  id: string;
  eventId: bigint | null;
  type: string;
  status: string;
  createdAt: Date;
  deliveredAt: Date | null;
  attempts: AttemptShape[];
}

const WebhookDelivery = builder.objectRef<DeliveryShape>('WebhookDelivery').implement({
  description: 'An event (or a test) to deliver to an endpoint. Its id is the `webhook-id` header, the same on every attempt.',
  fields: (t) => ({
    id: t.exposeID('id'),
    eventId: t.string({ nullable: true, description: 'The event delivered (AssetEvent.id); null for a test.', resolve: (d) => d.eventId?.toString() ?? null }),
    type: t.exposeString('type'),
    status: t.exposeString('status', { description: '`pending`, `delivered` or `failed` (retries given up, or the endpoint disabled).' }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    deliveredAt: t.expose('deliveredAt', { type: 'DateTime', nullable: true }),
    attempts: t.field({ type: [WebhookAttempt], resolve: (d) => d.attempts }),
  }),
});

const CreateWebhookInput = builder.inputType('CreateWebhookInput', {
  fields: (t) => ({
    url: t.string({
      required: true,
      description: 'An https URL whose host is a public address.',
      extensions: rules({ minLength: 1, maxLength: maxWebhookUrlLength }),
    }),
    events: t.stringList({
      required: false,
      description: `Event types to deliver (${eventTypes.join(', ')}); none: all.`,
      extensions: rules({ items: { maxLength: 50 } }),
    }),
  }),
});

/** The service, or the refusal of a gateway on the embedded database. */
function serviceOf(ctx: Context): WebhookService {
  const service = webhookServiceOf(ctx.db);
  if (!service) {
    throw new GraphQLError('Webhooks need a PostgreSQL server (DATABASE_URL): their deliveries run on a queue the embedded database cannot host', {
      extensions: { code: ErrorCode.serviceUnavailable },
    });
  }
  return service;
}

const workspace = (ctx: Context) => ctx.principal!.workspaceId;

builder.queryFields((t) => ({
  webhooks: t.field({
    type: [WebhookEndpoint],
    description: 'The webhook endpoints of your workspace.',
    authScopes: scopeRule('Query', 'webhooks'),
    resolve: (_root, _args, ctx) => listWebhooks(ctx.db, workspace(ctx)),
  }),
  webhookDeliveries: t.field({
    type: [WebhookDelivery],
    description: `The newest ${maxListedDeliveries} deliveries of an endpoint, newest first, each with its attempts.`,
    authScopes: scopeRule('Query', 'webhookDeliveries'),
    args: { webhookId: t.arg.id({ required: true }) },
    resolve: (_root, args, ctx) => listDeliveries(ctx.db, workspace(ctx), String(args.webhookId)),
  }),
}));

builder.mutationFields((t) => ({
  createWebhook: t.field({
    type: CreatedWebhookEndpoint,
    description: `Adds an endpoint; its signing secret is in this answer only. A receiver has ${webhookTimeoutMs / 1000} s to answer 2xx.`,
    authScopes: scopeRule('Mutation', 'createWebhook'),
    args: { input: t.arg({ type: CreateWebhookInput, required: true }) },
    resolve: (_root, { input }, ctx) =>
      createWebhook(ctx.db, workspace(ctx), input, webhookServiceOf(ctx.db)?.allowPrivateNetworks ?? false, () => serviceOf(ctx)),
  }),
  deleteWebhook: t.field({
    type: WebhookEndpoint,
    description: 'Removes an endpoint and its delivery log.',
    authScopes: scopeRule('Mutation', 'deleteWebhook'),
    args: { id: t.arg.id({ required: true }) },
    resolve: (_root, args, ctx) => deleteWebhook(ctx.db, workspace(ctx), String(args.id)),
  }),
  testWebhook: t.field({
    type: WebhookDelivery,
    description: 'Sends `{"type": "webhook.test", …}` to an endpoint, as any delivery (signed, retried).',
    authScopes: scopeRule('Mutation', 'testWebhook'),
    args: { id: t.arg.id({ required: true }) },
    resolve: async (_root, args, ctx) => {
      const service = serviceOf(ctx);
      const id = await createTestDelivery(ctx.db, workspace(ctx), String(args.id));
      await service.enqueue([id]);
      return findDelivery(ctx.db, id);
    },
  }),
  retryWebhookDelivery: t.field({
    type: WebhookDelivery,
    description: 'Sends a delivery again, whatever its state (with the same webhook-id).',
    authScopes: scopeRule('Mutation', 'retryWebhookDelivery'),
    args: { id: t.arg.id({ required: true }) },
    resolve: async (_root, args, ctx) => {
      const service = serviceOf(ctx);
      const id = await resetDelivery(ctx.db, workspace(ctx), String(args.id));
      await service.enqueue([id]);
      return findDelivery(ctx.db, id);
    },
  }),
}));
