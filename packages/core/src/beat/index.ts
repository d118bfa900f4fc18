export { checkTimezone, cron, crontab, every, type CrontabField, type CrontabFields, type Schedule, type ZoneOptions } from './schedules';
export {
  ScheduleRegistry,
  slotTaskId,
  type MissedSlots,
  type PeriodicSendOptions,
  type ScheduleEntry,
  type ScheduleEntryOptions,
} from './schedule-entry';
export { loadScheduleFileSync, parseScheduleFile, type ScheduleFileEntry } from './schedule-file';
export { dueSlots, type DueSlots } from './missed-slots';
