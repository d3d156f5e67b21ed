// Validation of a Write, shared by every driver: request-level checks throw; each
// update yields either a validated update or its status, so drivers only apply
// semantics (existence, references, capacity).
import { canonicalOrUndefined, decodeOrThrow, halCodec, joinPath, messageCodec, problemsOf } from './codecs.js';
import { HalError, statusOf } from './errors.js';
import type { Atomicity, UpdateStatus, UpdateType, WriteRequest } from './generated/types.js';
import { keyString } from './entries.js';
import { tableCatalog, type TableSchema } from './schema.js';
import { checkTableRules } from './table-rules.js';

export interface ValidUpdate {
  readonly index: number;
  readonly type: Exclude<UpdateType, 'UPDATE_TYPE_UNSPECIFIED'>;
  readonly member: string;
  readonly table: TableSchema;
  /** Canonical body; for DELETE only the key fields. */
  readonly body: Record<string, unknown>;
  readonly key: string;
}

export type CheckedUpdate = { ok: true; update: ValidUpdate } | { ok: false; status: UpdateStatus };

export interface CheckedWrite {
  readonly atomicity: Atomicity;
  readonly expectedGeneration: number;
  readonly updates: CheckedUpdate[];
}

export interface WriteLimits {
  readonly maxBatchSize: number;
  readonly atomicityModes: readonly Atomicity[];
}

const invalidStatus = (reason: Parameters<typeof statusOf>[1], message: string, path: string): CheckedUpdate => ({
  ok: false,
  status: statusOf('INVALID_ARGUMENT', reason, message, path),
});

export function checkUpdate(raw: unknown, index: number): CheckedUpdate {
  const base = `updates[${index}]`;
  if (typeof raw !== 'object' || raw === null) return invalidStatus('FIELD_INVALID', 'an update must be an object', base);
  const u = raw as Record<string, unknown>;
  for (const k in u) {
    if (k !== 'type' && k !== 'entry' && Object.hasOwn(u, k) && u[k] !== undefined) return invalidStatus('FIELD_INVALID', `Update has no field "${k}"`, `${base}.${k}`);
  }
  const type = u.type;
  if (type !== 'INSERT' && type !== 'MODIFY' && type !== 'DELETE') {
    // UPDATE_TYPE_UNSPECIFIED and absence are the same thing on the wire.
    const missing = type === undefined || type === null || type === 'UPDATE_TYPE_UNSPECIFIED';
    return invalidStatus(missing ? 'FIELD_MISSING' : 'FIELD_INVALID', 'type must be INSERT, MODIFY or DELETE', `${base}.type`);
  }
  const entry = u.entry;
  if (typeof entry !== 'object' || entry === null) return invalidStatus('FIELD_MISSING', 'entry is required', `${base}.entry`);
  // One pass over own enumerable keys, as Object.entries would, without the arrays.
  let member = '';
  let count = 0;
  for (const k in entry) {
    if (!Object.hasOwn(entry, k)) continue;
    const v = (entry as Record<string, unknown>)[k];
    if (v === undefined || v === null) continue;
    if (count++ === 0) member = k;
  }
  if (count !== 1) {
    return invalidStatus(count ? 'FIELD_INVALID' : 'ONEOF_UNSET', 'entry must name exactly one table', `${base}.entry`);
  }
  const body = (entry as Record<string, unknown>)[member];
  const table = tableCatalog().get(member);
  if (!table) return invalidStatus('FIELD_INVALID', `TableEntry has no table "${member}"`, `${base}.entry.${member}`);
  const path = `${base}.entry.${member}`;
  const opts = { keyOnly: type === 'DELETE' };
  // The compiled check answers for valid bodies; the io-ts walk says why a body is not.
  let canon = canonicalOrUndefined(table.type, body, opts);
  if (canon === undefined) {
    const decoded = messageCodec(table.type, opts).decode(body);
    if (decoded._tag === 'Left') {
      const p = problemsOf(decoded.left, path)[0];
      return invalidStatus(p.reason, p.message, p.fieldPath);
    }
    canon = decoded.right as Record<string, unknown>;
  }
  if (type !== 'DELETE') {
    const rule = checkTableRules(member, canon);
    if (rule) return { ok: false, status: statusOf('INVALID_ARGUMENT', rule.reason, rule.message, joinPath(path, rule.path)) };
  }
  return { ok: true, update: { index, type, member, table, body: canon, key: keyString(table, canon) } };
}

/** Request-level checks throw HalError; per-update problems become statuses. */
export function checkWrite(req: WriteRequest, limits: WriteLimits): CheckedWrite {
  if (typeof req !== 'object' || req === null) throw HalError.of('FIELD_INVALID', 'a WriteRequest must be an object');
  const top = decodeOrThrow(halCodec<{ atomicity?: Atomicity; expectedGeneration?: number }>('WriteRequest', { keyOnly: false }), { ...req, updates: undefined });
  const atomicity = top.atomicity ?? 'CONTINUE_ON_ERROR';
  if (!limits.atomicityModes.includes(atomicity)) {
    throw HalError.of('ATOMICITY_UNSUPPORTED', `this device does not support ${atomicity} (supported: ${limits.atomicityModes.join(', ')})`, 'atomicity');
  }
  if (!Array.isArray(req.updates)) throw HalError.of(req.updates === undefined ? 'EMPTY_BATCH' : 'FIELD_INVALID', 'updates must be a non-empty list', 'updates');
  if (req.updates.length === 0) throw HalError.of('EMPTY_BATCH', 'a write needs at least one update', 'updates');
  if (req.updates.length > limits.maxBatchSize) {
    throw HalError.of('MESSAGE_TOO_LARGE', `${req.updates.length} updates exceed the batch limit of ${limits.maxBatchSize}`, 'updates');
  }
  return { atomicity, expectedGeneration: top.expectedGeneration ?? 0, updates: req.updates.map((u, i) => checkUpdate(u, i)) };
}
