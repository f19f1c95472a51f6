/** JSON request bodies: parsed with a size limit; malformed JSON is a 400 with code invalid_json. */
import { bodyParser } from '@koa/bodyparser';
import type { Middleware } from 'koa';
import { httpError } from './errors.js';

const KB = 1024;

/** `limitKb`: the largest body taken (a larger one is a 413 body_too_large). */
export function jsonBody(limitKb = 256): Middleware {
  const limit = limitKb >= KB ? `${limitKb / KB} MB` : `${limitKb} KB`;
  return bodyParser({
    enableTypes: ['json'],
    jsonLimit: `${limitKb}kb`,
    onError: (err) => {
      const status = (err as { status?: number }).status;
      if (status === 413) throw httpError(413, 'body_too_large', `The JSON body is larger than ${limit}`);
      throw httpError(400, 'invalid_json', `JSON格式错误 (the body is not valid JSON: ${err.message})`);
    },
  });
}
