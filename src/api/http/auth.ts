/** The password gate of the HTTP routes: the rule of src/auth.ts as Koa middleware. */
import type { Middleware } from 'koa';
import { authenticate, isAzureRequest } from '../../auth.js';
import { httpError } from './errors.js';

export interface AuthState { /** The path prefix the client used, e.g. "/pwd"; "" when PASSWORD is empty. */ prefix: string }

export function requirePassword(password: string): Middleware<AuthState> {
  return async (ctx, next) => {
    const auth = authenticate(ctx.path, { authorization: ctx.get('authorization'), subscriptionKey: ctx.get('ocp-apim-subscription-key') || undefined }, password);
    if (!auth) {
      // Azure clients expect a 401 for a missing or wrong key (api/azure/errors.ts gives it Azure's shape);
      // it says nothing about the prefix, since a wrong prefix gets the same answer.
      if (isAzureRequest(ctx.path)) throw httpError(401, 'access_denied', 'Access denied due to invalid subscription key or wrong API endpoint');
      // A wrong password looks exactly like an unknown route, as in the service this one replaces.
      throw httpError(404, 'not_found', 'Not Found');
    }
    ctx.state.prefix = auth.prefix;
    ctx.path = auth.path;
    await next();
  };
}
