/**
 * Call detail records after they are made (issue 11): the agent's on-disk buffer, the `cdr/1`
 * upload messages, the hub's store and its reader. The agent's uploader is src/agent-cdr.ts, the
 * hub's service src/hub-cdr.ts, the command `sbc-agent hub cdr` src/cli/hub-cdr.ts.
 */
export { CdrBuffer, DEFAULT_MAX_BYTES, DEFAULT_MAX_RECORDS, DROP_LOG_EVERY, type CdrBufferOptions, type CdrBufferStats } from './buffer.js';
export {
  CDR_STREAM_LABEL,
  CdrError,
  MAX_ACK_BYTES,
  MAX_BATCH_BYTES,
  MAX_BATCH_RECORDS,
  MAX_ID_LENGTH,
  MAX_RECORD_BYTES,
  cdrIdOf,
  cdrRecordProblem,
  decodeCdrAck,
  decodeCdrBatch,
  encodeCdrAck,
  encodeCdrBatch,
  type CdrAck,
  type CdrBatch,
} from './messages.js';
export { CdrStore, DEFAULT_RETENTION_DAYS, MAX_CACHED_DAYS, utcDay, type CdrStoreOptions, type CdrStoreResult, type CdrStoreStats } from './store.js';
export { CDR_TABLE_HEADER, cdrRow, formatCdrTable, parseSince, readCdrStore, type CdrQuery, type CdrQueryResult } from './query.js';
