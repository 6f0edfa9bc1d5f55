import { assetSorts, assetTypes, sortOrders } from '../../domain/assets.ts';
import { ValidationError } from '../../domain/errors.ts';
import { graphqlEnumName } from '../../graphql/enums.ts';
import { label } from '../../graphql/input-errors.ts';

/** The contract's lower-case values of each REST enum, keyed by the GraphQL name of its field. */
const restEnums = {
  assetType: assetTypes,
  sort: Object.keys(assetSorts) as (keyof typeof assetSorts)[],
  order: sortOrders,
} as const;

/**
 * A REST enum value as GraphQL spells it (`external_video` → `EXTERNAL_VIDEO`). Only the
 * contract's own spellings are accepted, so a refusal lists them as REST clients know them.
 * Absent (or null) stays so: the schema's default or "is required" applies.
 */
export function toGraphQLEnum(field: keyof typeof restEnums, value: unknown) {
  if (value === undefined || value === null) return value;
  const values: readonly string[] = restEnums[field];
  if (typeof value === 'string' && values.includes(value)) return graphqlEnumName(value);
  throw new ValidationError(field, `${label(field)} must be one of: ${values.join(', ')}`);
}
