// The SBC call path: LAN phones ⇄ agent ⇄ tunnel ⇄ hub ⇄ PBX (README.md in this folder).
export { AgentCallPath, RESUME_GRACE_MS, type AgentCallPathOptions } from './agent-side.js';
export { FAR_SIDE_GONE_REASON, TunnelDialogs, byeToPhone, type TunnelDialog } from './tunnel-dialogs.js';
export type { SipAuthWatch } from './auth-watch.js';
export { HubCallPath, agentKeyOf, cancelFor, type HubCallPathOptions } from './hub-side.js';
export { CHANNEL_ATTRIBUTE, CallMedia, type CallLegInfo, type CallMediaOptions, type ChannelSource } from './call-media.js';
export { answerFailbackChallenge, type Ha1Lookup } from './failback-auth.js';
export { RegistrationCache, aorOf, digestUsername, requestedExpires, type Binding, type RegistrationCacheOptions } from './registrations.js';
export { MAX_AGENT_LANS, SipTunnelLink, sipPeerName, sipStreamLabel } from './sip-link.js';
export { SHARED_EVENT_PACKAGES, SharedSubscriptions, type SharedSubscriptionsOptions } from './subscriptions.js';
export { TUNNEL_HOST, callIdOf, headerList, mapContacts, phoneTag } from './sip-edit.js';
export { AgentSbc, HubSbc, openStack, type AgentSbcOptions, type CallReport, type HubSbcOptions, type SipListenOptions } from './services.js';
export { callsReport, formatCalls, type CallRow, type CallsDocument } from './calls-report.js';
export { hubCallPathService, sbcHubService, type HubCallPathServiceOptions, type SbcHubService, type SbcHubServiceOptions } from './hub-service.js';
export { T1_MS, T2_MS, TwoXxRetransmitter } from './retransmit-2xx.js';
export { RELAYED_REGISTRATIONS_FILE, decodeRelayed, encodeRelayed, type RelayedByLan, type RelayedRegistration } from './relayed-file.js';
export { relayedState, restoreRelayed, type RelayedOwner } from './relayed-state.js';
