/**
 * The WebSocket endpoint `/{PASSWORD}/ws?client_id=…` on the API's HTTP server. The password is
 * checked like every HTTP route (constant time; a wrong one is a 404), or taken from
 * `Authorization: Bearer` on the unprefixed `/ws`, before any WebSocket is made.
 */
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import { WebSocketServer } from 'ws';
import { authenticate } from '../../auth.js';
import type { TaskHub } from './hub.js';

/** Client messages are small commands; anything bigger is not one of ours. */
const MAX_MESSAGE_BYTES = 64 * 1024;
const CLIENT_ID = /^[\w.:@-]{1,128}$/;

/** Answers the upgrade request with a plain HTTP error in the API's JSON shape. */
function refuse(socket: Duplex, status: number, code: string, detail: string): void {
  const body = JSON.stringify({ detail, code });
  socket.end(
    `HTTP/1.1 ${status} ${http.STATUS_CODES[status]}\r\nContent-Type: application/json; charset=utf-8\r\n`
    + `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}

export function attachWebSocket(server: http.Server, opts: { password: string; hub: TaskHub; log: Logger }): void {
  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_MESSAGE_BYTES, clientTracking: false });
  server.on('upgrade', (req: http.IncomingMessage, socket: Duplex, head: Buffer) => {
    // A reset during the handshake must not become an uncaught error.
    socket.on('error', (err) => opts.log.debug({ err: err.message }, 'websocket handshake socket error'));
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (authenticate(url.pathname, { authorization: req.headers.authorization }, opts.password)?.path !== '/ws') return refuse(socket, 404, 'not_found', 'Not Found');
    const clientId = url.searchParams.get('client_id') || randomUUID();
    if (!CLIENT_ID.test(clientId)) {
      return refuse(socket, 400, 'invalid_client_id', 'client_id must be 1–128 letters, digits or . : @ _ -');
    }
    wss.handleUpgrade(req, socket, head, (ws) => opts.hub.accept(ws, clientId));
  });
}
