import { getNamedType, getNullableType, isAbstractType, isEnumType, isListType, isObjectType, type GraphQLField, type GraphQLObjectType } from 'graphql';
import { restEnumValue } from '../../graphql/enums.ts';
import { schema } from '../../graphql/schema.ts';
import { orNull, outputSchema, type JsonSchema } from './json-schema.ts';
import { toRestName } from './naming.ts';

/**
 * How a GraphQL type is shown on the REST face: the list of its fields below, in the contract's
 * order, is the only place they are spelled. From it come the GraphQL fragment the fixed
 * operations select (`...RestAsset`: every field on every type that has it), the JSON Schema of
 * the REST object (snake_case, every field present, null where a type lacks it; the OpenAPI
 * document's component, and the response serializer), and the mapping of a result onto it.
 */
export interface Representation {
  /** The OpenAPI component's name, e.g. `Asset`. */
  name: string;
  /** The fragment's name, e.g. `RestAsset`. */
  fragmentName: string;
  /** The text of this fragment and of those it spreads. */
  fragments: string;
  schema: JsonSchema;
  toRest(value: Record<string, unknown>): Record<string, unknown>;
}

interface Embedded {
  /** The GraphQL field holding the embedded object; its REST fields join this object's. */
  field: string;
  representation: Representation;
}

function fieldsOf(type: GraphQLObjectType): Record<string, GraphQLField<unknown, unknown>> {
  return type.getFields();
}

function sameTypes(a: readonly GraphQLObjectType[], b: readonly GraphQLObjectType[]) {
  return a.length === b.length && a.every((type) => b.includes(type));
}

/**
 * `nested` names fields holding a list of objects, each shown by its own representation (a search
 * hit's highlights); `embedded` an object whose fields join this one's.
 */
export function representation(
  typeName: string,
  fieldNames: readonly string[],
  embedded?: Embedded,
  nested: Record<string, Representation> = {},
): Representation {
  const type = schema.getType(typeName);
  if (!type || !(isObjectType(type) || isAbstractType(type))) throw new Error(`No object or interface ${typeName}`);
  const ownFields = 'getFields' in type ? (type.getFields() as Record<string, GraphQLField<unknown, unknown>>) : {};
  const implementations = isAbstractType(type) ? schema.getPossibleTypes(type) : [type];

  // Each field is selected once, on the type that has it exactly where it applies: the type itself,
  // else an interface whose types are precisely those having it (`... on FileAsset`), else each type.
  const selections = new Map<string, string[]>();
  const select = (on: string, name: string) => selections.set(on, [...(selections.get(on) ?? []), name]);
  const properties: Record<string, JsonSchema> = {};
  const enums = new Set<string>();
  const singleObjects = new Set<string>();
  for (const name of fieldNames) {
    const having = implementations.filter((implementation) => fieldsOf(implementation)[name]);
    const field = ownFields[name] ?? (having[0] && fieldsOf(having[0])[name]);
    if (!field) throw new Error(`No type implementing ${typeName} has a field ${name}`);
    // One field name, one type, on every type that has it (else no query could select them all).
    const types = new Set(having.map((implementation) => String(fieldsOf(implementation)[name].type)));
    if (types.size > 1) throw new Error(`${typeName}.${name} has several types: ${[...types].join(', ')}`);
    const inner = nested[name];
    const selection = inner ? `${name} { ...${inner.fragmentName} }` : name;
    if (ownFields[name]) select(typeName, selection);
    else {
      const covering = having[0].getInterfaces().find((candidate) => candidate.getFields()[name] && sameTypes(schema.getPossibleTypes(candidate), having));
      for (const on of covering ? [covering] : having) select(on.name, selection);
    }
    if (inner) {
      // A list of objects (a search hit's highlights), or one object, null where absent (an asset's placeholder).
      const { $id: _id, ...items } = inner.schema;
      const list = isListType(getNullableType(field.type));
      if (!list) singleObjects.add(name);
      properties[toRestName(name)] = list ? { type: 'array', items } : orNull(items);
      continue;
    }
    properties[toRestName(name)] = outputSchema(field.type, field, having.length < implementations.length);
    if (isEnumType(getNamedType(field.type))) enums.add(name);
  }

  const fragmentName = `Rest${typeName}`;
  const selectionText = [
    ...(selections.get(typeName) ?? []),
    ...[...selections].filter(([on]) => on !== typeName).map(([on, names]) => `... on ${on} { ${names.join(' ')} }`),
    ...(embedded ? [`${embedded.field} { ...${embedded.representation.fragmentName} }`] : []),
  ];
  const innerFragments = Object.values(nested).map((inner) => inner.fragments);
  const fragments = [
    `fragment ${fragmentName} on ${typeName} { ${selectionText.join(' ')} }`,
    embedded?.representation.fragments ?? '',
    ...innerFragments,
  ].join('\n');

  const restNames = fieldNames.map((name) => [name, toRestName(name), enums.has(name)] as const);
  const embeddedProperties = (embedded?.representation.schema.properties ?? {}) as Record<string, JsonSchema>;
  const allProperties = { ...properties, ...embeddedProperties };
  return {
    name: typeName,
    fragmentName,
    fragments,
    schema: { $id: typeName, type: 'object', additionalProperties: false, required: Object.keys(allProperties), properties: allProperties },
    toRest(value) {
      const rest: Record<string, unknown> = {};
      for (const [name, restName, isEnum] of restNames) {
        const field = value[name];
        const inner = nested[name];
        if (inner && singleObjects.has(name)) rest[restName] = field ? inner.toRest(field as Record<string, unknown>) : null;
        else if (inner) rest[restName] = ((field ?? []) as Record<string, unknown>[]).map((item) => inner.toRest(item));
        else rest[restName] = field === undefined || field === null ? null : isEnum ? restEnumValue(String(field)) : field;
      }
      if (embedded) Object.assign(rest, embedded.representation.toRest(value[embedded.field] as Record<string, unknown>));
      return rest;
    },
  };
}
