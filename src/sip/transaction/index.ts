export { InviteClientTransaction, buildNon2xxAck } from './invite-client.js';
export { InviteServerTransaction } from './invite-server.js';
export { BRANCH_MAGIC_COOKIE, isRfc3261Branch, newBranch } from './keys.js';
export { NonInviteClientTransaction } from './non-invite-client.js';
export { NonInviteServerTransaction } from './non-invite-server.js';
export { DEFAULT_TIMER_CONFIG, timerValues, type TimerValues, type TransactionTimerConfig } from './timers.js';
export { TransactionLayer, type TransactionLayerCounters, type TransactionLayerOptions, type TransactionUser } from './transaction-layer.js';
export {
  TransactionError,
  type ClientTransaction,
  type ClientTransactionUser,
  type InviteClientState,
  type InviteServerState,
  type NonInviteClientState,
  type NonInviteServerState,
  type ServerTransaction,
  type TransactionSource,
  type TransactionTarget,
  type TransactionTransport,
  type TransactionTransportName,
} from './types.js';
