/**
 * A workflow history to and from JSON, in the shape `temporal workflow show --output json` prints:
 * what the SDK's historyToJSON / historyFromJSON (@temporalio/common/lib/proto-utils) do, and what
 * `Worker.runReplayHistories` does with a JSON history. Those throw "type must be a Type" in this
 * install: @temporalio/common and @temporalio/proto each got their own copy of protobufjs 8 (npm
 * cannot hoist it past the root's protobufjs 7, for @grpc/proto-loader), and protojson checks
 * `instanceof Type` against its own copy. So protojson is taken here from the copy that
 * @temporalio/proto's types were built with. Once `npm ls protobufjs` shows one 8.x copy, the SDK's
 * functions can take this file's place.
 */
import { createRequire } from 'node:module';
import proto from '@temporalio/proto';
import { patchProtobufRoot } from '@temporalio/proto/lib/patch-protobuf-root.js';

type History = proto.temporal.api.history.v1.History;
interface ReflectedType { create(value: unknown): unknown }
interface ProtoJson {
  toJson(type: ReflectedType, message: unknown): unknown;
  fromJson(type: ReflectedType, json: unknown, options: { ignoreUnknownFields: boolean }): unknown;
}

const protoPackage = createRequire(import.meta.url).resolve('@temporalio/proto');
const protojson = createRequire(protoPackage)('protobufjs/ext/protojson') as ProtoJson;
// The module object itself (a CommonJS default import), as the SDK passes it.
const root = patchProtobufRoot(proto as unknown as Record<string, unknown>) as unknown as { lookupType(name: string): ReflectedType };
const historyType = root.lookupType('temporal.api.history.v1.History');

/** Formatted JSON, one field a line: histories are kept in git, where diffs should be readable. */
export function historyToJSON(history: proto.temporal.api.history.v1.IHistory): string {
  const message = proto.temporal.api.history.v1.History.fromObject(history);
  return `${JSON.stringify(protojson.toJson(historyType, message), null, 2)}\n`;
}

/** Tolerates fields it does not know (a history from a newer server or SDK), as the SDK does. */
export function historyFromJSON(json: unknown): History {
  return protojson.fromJson(historyType, json, { ignoreUnknownFields: true }) as History;
}
