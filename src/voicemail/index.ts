export { VoicemailError } from './errors.js';
export { EMPTY_INDEX, boxFolder, checkBoxId, counts, hashPin, parseBoxIndex, pinMatches, type BoxId, type BoxIndex, type BoxKind, type VoicemailMessage } from './box-index.js';
export { DEFAULT_MAX_MESSAGES, VoicemailStore, type VoicemailStoreEvents, type VoicemailStoreOptions } from './voicemail-store.js';
export { DEFAULT_MAX_UPLOADS, VoicemailUploadQueue, type UploadEntry, type VoicemailUploadQueueOptions } from './upload-queue.js';
export { MESSAGE_SUMMARY_CONTENT_TYPE, MESSAGE_SUMMARY_EVENT, boxSummary, decodeMessageSummary, encodeMessageSummary, type MessageSummary } from './message-summary.js';
export { MwiNotifier, buildMwiNotify, type MwiContact, type MwiCounters, type MwiNotifierOptions } from './mwi-notifier.js';
export {
  DEFAULT_ACCESS_NUMBER,
  MAX_PIN_ATTEMPTS,
  MENU_IDLE_TIMEOUT_MS,
  PIN_DIGIT_TIMEOUT_MS,
  VoicemailAccessFlow,
  type AccessAction,
  type AccessFlowOptions,
  type AccessPrompt,
  type AccessState,
} from './access-flow.js';
export { BEEP, DEFAULT_MAX_MESSAGE_SECONDS, DEFAULT_MIN_MESSAGE_SECONDS, VoicemailDeposit, connectMwi, type DepositOptions, type DepositOutcome, type DepositState } from './deposit-session.js';
export { VoicemailAccessCall, type AccessCallOptions } from './access-call.js';
