// TypeScript shapes of the P4Runtime messages as p4rt/root.ts decodes them
// (camelCase, 64-bit integers as decimal strings, bytes as Uint8Array, the
// oneof member's name under the oneof's name). Only what this code reads.

export interface Uint128 {
  high?: string;
  low?: string;
}

export interface FieldMatch {
  fieldId?: number;
  exact?: { value?: Uint8Array };
  ternary?: { value?: Uint8Array; mask?: Uint8Array };
  lpm?: { value?: Uint8Array; prefixLen?: number };
  range?: { low?: Uint8Array; high?: Uint8Array };
  optional?: { value?: Uint8Array };
  other?: unknown;
  fieldMatchType?: string;
}

export interface ActionParam {
  paramId?: number;
  value?: Uint8Array;
}

export interface Action {
  actionId?: number;
  params?: ActionParam[];
}

export interface ActionProfileAction {
  action?: Action;
  weight?: number;
  watch?: number;
  watchPort?: Uint8Array;
}

export interface TableAction {
  action?: Action;
  actionProfileMemberId?: number;
  actionProfileGroupId?: number;
  actionProfileActionSet?: { actionProfileActions?: ActionProfileAction[] };
  type?: string;
}

export interface CounterData {
  byteCount?: string;
  packetCount?: string;
}

export interface TableEntry {
  tableId?: number;
  match?: FieldMatch[];
  action?: TableAction;
  priority?: number;
  controllerMetadata?: string;
  counterData?: CounterData;
  isDefaultAction?: boolean;
  idleTimeoutNs?: string;
  metadata?: Uint8Array;
  const?: boolean;
}

export interface Entity {
  tableEntry?: TableEntry;
  actionProfileMember?: unknown;
  actionProfileGroup?: unknown;
  directCounterEntry?: { tableEntry?: TableEntry; data?: CounterData };
  entity?: string;
}

export type UpdateType = 'UNSPECIFIED' | 'INSERT' | 'MODIFY' | 'DELETE';

export interface Update {
  type?: UpdateType;
  entity?: Entity;
}

export type Atomicity = 'CONTINUE_ON_ERROR' | 'ROLLBACK_ON_ERROR' | 'DATAPLANE_ATOMIC';

export interface WriteRequest {
  deviceId?: string;
  roleId?: string;
  role?: string;
  electionId?: Uint128;
  updates?: Update[];
  atomicity?: Atomicity;
}

export interface ReadRequest {
  deviceId?: string;
  role?: string;
  entities?: Entity[];
}

export interface ReadResponse {
  entities?: Entity[];
}

export interface PacketMetadata {
  metadataId?: number;
  value?: Uint8Array;
}

export interface RpcStatus {
  code?: number;
  message?: string;
  details?: { type_url?: string; value?: Uint8Array }[];
}

export interface MasterArbitrationUpdate {
  deviceId?: string;
  role?: { id?: string; name?: string; config?: unknown };
  electionId?: Uint128;
  status?: RpcStatus;
}

export interface StreamMessageRequest {
  arbitration?: MasterArbitrationUpdate;
  packet?: { payload?: Uint8Array; metadata?: PacketMetadata[] };
  update?: string;
}

export interface StreamError {
  canonicalCode?: number;
  message?: string;
  space?: string;
  code?: number;
  packetOut?: { packetOut?: { payload?: Uint8Array; metadata?: PacketMetadata[] } };
}

export interface StreamMessageResponse {
  arbitration?: MasterArbitrationUpdate;
  packet?: { payload?: Uint8Array; metadata?: PacketMetadata[] };
  error?: StreamError;
}

export interface P4Error {
  canonicalCode?: number;
  message?: string;
  space?: string;
  code?: number;
}

export interface ForwardingPipelineConfig {
  p4info?: Record<string, unknown>;
  p4DeviceConfig?: Uint8Array;
  cookie?: { cookie?: string };
}

export interface SetForwardingPipelineConfigRequest {
  deviceId?: string;
  role?: string;
  electionId?: Uint128;
  action?: 'UNSPECIFIED' | 'VERIFY' | 'VERIFY_AND_SAVE' | 'VERIFY_AND_COMMIT' | 'COMMIT' | 'RECONCILE_AND_COMMIT';
  config?: ForwardingPipelineConfig;
}

export interface GetForwardingPipelineConfigRequest {
  deviceId?: string;
  responseType?: 'ALL' | 'COOKIE_ONLY' | 'P4INFO_AND_COOKIE' | 'DEVICE_CONFIG_AND_COOKIE';
}

/** An election id as one 128-bit integer (unset = undefined). */
export function electionOf(e: Uint128 | undefined): bigint | undefined {
  if (!e) return undefined;
  return (BigInt(e.high ?? '0') << 64n) | BigInt(e.low ?? '0');
}

export function uint128(v: bigint): Uint128 {
  return { high: (v >> 64n).toString(), low: (v & ((1n << 64n) - 1n)).toString() };
}
