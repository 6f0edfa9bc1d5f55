import { isAbstractType, type GraphQLSchema } from 'graphql';

/**
 * Every interface and union of the schema with the object types that implement it, in the shape
 * Apollo Client's `possibleTypes` (and urql graphcache's `schema`-less fragment matching) expect:
 * `{ Asset: ['AudioAsset', …], Node: [...] }`. Without it Apollo cannot tell which concrete type
 * a fragment `... on FileAsset` matches, and drops those fields from its cache.
 */
export function possibleTypesOf(schema: GraphQLSchema): Record<string, string[]> {
  const possibleTypes: Record<string, string[]> = {};
  for (const type of Object.values(schema.getTypeMap())) {
    if (!isAbstractType(type) || type.name.startsWith('__')) continue;
    possibleTypes[type.name] = schema
      .getPossibleTypes(type)
      .map((object) => object.name)
      .sort();
  }
  return possibleTypes;
}
