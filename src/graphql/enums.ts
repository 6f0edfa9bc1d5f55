/**
 * GraphQL spells enum values in SCREAMING_SNAKE_CASE (`EXTERNAL_VIDEO`, `CREATED_AT`, `ASC`);
 * the domain and the REST contract spell them in lower snake_case (`external_video`,
 * `created_at`, `asc`). This is the one mapping between the two.
 */
export function graphqlEnumName<V extends string>(restValue: V): Uppercase<V> {
  return restValue.toUpperCase() as Uppercase<V>;
}

export function restEnumValue<N extends string>(graphqlName: N): Lowercase<N> {
  return graphqlName.toLowerCase() as Lowercase<N>;
}

/**
 * Pothos enum values from `{ restValue: internalValue }`: each is named as GraphQL spells it and
 * resolves to the value the domain uses.
 */
export function enumValuesOf<const T extends Record<string, string>>(values: T) {
  return Object.fromEntries(Object.entries(values).map(([rest, value]) => [graphqlEnumName(rest), { value }])) as {
    [K in keyof T & string as Uppercase<K>]: { value: T[K] };
  };
}

/** `['pdf', 'image']` → `{ pdf: 'pdf', image: 'image' }`, for enums whose values are their own names. */
export function identityMap<const V extends string>(values: readonly V[]) {
  return Object.fromEntries(values.map((v) => [v, v])) as { [K in V]: K };
}
