/**
 * A submit's task options (contract TaskOptions) from its multipart fields and query parameters (a
 * field that is not empty wins over a parameter of the same name), checked by schemas.ts's taskOptionsFields: a bad
 * value is a 400 `invalid_option` naming the option and the rule.
 */
import type { TaskOptions } from '../../contract/index.js';
import { httpError } from './errors.js';
import { checkWebhookUrl } from '../../webhooks/url.js';
import { taskOptionsFields } from './schemas.js';

type Query = Record<string, string | string[] | undefined>;

/** What the service allows: MODELS, and whether tasks may have webhooks (WEBHOOK_SECRET) to private addresses (WEBHOOK_ALLOW_PRIVATE). */
export interface OptionRules { models: readonly string[]; webhooks: { signed: boolean; allowPrivate: boolean } }

export async function parseTaskOptions(fields: Record<string, string>, query: Query, rules: OptionRules): Promise<TaskOptions> {
  const given: Record<string, string> = {};
  for (const [name, value] of Object.entries(query)) {
    const last = Array.isArray(value) ? value.at(-1) : value;
    if (last !== undefined) given[name] = last;
  }
  // A form sends its empty inputs too: an empty field is no choice, and leaves the parameter.
  for (const [name, value] of Object.entries(fields)) if (value.trim() !== '') given[name] = value;
  const parsed = taskOptionsFields(rules.models).safeParse(given);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw httpError(400, 'invalid_option', `Option "${issue.path.map(String).join('.')}": ${issue.message}`);
  }
  // Only what was set: an option left out follows the service's setting, also after it changes.
  const options: TaskOptions = Object.fromEntries(Object.entries(parsed.data).filter(([, value]) => value !== undefined));
  if (options.webhook_events && !options.webhook_url) throw httpError(400, 'invalid_option', 'Option "webhook_events": only with webhook_url');
  if (options.webhook_url) options.webhook_url = await webhookTarget(options.webhook_url, rules.webhooks);
  return options;
}

/** A webhook_url the service can sign for and may call. */
async function webhookTarget(url: string, { signed, allowPrivate }: OptionRules['webhooks']): Promise<string> {
  if (!signed) throw httpError(400, 'webhooks_not_configured', 'Option "webhook_url": this server has no WEBHOOK_SECRET to sign webhooks with; ask its operator to set one');
  try {
    return await checkWebhookUrl(url, allowPrivate);
  } catch (err) {
    throw httpError(400, 'invalid_option', `Option "webhook_url": ${(err as Error).message}`);
  }
}
