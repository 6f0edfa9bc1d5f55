import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { graphql } from '../../generated/graphql/index.ts';
import type { RestAssetPageFragment } from '../../generated/graphql/graphql.ts';
import { fixedOperation } from '../../graphql/execute.ts';
import type { OperationResult } from '../../graphql/execute.ts';
import { toRestAsset } from './assets.ts';
import { sendError, sendGraphQLError } from './errors.ts';
import { jsonObjectBody, listEnvelope, queryValue, writableInput, type Shim } from './shim.ts';

/**
 * /api/v1/assets/{id}/items: a collection's members, in order. Each route runs one fixed GraphQL
 * operation and answers the page of items asked for with `page`/`per_page` (default the first 20),
 * in the asset list's envelope.
 */

const CollectionItemsOperation = fixedOperation(
  graphql(`
    query RestCollectionItems($id: ID!, $page: Int, $perPage: Int) {
      asset(id: $id) { ... on CollectionAsset { items(page: $page, perPage: $perPage) { ...RestAssetPage } } }
    }
  `),
);

const AddItemsOperation = fixedOperation(
  graphql(`
    mutation RestAddCollectionItems($id: ID!, $assetIds: [ID!]!, $page: Int, $perPage: Int) {
      addCollectionItems(id: $id, assetIds: $assetIds) { items(page: $page, perPage: $perPage) { ...RestAssetPage } }
    }
  `),
);

const RemoveItemsOperation = fixedOperation(
  graphql(`
    mutation RestRemoveCollectionItems($id: ID!, $assetIds: [ID!]!, $page: Int, $perPage: Int) {
      removeCollectionItems(id: $id, assetIds: $assetIds) { items(page: $page, perPage: $perPage) { ...RestAssetPage } }
    }
  `),
);

const ReorderItemsOperation = fixedOperation(
  graphql(`
    mutation RestReorderCollectionItems($id: ID!, $assetIds: [ID!]!, $page: Int, $perPage: Int) {
      reorderCollectionItems(id: $id, assetIds: $assetIds) { items(page: $page, perPage: $perPage) { ...RestAssetPage } }
    }
  `),
);

function pageOf(req: FastifyRequest) {
  const q = req.query as Record<string, unknown>;
  return { page: queryValue(q.page) as number, perPage: queryValue(q.per_page) as number };
}

function sendItems(reply: FastifyReply, result: OperationResult<Record<string, { items?: RestAssetPageFragment } | null | undefined>>) {
  if (result.errors?.length) return sendGraphQLError(reply, result.errors);
  const items = Object.values(result.data ?? {})[0]?.items;
  if (!items) return sendError(reply, 404, 'Collection not found');
  return listEnvelope(items, toRestAsset);
}

export function collectionRoutes(app: FastifyInstance, shim: Shim) {
  app.get('/assets/:asset_id/items', async (req, reply) => {
    const { asset_id: id } = req.params as { asset_id: string };
    return sendItems(reply, await shim.run(req, CollectionItemsOperation, { id, ...pageOf(req) }));
  });

  app.post('/assets/:asset_id/items', async (req, reply) => {
    const { asset_id: id } = req.params as { asset_id: string };
    const body = jsonObjectBody(req, reply);
    if (!body) return reply;
    const { assetIds } = writableInput(body, { asset_ids: 'assetIds' }) as { assetIds: string[] };
    return sendItems(reply, await shim.run(req, AddItemsOperation, { id, assetIds, ...pageOf(req) }));
  });

  app.delete('/assets/:asset_id/items/:member_id', async (req, reply) => {
    const { asset_id: id, member_id: memberId } = req.params as { asset_id: string; member_id: string };
    return sendItems(reply, await shim.run(req, RemoveItemsOperation, { id, assetIds: [memberId], ...pageOf(req) }));
  });

  app.put('/assets/:asset_id/items/order', async (req, reply) => {
    const { asset_id: id } = req.params as { asset_id: string };
    const body = jsonObjectBody(req, reply);
    if (!body) return reply;
    const { assetIds } = writableInput(body, { asset_ids: 'assetIds' }) as { assetIds: string[] };
    return sendItems(reply, await shim.run(req, ReorderItemsOperation, { id, assetIds, ...pageOf(req) }));
  });
}
