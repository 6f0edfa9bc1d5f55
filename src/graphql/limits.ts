import { costLimitRule } from '@escape.tech/graphql-armor-cost-limit';
import { maxAliasesRule } from '@escape.tech/graphql-armor-max-aliases';
import { maxDepthRule } from '@escape.tech/graphql-armor-max-depth';
import { GraphQLError, type ValidationContext, type ValidationRule } from 'graphql';
import type { Config } from '../config.ts';
import { ErrorCode } from './errors.ts';

type Limits = Pick<Config, 'maxQueryDepth' | 'maxQueryCost' | 'maxQueryAliases'>;

/**
 * graphql-armor reports a refusal as a "Syntax Error" without a code; it is reported here as a
 * validation error of its own code instead (the message keeps the limit and what was found).
 */
function refuseWith(code: string) {
  const reject = (context: ValidationContext | null, error: GraphQLError) =>
    context?.reportError(new GraphQLError(error.message.replace(/^Syntax Error: /, ''), { extensions: { code } }));
  return { onReject: [reject], propagateOnRejection: false };
}

/** The depth, cost and alias limits (graphql-armor), as validation rules: yoga and the JSON POST path add them to graphql-js's own. */
export function queryLimitRules(config: Limits): ValidationRule[] {
  return [
    maxDepthRule({ n: config.maxQueryDepth, exposeLimits: true, ...refuseWith(ErrorCode.depthLimit) }),
    // A fragment is not a level of the answer: flattened, `... on PdfAsset { pageCount }` costs what
    // `pageCount` costs beside `id`. A literal `first`/`last` multiplies its field's cost (graphql-armor).
    costLimitRule({ maxCost: config.maxQueryCost, flattenFragments: true, exposeLimits: true, ...refuseWith(ErrorCode.costLimit) }),
    maxAliasesRule({ n: config.maxQueryAliases, exposeLimits: true, ...refuseWith(ErrorCode.aliasLimit) }),
  ];
}
