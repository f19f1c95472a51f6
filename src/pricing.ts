/** Token usage of a task and its cost from the price table (MODEL_PRICES), as responses show it. */
import type { Config } from './config.js';
import type { Usage } from './contract/index.js';

export type Pricing = Config['pricing'];

export interface UsageCounts {
  model: string | null; prompt_tokens: number; completion_tokens: number; tokens_estimated: boolean;
  reused_prompt_tokens?: number; reused_completion_tokens?: number;
}

/** Cost of the tokens at the model's prices per 1M tokens; null when the model has no price. */
export function tokenCost(usage: UsageCounts, pricing: Pricing): number | null {
  const price = usage.model === null ? undefined : pricing.prices[usage.model];
  if (!price) return null;
  const cost = (usage.prompt_tokens * price.input + usage.completion_tokens * price.output) / 1_000_000;
  // Micro-units: enough for a page's fraction of a cent, without float noise such as 0.30000000000000004.
  return Math.round(cost * 1e6) / 1e6;
}

/** The `usage` object of task responses; currency is that of `cost`, null with it. */
export function usageView(usage: UsageCounts, pricing: Pricing = { prices: {}, currency: 'USD' }): Usage {
  const cost = tokenCost(usage, pricing);
  return {
    model: usage.model,
    prompt_tokens: usage.prompt_tokens,
    completion_tokens: usage.completion_tokens,
    total_tokens: usage.prompt_tokens + usage.completion_tokens,
    estimated: usage.tokens_estimated,
    cost,
    currency: cost === null ? null : pricing.currency,
    reused_prompt_tokens: usage.reused_prompt_tokens ?? 0,
    reused_completion_tokens: usage.reused_completion_tokens ?? 0,
  };
}
