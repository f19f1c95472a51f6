/**
 * A submit's task options (contract TaskOptions) from its multipart fields and query parameters (a
 * field that is not empty wins over a parameter of the same name), checked by schemas.ts's taskOptionsFields: a bad
 * value is a 400 `invalid_option` naming the option and the rule.
 */
import type { TaskOptions } from '../../contract/index.js';
import { httpError } from './errors.js';
import { FUTURE_OPTIONS, taskOptionsFields } from './schemas.js';

type Query = Record<string, string | string[] | undefined>;

export function parseTaskOptions(fields: Record<string, string>, query: Query, models: readonly string[]): TaskOptions {
  const given: Record<string, string> = {};
  for (const [name, value] of Object.entries(query)) {
    const last = Array.isArray(value) ? value.at(-1) : value;
    if (last !== undefined) given[name] = last;
  }
  // A form sends its empty inputs too: an empty field is no choice, and leaves the parameter.
  for (const [name, value] of Object.entries(fields)) if (value.trim() !== '') given[name] = value;
  for (const name of FUTURE_OPTIONS) {
    if (given[name] !== undefined) throw httpError(400, 'invalid_option', `Option "${name}" is not supported by this version yet`);
  }
  const parsed = taskOptionsFields(models).safeParse(given);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw httpError(400, 'invalid_option', `Option "${issue.path.map(String).join('.')}": ${issue.message}`);
  }
  // Only what was set: an option left out follows the service's setting, also after it changes.
  return Object.fromEntries(Object.entries(parsed.data).filter(([, value]) => value !== undefined));
}
