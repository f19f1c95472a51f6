/** The password gate of the HTTP routes: the rule of src/auth.ts as Koa middleware. */
import type { Middleware } from 'koa';
import { authenticate } from '../../auth.js';
import { httpError } from './errors.js';

export interface AuthState { /** The path prefix the client used, e.g. "/pwd"; "" when PASSWORD is empty. */ prefix: string }

export function requirePassword(password: string): Middleware<AuthState> {
  return async (ctx, next) => {
    const auth = authenticate(ctx.path, ctx.get('authorization'), password);
    // A wrong password looks exactly like an unknown route, as in the service this one replaces.
    if (!auth) throw httpError(404, 'not_found', 'Not Found');
    ctx.state.prefix = auth.prefix;
    ctx.path = auth.path;
    await next();
  };
}
