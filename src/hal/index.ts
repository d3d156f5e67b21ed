// The public face of the HAL contract. Imports nothing else of ours.
export * from './generated/types.js';
export * from './addresses.js';
export * from './capabilities.js';
export * from './codecs.js';
export * from './digest.js';
export * from './entries.js';
export { Code, HalError, OK_STATUS, REASON_CODE, codeName, isHalError, statusOf, type CodeName, type HalReason } from './errors.js';
export type { CallOptions, Hal, Subscription } from './hal.js';
export * from './registry.js';
export * from './schema.js';
export * from './spec-root.js';
export * from './table-rules.js';
export * from './values.js';
export * from './write-validation.js';
export * from './value-support.js';
