// The admin API, event stream, metrics and status pages of the agent and the hub (README "Admin API").
export { AdminServer, type AdminServerOptions } from './admin-server.js';
export { AGENT_METRICS, MAX_CAPTURE_SECONDS, agentMetrics, agentMode, agentRouter, captureRequest, modeView, type AdminBlock, type AdminTunnelView, type AgentAdminSource } from './agent-api.js';
export { CALL_PLOT_FIELDS, CallPlots, type CallPlotsDocument, type CallPlotsOptions } from './call-plots.js';
export { AgentWatch, extensionOf, type AgentWatchSource, type RegisteredPhone, type RtpTotals } from './agent-watch.js';
export { FailureLimiter, presentedToken, tokensEqual } from './auth.js';
export { AdminRequestError, badField } from './errors.js';
export { ADMIN_TOPICS, AdminEvents, isAdminTopic, topicOf, type AdminEvent, type AdminEventName, type AdminTopic } from './events.js';
export { queryTopics, streamClient } from './event-stream.js';
export { cdrEventData, localCallEvents, trunkEvents, type LocalCallEvent, type TrunkResult } from './local-events.js';
export { History, SampleRing, type HistoryOptions, type HistorySeries, type Sample } from './history.js';
export { DEFAULT_CDR_LIMIT, HUB_METRICS, MAX_CDR_LIMIT, callsBySbc, cdrFilter, hubMetrics, hubRouter, sbcRows, type CdrFilter, type CdrListing, type HubAdminSource, type IssuedKey } from './hub-api.js';
export { AdminMetrics, type MetricDef, type MetricSnapshot, type MetricValue } from './metrics.js';
export { PAGE_DIR, loadPages, type PageFile } from './pages.js';
export { AdminRouter, parseJsonObject, type Method, type Route, type RouteContext, type RouteHandler, type RouteResult } from './router.js';
export { ADMIN_TOKEN_FILE, adminTokenPath, loadOrCreateAdminToken } from './token-file.js';
