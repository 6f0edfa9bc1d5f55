import { lexicographicSortSchema, printSchema } from 'graphql';
import { builder } from './builder.ts';
import { enforceTextRule } from './text-inputs.ts';
import './types/asset.ts';
import './types/asset-queries.ts';
import './types/collection.ts';
import './types/library.ts';
import './types/library-queries.ts';
import './types/api-key.ts';
import './types/node.ts';
import './types/files.ts';
import './types/images.ts';
import './types/search.ts';
import './types/events.ts';
import './types/webhooks.ts';

/** Built once per process; every app instance shares it. */
export const schema = enforceTextRule(builder.toSchema({ sortSchema: false })); // definition order: enums list as the spec does

export function printSortedSchema(): string {
  return `${printSchema(lexicographicSortSchema(schema))}\n`;
}
