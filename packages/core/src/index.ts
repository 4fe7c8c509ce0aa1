export { CHANNELS, isChannel, parseWishedChannel } from './channels';
export type { Channel } from './channels';
export {
  EVENT_STATUSES,
  TERMINAL_STATUSES,
  OPEN_STATUSES,
  RETRYABLE_STATUSES,
  LANES,
  isEventStatus,
} from './statuses';
export type { EventStatus, Lane } from './statuses';
export { TRANSITIONS, TRANSITION_NAMES, settleTransition, canTransition, feedbackTransition } from './transitions';
export type { Transition, TransitionName } from './transitions';
export { EventIdGenerator, EVENT_ID_EPOCH_MS, eventIdTime, parseEventId } from './event-id';
export { DomainError, notFound, conflict, unprocessable, invalid } from './errors';
export type { ErrorCode, FieldError } from './errors';
export { normalizeLocale, localeCandidates } from './locale';
export { isValidEmail, isValidPhone, normalizePhone } from './addresses';
