/** Token totals per model across all tasks, for metrics (one index-free scan of the tasks rows). */
import type { Queryable } from './pool.js';

export interface ModelUsage { model: string | null; prompt_tokens: number; completion_tokens: number; tasks: number }

export async function tokenUsageByModel(db: Queryable): Promise<ModelUsage[]> {
  const { rows } = await db.query<ModelUsage>(
    `select model, sum(prompt_tokens)::bigint as prompt_tokens, sum(completion_tokens)::bigint as completion_tokens,
            count(*)::int as tasks
     from tasks group by model order by model nulls first`,
  );
  return rows;
}
