import { costLimitRule } from '@escape.tech/graphql-armor-cost-limit';
import { maxAliasesRule } from '@escape.tech/graphql-armor-max-aliases';
import { maxDepthRule } from '@escape.tech/graphql-armor-max-depth';
import { maxDirectivesRule } from '@escape.tech/graphql-armor-max-directives';
import { GraphQLError, type ParseOptions, type ValidationContext, type ValidationRule } from 'graphql';
import type { Config } from '../config.ts';
import { ErrorCode } from './errors.ts';

type Limits = Pick<Config, 'maxQueryDepth' | 'maxQueryCost' | 'maxQueryAliases' | 'maxQueryDirectives' | 'maxQueryTokens'>;

/**
 * graphql-armor reports a refusal as a "Syntax Error" without a code; it is reported here as a
 * validation error of its own code instead (the message keeps the limit and what was found).
 */
function refuseWith(code: string) {
  const reject = (context: ValidationContext | null, error: GraphQLError) =>
    context?.reportError(new GraphQLError(error.message.replace(/^Syntax Error: /, ''), { extensions: { code } }));
  return { onReject: [reject], propagateOnRejection: false };
}

/**
 * `__schema` answers the whole schema (~100 KB here): once per operation is all a client needs,
 * and aliasing it many times would be a cheap way to make the server send megabytes.
 */
const singleSchemaIntrospection: ValidationRule = (context) => {
  let seen = 0;
  return {
    Field(node) {
      if (node.name.value === '__schema' && ++seen === 2) {
        context.reportError(
          new GraphQLError('__schema may be selected once per operation', { nodes: node, extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } }),
        );
      }
    },
  };
};

/**
 * The operation limits (graphql-armor), as validation rules: yoga and the JSON POST path add them
 * to graphql-js's own, and each refusal has its own code. Aliases and directives are counted in
 * introspection too, and depth and cost count `__type`. They leave `__schema` out: the standard
 * introspection query (GraphiQL, codegen) is 21 levels deep and costs ~87,000 by these weights; it
 * needs a key, is parsed under the token limit, may select `__schema` only once, and graphql-js's
 * MaxIntrospectionDepthRule bounds its nesting.
 */
export function queryLimitRules(config: Limits): ValidationRule[] {
  return [
    maxDepthRule({ n: config.maxQueryDepth, exposeLimits: true, ...refuseWith(ErrorCode.depthLimit) }),
    // A fragment is not a level of the answer: flattened, `... on PdfAsset { pageCount }` costs what
    // `pageCount` costs beside `id`. A literal `first`/`last` multiplies its field's cost (graphql-armor).
    costLimitRule({ maxCost: config.maxQueryCost, flattenFragments: true, exposeLimits: true, ...refuseWith(ErrorCode.costLimit) }),
    maxAliasesRule({ n: config.maxQueryAliases, exposeLimits: true, ...refuseWith(ErrorCode.aliasLimit) }),
    maxDirectivesRule({ n: config.maxQueryDirectives, exposeLimits: true, ...refuseWith(ErrorCode.directiveLimit) }),
    singleSchemaIntrospection,
  ];
}

/** graphql-js stops parsing a document past this many tokens ("Syntax Error: Document contains more than N tokens"). */
export function queryParseOptions(config: Limits): ParseOptions {
  return { maxTokens: config.maxQueryTokens };
}
