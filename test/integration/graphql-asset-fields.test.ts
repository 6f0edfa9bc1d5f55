import { getNamedType, isLeafType, isNonNullType, parse, validate, type GraphQLField, type GraphQLInterfaceType, type GraphQLObjectType } from 'graphql';
import { describe, expect, it } from 'vitest';
import { schema } from '../../src/graphql/schema.ts';
import { useTestApp } from '../helpers/app.ts';

/**
 * A frontend may select every field of every asset type in one query (a list that shows any kind
 * of asset): a field name must have one type across the asset types, or GraphQL refuses the query
 * (OverlappingFieldsCanBeMerged) and codegen with it. The query is built from the schema, so a new
 * asset type or field is in it without anyone adding it here.
 */
const t = useTestApp();

const assetTypes = schema.getPossibleTypes(schema.getType('Asset') as GraphQLInterfaceType);
const fieldsOf = (type: GraphQLObjectType) => Object.values(type.getFields()) as GraphQLField<unknown, unknown>[];
/** Scalar and enum fields that need no argument. */
const leafFieldsOf = (type: GraphQLObjectType) =>
  fieldsOf(type).filter(
    (field) => isLeafType(getNamedType(field.type)) && field.args.every((arg) => !isNonNullType(arg.type) || arg.defaultValue !== undefined),
  );

const everyField = `query EveryAssetField {
  assets(perPage: 20, sort: TITLE, order: ASC) {
    items {
      __typename
${assetTypes
  .map(
    (type) =>
      `      ... on ${type.name} { ${leafFieldsOf(type)
        .map((field) => field.name)
        .join(' ')} }`,
  )
  .join('\n')}
    }
  }
}`;

describe('every field of every asset type', () => {
  it('has one type per field name across the asset types', () => {
    expect(assetTypes.length).toBeGreaterThanOrEqual(9);
    const typesByName = new Map<string, Set<string>>();
    for (const type of assetTypes) {
      for (const field of fieldsOf(type)) typesByName.set(field.name, (typesByName.get(field.name) ?? new Set()).add(String(field.type)));
    }
    const differing = [...typesByName].filter(([, types]) => types.size > 1).map(([name, types]) => `${name}: ${[...types].join(' / ')}`);
    expect(differing).toEqual([]);
  });

  it('can be selected in one query, which validates and runs', async () => {
    expect(validate(schema, parse(everyField)).map((error) => error.message)).toEqual([]);

    const key = await t.newKey();
    const assetTypeValues = (schema.getType('AssetType') as import('graphql').GraphQLEnumType).getValues().map((value) => value.name);
    for (const assetType of assetTypeValues) {
      const created = await t.app.inject({
        method: 'POST',
        url: '/graphql',
        headers: { authorization: `Bearer ${key}` },
        payload: {
          query: 'mutation($input: CreateAssetInput!) { createAsset(input: $input) { id } }',
          variables: {
            input: { title: assetType, assetType, externalUrl: ['LINK', 'EXTERNAL_VIDEO', 'GIT'].includes(assetType) ? 'https://youtu.be/xyz' : null },
          },
        },
      });
      expect(created.json().errors, assetType).toBeUndefined();
    }
    const response = await t.app.inject({ method: 'POST', url: '/graphql', headers: { authorization: `Bearer ${key}` }, payload: { query: everyField } });
    const { data, errors } = response.json();
    expect(errors).toBeUndefined();
    const items = data.assets.items as Record<string, unknown>[];
    expect(items.map((item) => item.__typename).sort()).toEqual(assetTypes.map((type) => type.name).sort());
    for (const item of items) {
      const type = assetTypes.find(({ name }) => name === item.__typename)!;
      expect(Object.keys(item).sort()).toEqual(['__typename', ...leafFieldsOf(type).map((field) => field.name)].sort());
    }
    expect(items.find((item) => item.__typename === 'GitAsset')?.externalUrl).toBe('https://youtu.be/xyz');
    expect(items.find((item) => item.__typename === 'LinkAsset')?.externalUrl).toBe('https://youtu.be/xyz');
  });

  it("keeps REST's external_url for a git asset: its URL, or null", async () => {
    const key = await t.newKey();
    const headers = { authorization: `Bearer ${key}` };
    for (const external_url of ['https://example.com/repo.git', undefined]) {
      const created = await t.app.inject({
        method: 'POST',
        url: '/api/v1/assets',
        headers,
        payload: { title: 'A repository', asset_type: 'git', external_url },
      });
      expect(created.json().data.external_url).toBe(external_url ?? null);
      const read = await t.app.inject({ method: 'GET', url: `/api/v1/assets/${created.json().data.id}`, headers });
      expect(read.json().data).toMatchObject({ asset_type: 'git', external_url: external_url ?? null });
    }
  });
});
