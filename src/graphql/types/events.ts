import { GraphQLError } from 'graphql';
import { scopeRule } from '../../auth/scopes.ts';
import { visibleAssets } from '../../domain/assets.ts';
import { ValidationError } from '../../domain/errors.ts';
import { assetEventTypes, checkAssetEventFilter, type StoredEvent } from '../../domain/events.ts';
import { eventHubOf, SubscriptionLimitError } from '../../events/hub.ts';
import { builder } from '../builder.ts';
import { ErrorCode } from '../errors.ts';
import { rules } from '../rules.ts';
import { AssetInterface } from './asset.ts';
import { workspaceOf } from './asset-queries.ts';

/** Live events of the event log (src/domain/events.ts), over SSE and WebSocket (README, docs/clients.md). */

const AssetEvent = builder.objectRef<StoredEvent>('AssetEvent').implement({
  description: 'A change of an asset of your workspace, from the event log.',
  fields: (t) => ({
    id: t.id({
      description: "The event's id: ids grow in the order events happened. Pass the last one seen as `after` (or SSE's Last-Event-ID) to resume.",
      resolve: (event) => event.id.toString(),
    }),
    type: t.string({ description: `One of ${assetEventTypes.join(', ')}.`, resolve: (event) => event.type }),
    occurredAt: t.field({ type: 'DateTime', resolve: (event) => event.occurredAt }),
    assetId: t.id({ resolve: (event) => event.objectId }),
    asset: t.prismaField({
      type: AssetInterface,
      nullable: true,
      description: 'The asset as it is now; null once deleted.',
      resolve: (query, event, _args, ctx) => ctx.db.asset.findFirst({ ...query, where: { ...visibleAssets(workspaceOf(ctx)), id: event.objectId } }),
    }),
  }),
});

const AssetEventFilter = builder.inputType('AssetEventFilter', {
  description: 'Which events to receive; every condition given must hold. Nothing given: every asset event of your workspace.',
  fields: (t) => ({
    types: t.stringList({
      required: false,
      description: `Event types (${assetEventTypes.join(', ')}); none: all.`,
      extensions: rules({ items: { maxLength: 50 } }),
    }),
    libraryId: t.id({ required: false, description: "Only assets in this library (after the change; a library's id)." }),
    assetIds: t.idList({ required: false, description: 'Only these assets (a collection for collection.items_changed).' }),
  }),
});

/** An event id given by a client: a positive integer. */
function eventIdOf(value: string | null | undefined, field: string): bigint | null {
  if (value == null || value === '') return null;
  if (!/^\d{1,19}$/.test(value)) throw new ValidationError(field, 'An event id is a positive integer, as AssetEvent.id gives it');
  return BigInt(value);
}

builder.subscriptionType({});

builder.subscriptionField('assetEvents', (t) =>
  t.field({
    type: AssetEvent,
    description:
      'Asset events of your workspace as they happen; with `after`, first those after that event id (kept EVENT_RETENTION_HOURS), in order, without gap or duplicate. Served over SSE (Accept: text/event-stream) and WebSocket (graphql-ws) on /graphql.',
    authScopes: scopeRule('Subscription', 'assetEvents'),
    args: {
      filter: t.arg({ type: AssetEventFilter }),
      after: t.arg.id({ description: 'Resume after this event id. Over SSE, a Last-Event-ID header does the same.' }),
    },
    subscribe: async (_root, args, ctx) => {
      const filter = checkAssetEventFilter(args.filter);
      const after = args.after != null ? eventIdOf(String(args.after), 'after') : eventIdOf(ctx.lastEventId, 'Last-Event-ID');
      const hub = eventHubOf(ctx.db);
      if (!hub) throw new GraphQLError('Subscriptions are not served here', { extensions: { code: ErrorCode.internal } });
      try {
        return await hub.subscribe(ctx.principal!, assetEventTypes, filter, after);
      } catch (error) {
        if (error instanceof SubscriptionLimitError) throw new GraphQLError(error.message, { extensions: { code: ErrorCode.rateLimited } });
        throw error;
      }
    },
    resolve: (event: StoredEvent) => event,
  }),
);
