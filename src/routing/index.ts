export * from './model.js';
export { inWeeklyRanges, isTimeZone, localTime, scheduleState, type LocalTime } from './schedule.js';
