import { representation } from '../representations.ts';
import { list, one, type RestRoute } from '../route-table.ts';

/** Webhook endpoints (never their secret, but once, at creation), their deliveries and the attempts of each. */
export const restWebhook = representation('WebhookEndpoint', ['id', 'url', 'events', 'enabled', 'disabledReason', 'createdAt']);
const restCreatedWebhook = representation('CreatedWebhookEndpoint', ['secret'], { field: 'endpoint', representation: restWebhook });
const restAttempt = representation('WebhookAttempt', ['attemptedAt', 'statusCode', 'durationMs', 'error', 'responseBody']);
export const restDelivery = representation('WebhookDelivery', ['id', 'eventId', 'type', 'status', 'createdAt', 'deliveredAt', 'attempts'], undefined, {
  attempts: restAttempt,
});

const unavailable = { 503: 'Webhooks need a PostgreSQL server (DATABASE_URL): the embedded database cannot host their queue.' } as const;

export const webhookRoutes: RestRoute[] = [
  {
    method: 'GET',
    url: '/webhooks',
    operationId: 'listWebhooks',
    tag: 'webhooks',
    summary: 'List webhook endpoints',
    description: 'The endpoints of your workspace; never their secrets.',
    operation: 'query RestListWebhooks { webhooks { ...RestWebhookEndpoint } }',
    answer: list(restWebhook, 'webhooks', 'The endpoints.'),
  },
  {
    method: 'POST',
    url: '/webhooks',
    operationId: 'createWebhook',
    tag: 'webhooks',
    summary: 'Create a webhook endpoint',
    description:
      'Events of your workspace are POSTed to `url` (https, a public address) as Standard Webhooks, signed with `secret` (in this answer only). `events` names the types to deliver; none: all.',
    operation: 'mutation RestCreateWebhook($input: CreateWebhookInput!) { createWebhook(input: $input) { ...RestCreatedWebhookEndpoint } }',
    body: 'input',
    answer: one(restCreatedWebhook, 'createWebhook', 'The new endpoint, with its signing secret.', { status: 201 }),
    errors: unavailable,
  },
  {
    method: 'DELETE',
    url: '/webhooks/:webhook_id',
    operationId: 'deleteWebhook',
    tag: 'webhooks',
    summary: 'Delete a webhook endpoint',
    operation: 'mutation RestDeleteWebhook($id: ID!) { deleteWebhook(id: $id) { ...RestWebhookEndpoint } }',
    params: { webhook_id: 'id' },
    answer: one(restWebhook, 'deleteWebhook', 'The deleted endpoint.', { notFound: 'Webhook not found' }),
  },
  {
    method: 'POST',
    url: '/webhooks/:webhook_id/test',
    operationId: 'testWebhook',
    tag: 'webhooks',
    summary: 'Send a test delivery',
    description: 'Queues `{"type": "webhook.test", …}` for the endpoint, signed and retried like any delivery.',
    operation: 'mutation RestTestWebhook($id: ID!) { testWebhook(id: $id) { ...RestWebhookDelivery } }',
    params: { webhook_id: 'id' },
    answer: one(restDelivery, 'testWebhook', 'The queued delivery.', { status: 201 }),
    errors: unavailable,
  },
  {
    method: 'GET',
    url: '/webhooks/:webhook_id/deliveries',
    operationId: 'listWebhookDeliveries',
    tag: 'webhooks',
    summary: 'List the deliveries of an endpoint',
    description: 'The newest 100, newest first, each with its attempts (time, status code, duration, error, first 1 KB of the answer).',
    operation: 'query RestListWebhookDeliveries($webhookId: ID!) { webhookDeliveries(webhookId: $webhookId) { ...RestWebhookDelivery } }',
    params: { webhook_id: 'webhookId' },
    answer: list(restDelivery, 'webhookDeliveries', 'The deliveries.'),
  },
  {
    method: 'POST',
    url: '/webhooks/deliveries/:delivery_id/retry',
    operationId: 'retryWebhookDelivery',
    tag: 'webhooks',
    summary: 'Send a delivery again',
    description: 'Whatever its state, with the same `webhook-id`.',
    operation: 'mutation RestRetryWebhookDelivery($id: ID!) { retryWebhookDelivery(id: $id) { ...RestWebhookDelivery } }',
    params: { delivery_id: 'id' },
    answer: one(restDelivery, 'retryWebhookDelivery', 'The delivery, queued again.'),
    errors: unavailable,
  },
];
