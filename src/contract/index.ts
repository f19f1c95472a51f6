/**
 * The one vocabulary of the service, shared by the server and the web page: types and constants
 * only, no Node or browser imports (both tsconfigs compile this folder; the workflow imports it too).
 */
export * from './tasks.js';
export * from './events.js';
export * from './rest.js';
export * from './websocket.js';
export * from './page.js';
export * from './webhooks.js';
export * from './files.js';
