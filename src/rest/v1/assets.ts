import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Db } from '../../db/client.ts';
import { graphql } from '../../generated/graphql/index.ts';
import type { RestAssetFragment } from '../../generated/graphql/graphql.ts';
import { executeOperation, fixedOperation } from '../../graphql/execute.ts';
import type { Context } from '../../graphql/context.ts';
import { restEnumValue } from '../../graphql/enums.ts';
import { describeInternalError, unauthenticatedMessage } from '../../graphql/errors.ts';
import { toGraphQLEnum } from './enums.ts';
import { notJsonMessage, sendError, sendGraphQLError } from './errors.ts';

/**
 * /api/v1/assets: each route runs one fixed GraphQL operation against the schema and reshapes
 * the result. Rules (validation, scopes, workspace filters) all live in the schema.
 */

graphql(`
  fragment RestAsset on Asset {
    id title slug description assetType downloadCount isPublic createdAt updatedAt
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
        page perPage total totalPages
        items { ...RestAsset }
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
    mutation RestCreateAsset($input: CreateAssetInput!) {
      createAsset(input: $input) { ...RestAsset }
    }
  `),
);

type AnyAsset = Partial<Record<keyof RestAssetFragment | 'filePath' | 'fileSize' | 'mimeType' | 'checksumSha256' | 'thumbnailPath' | 'pageCount' | 'wordCount' | 'width' | 'height' | 'durationSeconds' | 'externalUrl' | 'videoEmbed' | 'repositoryUrl', unknown>>;

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
    created_at: a.createdAt,
    updated_at: a.updatedAt,
  };
}

/** Query strings are text: numbers become numbers, anything else goes to the schema as it is (and is refused there). */
function queryValue(value: unknown): unknown {
  if (typeof value === 'string' && /^-?\d+$/.test(value)) return Number(value);
  return value;
}

/** Body fields a client may set, REST name → GraphQL input name. Anything else (id, slug, download_count …) is ignored. */
const writableFields = {
  title: 'title',
  description: 'description',
  asset_type: 'assetType',
  external_url: 'externalUrl',
  is_public: 'isPublic',
  file_path: 'filePath',
} as const;

export function assetRoutes(app: FastifyInstance, { db }: { db: Db }) {
  // Every route needs a key: without a valid one (verified before the body is read, in
  // src/http/access.ts) the answer is 401. Which scope a key needs is the schema's business.
  const contexts = new WeakMap<FastifyRequest, Context>();
  app.addHook('onRequest', async (req, reply) => {
    const principal = req.principal;
    if (!principal) return sendError(reply, 401, unauthenticatedMessage);
    contexts.set(req, { db, principal });
  });
  const contextOf = (req: FastifyRequest) => contexts.get(req)!;
  const logInternal = (req: FastifyRequest) => (error: unknown) => req.log.error(describeInternalError(error), 'unexpected error');

  app.get('/assets', async (req, reply) => {
    const q = req.query as Record<string, unknown>;
    const result = await executeOperation(
      ListAssetsOperation,
      {
        page: queryValue(q.page) as number,
        perPage: queryValue(q.per_page) as number,
        assetType: toGraphQLEnum('assetType', q.asset_type) as never,
        search: q.search as string,
        sort: toGraphQLEnum('sort', q.sort) as never,
        order: toGraphQLEnum('order', q.order) as never,
      },
      contextOf(req),
      logInternal(req),
    );
    if (result.errors?.length || !result.data) return sendGraphQLError(reply, result.errors ?? []);
    const page = result.data.assets;
    return {
      success: true,
      data: page.items.map(toRestAsset),
      pagination: { page: page.page, per_page: page.perPage, total: page.total, total_pages: page.totalPages },
    };
  });

  app.get('/assets/:asset_id', async (req, reply) => {
    const { asset_id: id } = req.params as { asset_id: string };
    const result = await executeOperation(GetAssetOperation, { id }, contextOf(req), logInternal(req));
    if (result.errors?.length) return sendGraphQLError(reply, result.errors);
    if (!result.data?.asset) return sendError(reply, 404, 'Asset not found');
    return { success: true, data: toRestAsset(result.data.asset) };
  });

  app.post('/assets', async (req, reply) => {
    if (!/^application\/(.+\+)?json\s*(;|$)/i.test(req.headers['content-type'] ?? '')) {
      return sendError(reply, 415, notJsonMessage);
    }
    const body = req.body;
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      return sendError(reply, 400, 'The request body must be a JSON object');
    }
    const input: Record<string, unknown> = {};
    for (const [restName, inputName] of Object.entries(writableFields)) {
      if (restName in body) input[inputName] = (body as Record<string, unknown>)[restName];
    }
    input.assetType = toGraphQLEnum('assetType', input.assetType);
    const result = await executeOperation(CreateAssetOperation, { input: input as never }, contextOf(req), logInternal(req));
    if (result.errors?.length || !result.data) return sendGraphQLError(reply, result.errors ?? []);
    return reply.status(201).send({ success: true, data: toRestAsset(result.data.createAsset) });
  });
}
