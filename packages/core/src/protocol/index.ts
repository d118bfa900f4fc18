export * from './task-message';
export { buildTaskMessage } from './build-task-message';
export { parseTaskMessage } from './parse-task-message';
export { shortRepr } from './short-repr';
export * from './result-meta';
export { newTaskId } from './task-id';
