import type { FastifyInstance } from 'fastify';
import { graphql } from '../../generated/graphql/index.ts';
import type { RestAssetFragment } from '../../generated/graphql/graphql.ts';
import { fixedOperation } from '../../graphql/execute.ts';
import { restEnumValue } from '../../graphql/enums.ts';
import { toGraphQLEnum } from './enums.ts';
import { sendError, sendGraphQLError } from './errors.ts';
import { idempotencyKeyHeader, jsonObjectBody, listEnvelope, queryValue, writableInput, type Shim } from './shim.ts';

/**
 * /api/v1/assets: each route runs one fixed GraphQL operation against the schema and reshapes
 * the result. Rules (validation, scopes, workspace filters) all live in the schema.
 */

graphql(`
  fragment RestAssetPage on AssetPage {
    page perPage total totalPages
    items { ...RestAsset }
  }
`);

graphql(`
  fragment RestAsset on Asset {
    id title slug description assetType downloadCount isPublic libraryId createdAt updatedAt
    ... on FileAsset { filePath fileSize mimeType checksumSha256 thumbnailPath }
    ... on PdfAsset { pageCount wordCount }
    ... on DocumentAsset { pageCount wordCount }
    ... on ImageAsset { width height }
    ... on VideoAsset { width height durationSeconds }
    ... on AudioAsset { durationSeconds }
    ... on ExternalVideoAsset { externalUrl videoEmbed }
    ... on LinkAsset { externalUrl }
    ... on GitAsset { repositoryUrl: externalUrl }
  }
`);

const ListAssetsOperation = fixedOperation(
  graphql(`
    query RestListAssets($page: Int, $perPage: Int, $assetType: AssetType, $search: String, $sort: AssetSort, $order: SortOrder) {
      assets(page: $page, perPage: $perPage, filter: { assetType: $assetType, search: $search }, sort: $sort, order: $order) {
        ...RestAssetPage
      }
    }
  `),
);

const GetAssetOperation = fixedOperation(
  graphql(`
    query RestGetAsset($id: ID!) {
      asset(id: $id) { ...RestAsset }
    }
  `),
);

const CreateAssetOperation = fixedOperation(
  graphql(`
    mutation RestCreateAsset($input: CreateAssetInput!, $idempotencyKey: String) {
      createAsset(input: $input, idempotencyKey: $idempotencyKey) { ...RestAsset }
    }
  `),
);

const UpdateAssetOperation = fixedOperation(
  graphql(`
    mutation RestUpdateAsset($id: ID!, $input: UpdateAssetInput!) {
      updateAsset(id: $id, input: $input) { ...RestAsset }
    }
  `),
);

const DeleteAssetOperation = fixedOperation(
  graphql(`
    mutation RestDeleteAsset($id: ID!) {
      deleteAsset(id: $id) { ...RestAsset }
    }
  `),
);

const RestoreAssetOperation = fixedOperation(
  graphql(`
    mutation RestRestoreAsset($id: ID!) {
      restoreAsset(id: $id) { ...RestAsset }
    }
  `),
);

type AnyAsset = Partial<
  Record<
    | keyof RestAssetFragment
    | 'filePath'
    | 'fileSize'
    | 'mimeType'
    | 'checksumSha256'
    | 'thumbnailPath'
    | 'pageCount'
    | 'wordCount'
    | 'width'
    | 'height'
    | 'durationSeconds'
    | 'externalUrl'
    | 'videoEmbed'
    | 'repositoryUrl',
    unknown
  >
>;

/** The spec's asset: snake_case, every field present, null where it does not apply. */
export function toRestAsset(asset: RestAssetFragment) {
  const a = asset as AnyAsset;
  return {
    id: a.id,
    title: a.title,
    slug: a.slug,
    description: a.description ?? null,
    asset_type: restEnumValue(asset.assetType),
    file_path: a.filePath ?? null,
    file_size: a.fileSize ?? null,
    mime_type: a.mimeType ?? null,
    checksum_sha256: a.checksumSha256 ?? null,
    thumbnail_path: a.thumbnailPath ?? null,
    page_count: a.pageCount ?? null,
    word_count: a.wordCount ?? null,
    width: a.width ?? null,
    height: a.height ?? null,
    duration_seconds: a.durationSeconds ?? null,
    external_url: a.externalUrl ?? a.repositoryUrl ?? null,
    video_embed: a.videoEmbed ?? null,
    download_count: a.downloadCount,
    is_public: a.isPublic,
    library_id: a.libraryId ?? null,
    created_at: a.createdAt,
    updated_at: a.updatedAt,
  };
}

/** The asset list's query parameters (GET /assets, GET /libraries/{id}/assets) as the schema's arguments. */
export function assetListVariables(q: Record<string, unknown>) {
  return {
    page: queryValue(q.page) as number,
    perPage: queryValue(q.per_page) as number,
    assetType: toGraphQLEnum('assetType', q.asset_type) as never,
    search: q.search as string,
    sort: toGraphQLEnum('sort', q.sort) as never,
    order: toGraphQLEnum('order', q.order) as never,
  };
}

/** Body fields a client may set, REST name → GraphQL input name. Anything else (id, slug, download_count …) is ignored. */
const writableFields = {
  title: 'title',
  description: 'description',
  asset_type: 'assetType',
  external_url: 'externalUrl',
  is_public: 'isPublic',
  file_path: 'filePath',
  library_id: 'libraryId',
} as const;

function assetInput(body: Record<string, unknown>) {
  const input = writableInput(body, writableFields);
  if ('assetType' in input) input.assetType = toGraphQLEnum('assetType', input.assetType);
  return input as never;
}

export function assetRoutes(app: FastifyInstance, shim: Shim) {
  app.get('/assets', async (req, reply) => {
    const result = await shim.run(req, ListAssetsOperation, assetListVariables(req.query as Record<string, unknown>));
    if (result.errors?.length || !result.data) return sendGraphQLError(reply, result.errors ?? []);
    return listEnvelope(result.data.assets, toRestAsset);
  });

  app.get('/assets/:asset_id', async (req, reply) => {
    const { asset_id: id } = req.params as { asset_id: string };
    const result = await shim.run(req, GetAssetOperation, { id });
    if (result.errors?.length) return sendGraphQLError(reply, result.errors);
    if (!result.data?.asset) return sendError(reply, 404, 'Asset not found');
    return { success: true, data: toRestAsset(result.data.asset) };
  });

  app.post('/assets', async (req, reply) => {
    const body = jsonObjectBody(req, reply);
    if (!body) return reply;
    const result = await shim.run(req, CreateAssetOperation, { input: assetInput(body), idempotencyKey: idempotencyKeyHeader(req) });
    if (result.errors?.length || !result.data) return sendGraphQLError(reply, result.errors ?? []);
    return reply.status(201).send({ success: true, data: toRestAsset(result.data.createAsset) });
  });

  app.patch('/assets/:asset_id', async (req, reply) => {
    const { asset_id: id } = req.params as { asset_id: string };
    const body = jsonObjectBody(req, reply);
    if (!body) return reply;
    const result = await shim.run(req, UpdateAssetOperation, { id, input: assetInput(body) });
    if (result.errors?.length || !result.data) return sendGraphQLError(reply, result.errors ?? []);
    return { success: true, data: toRestAsset(result.data.updateAsset) };
  });

  // 200 with the asset as deleted (not 204): a client can show what went and offer to restore it.
  app.delete('/assets/:asset_id', async (req, reply) => {
    const { asset_id: id } = req.params as { asset_id: string };
    const result = await shim.run(req, DeleteAssetOperation, { id });
    if (result.errors?.length || !result.data) return sendGraphQLError(reply, result.errors ?? []);
    return { success: true, data: toRestAsset(result.data.deleteAsset) };
  });

  app.post('/assets/:asset_id/restore', async (req, reply) => {
    const { asset_id: id } = req.params as { asset_id: string };
    const result = await shim.run(req, RestoreAssetOperation, { id });
    if (result.errors?.length || !result.data) return sendGraphQLError(reply, result.errors ?? []);
    return { success: true, data: toRestAsset(result.data.restoreAsset) };
  });
}
