import { costLimitRule } from '@escape.tech/graphql-armor-cost-limit';
import { maxAliasesRule } from '@escape.tech/graphql-armor-max-aliases';
import { maxDepthRule } from '@escape.tech/graphql-armor-max-depth';
import { maxDirectivesRule } from '@escape.tech/graphql-armor-max-directives';
import { GraphQLError, type ParseOptions, type ValidationContext, type ValidationRule } from 'graphql';
import type { Config } from '../config.ts';

type Limits = Pick<Config, 'maxQueryDepth' | 'maxQueryCost' | 'maxQueryAliases' | 'maxQueryDirectives' | 'maxQueryTokens'>;

/** graphql-armor's refusals as validation errors with a code (it throws them bare, as "Syntax Error: …"). */
const rejection = {
  exposeLimits: true,
  propagateOnRejection: false,
  onReject: [
    (context: ValidationContext | null, error: GraphQLError) =>
      context?.reportError(new GraphQLError(error.message.replace(/^Syntax Error: /, ''), { extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } })),
  ],
};

/**
 * `__schema` answers the whole schema (~100 KB here): once per operation is all a client needs,
 * and aliasing it many times was a cheap way to make the server send megabytes.
 */
const singleSchemaIntrospection: ValidationRule = (context) => {
  let seen = 0;
  return {
    Field(node) {
      if (node.name.value === '__schema' && ++seen === 2) {
        context.reportError(new GraphQLError('__schema may be selected once per operation', { nodes: node, extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } }));
      }
    },
  };
};

/**
 * The operation limits (graphql-armor), as validation rules: yoga and the JSON POST path add them
 * to graphql-js's own. Aliases and directives are counted in introspection too. Depth and cost
 * leave introspection out: the standard introspection query (GraphiQL, codegen) is 21 levels deep
 * and costs ~87,000 by these weights, and it needs a key, is parsed under the token limit, and may
 * select `__schema` only once.
 */
export function queryLimitRules(config: Limits): ValidationRule[] {
  return [
    maxDepthRule({ n: config.maxQueryDepth, ...rejection }),
    costLimitRule({ maxCost: config.maxQueryCost, ...rejection }),
    maxAliasesRule({ n: config.maxQueryAliases, ...rejection }),
    maxDirectivesRule({ n: config.maxQueryDirectives, ...rejection }),
    singleSchemaIntrospection,
  ];
}

/** graphql-js stops parsing a document past this many tokens ("Syntax Error: Document contains more than N tokens"). */
export function queryParseOptions(config: Limits): ParseOptions {
  return { maxTokens: config.maxQueryTokens };
}
