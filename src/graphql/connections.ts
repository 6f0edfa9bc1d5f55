import { getConnectionPageSize, validateConnectionArguments } from '@pothos/core';
import { formatPrismaCursor, parsePrismaCursor } from '@pothos/plugin-prisma';
import { Kind, type GraphQLResolveInfo } from 'graphql';
import { assetSorts, maxTitleLength, type AssetPosition, type AssetSort } from '../domain/assets.ts';
import { ValidationError } from '../domain/errors.ts';
import { isStorable, withinLength } from '../domain/text.ts';

export interface ConnectionArgs {
  first?: number | null;
  last?: number | null;
  after?: string | null;
  before?: string | null;
}

const exclusiveArgs = [
  ['last', 'first'],
  ['before', 'after'],
  ['before', 'first'],
  ['last', 'after'],
] as const;

/**
 * What a connection's arguments ask for: forwards (`first`/`after`) or backwards (`last`/`before`),
 * never both, as plugin-prisma's connections had it. `take` is one row more than the page (to
 * know whether another follows), negative for a backward page.
 */
export function cursorPage(args: ConnectionArgs, sizes: { defaultSize: number; maxSize: number }) {
  validateConnectionArguments(args);
  for (const [field, other] of exclusiveArgs) {
    if (args[field] != null && args[other] != null) throw new ValidationError(field, `Pass either ${other} or ${field}, not both`);
  }
  const { limit } = getConnectionPageSize({ args, ...sizes });
  const backward = args.before != null || args.last != null;
  return { take: backward ? -limit : limit, cursor: args.before ?? args.after ?? null, backward };
}

/** The connection for the rows a `cursorPage` read, as plugin-prisma's connections answered it. */
export function connectionOf<T>(args: ConnectionArgs, rows: T[], take: number, cursorOf: (row: T) => string) {
  const full = rows.length === Math.abs(take);
  const backward = take < 0;
  const nodes = full ? rows.slice(backward ? 1 : 0, backward ? rows.length : -1) : rows;
  const edges = nodes.map((node) => ({ cursor: cursorOf(node), node }));
  return {
    edges,
    pageInfo: {
      startCursor: edges[0]?.cursor ?? null,
      endCursor: edges.at(-1)?.cursor ?? null,
      hasPreviousPage: args.after != null || (backward && full),
      hasNextPage: args.before != null || (!backward && full),
    },
  };
}

/** Whether a connection field asks for its totalCount alone, so that no page need be read. */
export function selectsOnlyTotalCount(info: GraphQLResolveInfo): boolean {
  return info.fieldNodes.every((node) =>
    node.selectionSet?.selections.every((s) => s.kind === Kind.FIELD && (s.name.value === 'totalCount' || s.name.value === '__typename')),
  );
}

/*
 * An asset cursor is its position in the order it was read in: id, sort and that sort's value,
 * so the next page is one statement at any depth (domain `findAssetsAfterCursor`). It is written
 * in plugin-prisma's format (a tagged tuple under `GPC:`), which also reads the id-only cursors
 * plugin-prisma issued before; those still work, with a lookup.
 */
const cursorFields = ['id', 'sort', 'value'];

export function assetCursor(asset: { id: string; createdAt?: Date; title?: string; updatedAt?: Date }, sort: AssetSort): string {
  return formatPrismaCursor({ id: asset.id, sort, value: asset[sort] }, cursorFields);
}

export function parseAssetCursor(cursor: string, field: 'after' | 'before'): AssetPosition {
  let parsed: unknown;
  try {
    parsed = parsePrismaCursor(cursor);
  } catch {
    throw new ValidationError(field, 'Invalid cursor');
  }
  if (typeof parsed === 'string') return { id: parsed };
  if (Array.isArray(parsed) && parsed.length === cursorFields.length) {
    const [id, sort, value] = parsed as unknown[];
    if (typeof id === 'string' && isSortValue(sort, value)) return { id, sort, value: value as Date | string };
  }
  throw new ValidationError(field, 'Invalid cursor');
}

const sorts: readonly unknown[] = Object.values(assetSorts);
/** What PostgreSQL can compare the column with: a timestamp it can hold, a title the column could hold. */
const earliest = Date.parse('0001-01-01T00:00:00Z');
const latest = Date.parse('9999-12-31T23:59:59.999Z');

function isSortValue(sort: unknown, value: unknown): sort is AssetSort {
  if (!sorts.includes(sort)) return false;
  if (sort === 'title') return typeof value === 'string' && isStorable(value) && withinLength(value, maxTitleLength);
  return value instanceof Date && value.getTime() >= earliest && value.getTime() <= latest;
}
