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
export { EventIdGenerator, EVENT_ID_EPOCH_MS, eventIdTime, firstEventIdAt, parseEventId } from './event-id';
export { DomainError, notFound, conflict, unprocessable, invalid } from './errors';
export type { ErrorCode, FieldError } from './errors';
export { normalizeLocale, localeCandidates } from './locale';
export { parseIp, parseCidr, classifyIp, describeAddressClass, formatIp } from './ip-address';
export type { AddressClass, AddressVerdict, Cidr, IpAddress } from './ip-address';
export {
  DEFAULT_OUTBOUND_POLICY,
  OUTBOUND_REFUSAL_PREFIX,
  allowPrivateEntryProblem,
  pushHostEntryProblem,
  isExemptDestination,
  outboundAddressRefusal,
  outboundHostRefusal,
  checkOutboundUrl,
  checkPushEndpoint,
  pushEndpointCheck,
  normalizeHost,
} from './outbound-policy';
export type { OutboundPolicy, OutboundUrlOptions } from './outbound-policy';
export { parseMailbox, mailboxProblem } from './mailbox';
export type { Mailbox, MailboxResult } from './mailbox';
export {
  isValidEmail,
  isValidPhone,
  normalizePhone,
  emailProblem,
  phoneProblem,
  webPushSubscriptionProblems,
  snsEndpointArnProblem,
} from './addresses';
export { verpAddress, verpMac, verifyVerpAddress } from './verp';
export type { VerpSettings, VerpVerdict } from './verp';
export { createSecretBox, parseSecretsKey, SecretBoxError } from './secret-box';
export type { SecretBox } from './secret-box';
