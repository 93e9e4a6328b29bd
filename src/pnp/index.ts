export { build200, buildNotify, readSubscribe, responseTarget, type Agent, type DropReason, type ReadResult, type Subscribe } from './answer.js';
export {
  FetchStatus,
  MAX_FETCH_HEADER_BYTES,
  MAX_FETCH_REQUEST_BYTES,
  PROVISIONING_STREAM_LABEL,
  ProvisioningFetchError,
  checkFetchRequest,
  decodeFetchHeader,
  decodeFetchRequest,
  encodeFetchHeader,
  encodeFetchRequest,
  type FetchFailure,
  type FetchHeader,
  type FetchRequest,
} from './fetch-message.js';
export { INBOX_FILE_NAME, InboxFile, decodeInbox, type InboxData, type PhoneRecord, type PhoneState } from './inbox-file.js';
export { PNP_POLICIES, PhoneInbox, decide, mergeSightings, phoneId, type InboxDecision, type PnpPolicy } from './inbox.js';
export { NotifyTransaction, T1_MS, T2_MS, timerESchedule, type NotifyOutcome } from './notify-transaction.js';
export { provisioningUrl, type UrlShapeOptions } from './provisioning-url.js';
export { SourceRateLimiter, type RateLimitOptions } from '../core/index.js';
export { checkRequestPath, macsInPath, type PathCheck } from './relay-path.js';
export { ProvisioningRelay, type FetchContext, type RelayOptions, type RelayStats, type UpstreamFetcher, type UpstreamResult } from './relay.js';
export { PnpResponder, randomIds, type PnpIds, type PnpLan, type PnpResponderOptions, type PnpStats } from './responder.js';
export { VENDOR_RULES, customRule, substitute, type SubstitutionRule } from './substitute.js';
export { folderUpstream, httpUpstream } from './upstream.js';
export { findMac, identifyPhone, normaliseMac, parseEvent, type EventValue, type IdentifyInput, type PhoneBrand, type PhoneIdentity } from './vendor.js';
