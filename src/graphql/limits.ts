import { costLimitRule } from '@escape.tech/graphql-armor-cost-limit';
import { maxAliasesRule } from '@escape.tech/graphql-armor-max-aliases';
import { maxDepthRule } from '@escape.tech/graphql-armor-max-depth';
import type { ValidationRule } from 'graphql';
import type { Config } from '../config.ts';

type Limits = Pick<Config, 'maxQueryDepth' | 'maxQueryCost' | 'maxQueryAliases'>;

/** The depth, cost and alias limits (graphql-armor), as validation rules: yoga and the JSON POST path add them to graphql-js's own. */
export function queryLimitRules(config: Limits): ValidationRule[] {
  return [
    maxDepthRule({ n: config.maxQueryDepth, exposeLimits: true }),
    costLimitRule({ maxCost: config.maxQueryCost, exposeLimits: true }),
    maxAliasesRule({ n: config.maxQueryAliases, exposeLimits: true }),
  ];
}
