export * from './model.js';
export { inWeeklyRanges, isTimeZone, localTime, scheduleState, type LocalTime } from './schedule.js';
export { ALWAYS_OPEN, DEFAULT_NO_ANSWER_SECONDS, DEFAULT_RING_SECONDS, MAX_EXCEPTIONS, RING_STRATEGIES, parseRoutingYaml, validateRoutingModel, type RoutingOptions } from './validate.js';
export { MAX_OUTBOUND_ROUTES } from './validate-rules.js';
export { masksOverlap, parseCallerMask, type CallerMask } from './mask-overlap.js';
export { parseHoliday, parseWeeklyRange } from './schedule-text.js';
export { computeHa1 } from './routing-fields.js';
export { CSV_COLUMNS, MAX_CSV_BYTES, importExtensionsCsv } from './csv.js';
export { destinationText, routingModelToDoc, serializeRoutingYaml, weeklyRangeText } from './routing-doc.js';
