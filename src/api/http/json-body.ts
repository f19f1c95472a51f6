/** JSON request bodies: parsed with a size limit; malformed JSON is a 400 with code invalid_json. */
import { bodyParser } from '@koa/bodyparser';
import type { Middleware } from 'koa';
import { httpError } from './errors.js';

export function jsonBody(): Middleware {
  return bodyParser({
    enableTypes: ['json'],
    jsonLimit: '256kb',
    onError: (err) => {
      const status = (err as { status?: number }).status;
      if (status === 413) throw httpError(413, 'body_too_large', 'The JSON body is larger than 256 KB');
      throw httpError(400, 'invalid_json', `JSON格式错误 (the body is not valid JSON: ${err.message})`);
    },
  });
}
