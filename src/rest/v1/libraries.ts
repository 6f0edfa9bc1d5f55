import type { FastifyInstance } from 'fastify';
import { graphql } from '../../generated/graphql/index.ts';
import type { RestLibraryFragment } from '../../generated/graphql/graphql.ts';
import { fixedOperation } from '../../graphql/execute.ts';
import { assetListVariables, toRestAsset } from './assets.ts';
import { sendError, sendGraphQLError } from './errors.ts';
import { idempotencyKeyHeader, jsonObjectBody, listEnvelope, queryValue, writableInput, type Shim } from './shim.ts';

/** /api/v1/libraries: each route runs one fixed GraphQL operation, like ./assets.ts. */

graphql(`
  fragment RestLibrary on Library {
    id name slug description assetCount createdAt updatedAt
  }
`);

const ListLibrariesOperation = fixedOperation(
  graphql(`
    query RestListLibraries($page: Int, $perPage: Int) {
      libraries(page: $page, perPage: $perPage) {
        page perPage total totalPages
        items { ...RestLibrary }
      }
    }
  `),
);

const GetLibraryOperation = fixedOperation(
  graphql(`
    query RestGetLibrary($id: ID!) {
      library(id: $id) { ...RestLibrary }
    }
  `),
);

const CreateLibraryOperation = fixedOperation(
  graphql(`
    mutation RestCreateLibrary($input: CreateLibraryInput!, $idempotencyKey: String) {
      createLibrary(input: $input, idempotencyKey: $idempotencyKey) { ...RestLibrary }
    }
  `),
);

const UpdateLibraryOperation = fixedOperation(
  graphql(`
    mutation RestUpdateLibrary($id: ID!, $input: UpdateLibraryInput!) {
      updateLibrary(id: $id, input: $input) { ...RestLibrary }
    }
  `),
);

const DeleteLibraryOperation = fixedOperation(
  graphql(`
    mutation RestDeleteLibrary($id: ID!) {
      deleteLibrary(id: $id) { ...RestLibrary }
    }
  `),
);

const LibraryAssetsOperation = fixedOperation(
  graphql(`
    query RestLibraryAssets($id: ID!, $page: Int, $perPage: Int, $assetType: AssetType, $search: String, $sort: AssetSort, $order: SortOrder) {
      library(id: $id) {
        assets(page: $page, perPage: $perPage, filter: { assetType: $assetType, search: $search }, sort: $sort, order: $order) {
          ...RestAssetPage
        }
      }
    }
  `),
);

/** A library in REST: snake_case, every field present. */
export function toRestLibrary(library: RestLibraryFragment) {
  return {
    id: library.id,
    name: library.name,
    slug: library.slug,
    description: library.description ?? null,
    asset_count: library.assetCount,
    created_at: library.createdAt,
    updated_at: library.updatedAt,
  };
}

const writableFields = { name: 'name', description: 'description' } as const;

export function libraryRoutes(app: FastifyInstance, shim: Shim) {
  app.get('/libraries', async (req, reply) => {
    const q = req.query as Record<string, unknown>;
    const result = await shim.run(req, ListLibrariesOperation, { page: queryValue(q.page) as number, perPage: queryValue(q.per_page) as number });
    if (result.errors?.length || !result.data) return sendGraphQLError(reply, result.errors ?? []);
    return listEnvelope(result.data.libraries, toRestLibrary);
  });

  app.post('/libraries', async (req, reply) => {
    const body = jsonObjectBody(req, reply);
    if (!body) return reply;
    const result = await shim.run(req, CreateLibraryOperation, {
      input: writableInput(body, writableFields) as never,
      idempotencyKey: idempotencyKeyHeader(req),
    });
    if (result.errors?.length || !result.data) return sendGraphQLError(reply, result.errors ?? []);
    return reply.status(201).send({ success: true, data: toRestLibrary(result.data.createLibrary) });
  });

  app.get('/libraries/:library_id', async (req, reply) => {
    const { library_id: id } = req.params as { library_id: string };
    const result = await shim.run(req, GetLibraryOperation, { id });
    if (result.errors?.length) return sendGraphQLError(reply, result.errors);
    if (!result.data?.library) return sendError(reply, 404, 'Library not found');
    return { success: true, data: toRestLibrary(result.data.library) };
  });

  app.patch('/libraries/:library_id', async (req, reply) => {
    const { library_id: id } = req.params as { library_id: string };
    const body = jsonObjectBody(req, reply);
    if (!body) return reply;
    const result = await shim.run(req, UpdateLibraryOperation, { id, input: writableInput(body, writableFields) as never });
    if (result.errors?.length || !result.data) return sendGraphQLError(reply, result.errors ?? []);
    return { success: true, data: toRestLibrary(result.data.updateLibrary) };
  });

  app.delete('/libraries/:library_id', async (req, reply) => {
    const { library_id: id } = req.params as { library_id: string };
    const result = await shim.run(req, DeleteLibraryOperation, { id });
    if (result.errors?.length || !result.data) return sendGraphQLError(reply, result.errors ?? []);
    return { success: true, data: toRestLibrary(result.data.deleteLibrary) };
  });

  app.get('/libraries/:library_id/assets', async (req, reply) => {
    const { library_id: id } = req.params as { library_id: string };
    const result = await shim.run(req, LibraryAssetsOperation, { id, ...assetListVariables(req.query as Record<string, unknown>) });
    if (result.errors?.length) return sendGraphQLError(reply, result.errors);
    if (!result.data?.library) return sendError(reply, 404, 'Library not found');
    return listEnvelope(result.data.library.assets, toRestAsset);
  });
}
