/**
 * Parsing what clients send over the WebSocket (src/contract/websocket.ts), and the one table of
 * protocol errors (the old service's Chinese messages where it had them; docs/compatibility.md,
 * "WebSocket"). A bad message is answered with an `error` message; the connection stays up.
 */
import { CLIENT_MESSAGE_ALIASES, TASK_CLIENT_MESSAGE_TYPES, type ClientMessage, type TaskClientMessageType } from '../../contract/index.js';
import { UUID } from '../http/find-task.js';

export interface ProtocolError { code: string; message: string; task_id?: string }

export const PROTOCOL_ERRORS = {
  invalidJson: (): ProtocolError => ({ code: 'invalid_json', message: 'JSON格式错误' }),
  notText: (): ProtocolError => ({ code: 'invalid_json', message: 'JSON格式错误: 只接受文本消息' }),
  unknownType: (type: string): ProtocolError => ({ code: 'unknown_message_type', message: `未知消息类型: ${type}` }),
  missingTaskId: (): ProtocolError => ({ code: 'missing_task_id', message: '缺少task_id参数' }),
  taskNotFound: (taskId: string): ProtocolError => ({ code: 'task_not_found', message: '任务不存在', task_id: taskId }),
  tooManySubscriptions: (limit: number): ProtocolError =>
    ({ code: 'too_many_subscriptions', message: `每个连接最多订阅 ${limit} 个任务: 先取消不再关注的任务` }),
  internal: (): ProtocolError => ({ code: 'internal_error', message: '服务器内部错误' }),
};

const isTaskMessage = (type: string): type is TaskClientMessageType => (TASK_CLIENT_MESSAGE_TYPES as readonly string[]).includes(type);

export function parseClientMessage(text: string): ClientMessage | { error: ProtocolError } {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { error: PROTOCOL_ERRORS.invalidJson() };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return { error: PROTOCOL_ERRORS.invalidJson() };
  const fields = value as Record<string, unknown>;
  const rawType = typeof fields.type === 'string' ? fields.type : String(fields.type);
  const type = CLIENT_MESSAGE_ALIASES[rawType] ?? rawType;
  if (type === 'ping') return { type };
  if (!isTaskMessage(type)) return { error: PROTOCOL_ERRORS.unknownType(rawType.slice(0, 100)) };
  const taskId = fields.task_id;
  if (typeof taskId !== 'string' || taskId === '') return { error: PROTOCOL_ERRORS.missingTaskId() };
  // A malformed id names no task: the same answer as an unknown one, as on HTTP.
  if (!UUID.test(taskId)) return { error: PROTOCOL_ERRORS.taskNotFound(taskId.slice(0, 100)) };
  return { type, task_id: taskId.toLowerCase() };
}
