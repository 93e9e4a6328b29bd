// The agent's routing core at work (issue 11 "Execution"): the B2BUA, the local registrar, the local call path, and their seams.
export type { CallOrigin, PhoneContact, PhoneLocator, StatusStore } from './types.js';
export { B2bua, type B2buaOptions } from './b2bua.js';
export type { B2buaCallState, B2buaCallSummary, B2buaEvent, ExtensionDialog } from './call-types.js';
export { DIALOG_INFO_CONTENT_TYPE, encodeDialogInfo, type DialogInfoDialog, type DialogInfoDocument, type DialogInfoState, type DialogTerminatedEvent } from './dialog-info.js';
export { DialogWatchers, LOOK_MS, MAX_SUBSCRIBE_EXPIRES_S, MIN_SUBSCRIBE_EXPIRES_S, type DialogWatchersCounters, type DialogWatchersOptions } from './dialog-watchers.js';
export { MailboxLamps, type MailboxLampsOptions, type MailboxSummary } from './mailbox-lamps.js';
export { trunkFailureStatus } from './trunk-failure.js';
export { UdpMediaAnchor, type CallMediaBridge, type MediaAnchor, type UdpMediaAnchorOptions } from './media-anchor.js';
export { HoldMusic, holdMusicFormat, type HoldMusicFormat } from './hold-music.js';
export { FileStatusStore, type StatusFileIo } from './status-file.js';
export { TrunkRegistrations, type TrunkRegistrationsOptions } from './trunk-registrations.js';
export { FALLBACK_REALM, PhoneAuth, type AuthOutcome, type PhoneAuthOptions } from './phone-auth.js';
export { DEFAULT_REGISTER_EXPIRES, RegisterFormatError, registerAsk, userOf, type RegisterAsk, type RequestedContact } from './register-request.js';
export { FailureCounter } from './failure-counter.js';
export {
  LocalRegistrar, MAX_BINDINGS_PER_EXTENSION, MAX_EXPIRES_S, MIN_EXPIRES_S,
  type BindingStore, type LocalBinding, type LocalRegistrarOptions, type RegistrarCounters, type RegistrarEvents,
} from './registrar.js';
export { REGISTRATIONS_FILE, RegistrationsFile, type RegistrationsFileIo } from './registrations-file.js';
export { LOCAL_ALLOW, LocalCallPath, NO_CALL_HANDLER, trunkAt, type CallHandler, type SubscriptionHandler, type LocalCallPathCounters, type LocalCallPathOptions } from './local-call-path.js';
export { FilePromptLibrary, PROMPTS_FOLDER, fallbackPrompt, type PromptLibrary } from './prompt-library.js';
export { MUSIC_ON_HOLD_FIELD, musicOnHoldPath, readMusicOnHold } from './music-on-hold-file.js';
