/** Dead letters: the note a worker writes on them, where they go, and the operator tools (list, inspect, replay, purge). */
export {
  DEAD_LETTER_HEADERS,
  DEAD_LETTER_REASONS,
  DELIVERY_COUNT_HEADERS,
  DEFAULT_DEAD_LETTER_QUEUE,
  MAX_ERROR_HEADER_CHARS,
  deadLetterHeaders,
  readDeadLetter,
  withoutDeadLetterNote,
  type DeadLetterNote,
  type DeadLetterReason,
  type DeadLetterSummary,
} from './dead-letter-headers';
export { deadLetterDestination, type DeadLetterDestination } from './dead-letter-destination';
export { DeadLetterPublisher, type DeadLetterTransport, type DeliveredMessage } from './dead-letter-publisher';
export {
  DEFAULT_LIST_LIMIT,
  countDeadLetters,
  findDeadLetters,
  listDeadLetters,
  purgeDeadLetters,
  replayDeadLetters,
  type DeadLetter,
  type ReplayReport,
} from './dead-letter-queue';
