export { EmailContent, SmsContent, PushContent } from './template-content';
export type { ChannelContent, ContentByChannel } from './template-content';
export {
  EventInput,
  BatchEventInput,
  PushAddress,
  WebPushSubscription,
  EVENT_TYPE_KEY_PATTERN,
  IDEMPOTENCY_KEY_PATTERN,
  LOCALE_PATTERN,
  WISHED_CHANNEL_VALUES,
} from './event-input';
export {
  QUEUE_NAMES,
  MAINTENANCE_QUEUE,
  laneQueueName,
  laneQueueNames,
  singleQueueName,
  shardOf,
  clusterSlot,
  CLUSTER_SLOTS,
  DELIVER_JOB,
  EVENT_JOB_VERSION,
  eventJobId,
  TEMPLATE_CHANGES_CHANNEL,
  isEventJob,
  eventRenderScope,
  WEBHOOKS_QUEUE,
  WEBHOOK_JOB,
  webhookJobId,
  webhookJob,
  isWebhookJob,
} from './queues';
export type { EventJob, EventJobV1, JobSentRecord, QueueTopology, WebhookJob, WebhookJobV1 } from './queues';
export { Problem, FieldErrorSchema, problemType } from './problem';
export { EventTypeCreate, EventTypeUpdate, EventTypeView, EventTypeKeyParams } from './event-types.schemas';
export {
  MAX_BATCH_EVENTS,
  EventAccepted,
  BatchRequest,
  BatchResult,
  BatchAccepted,
  DeliveryView,
  EventView,
  QueueStateView,
  EventIdParams,
  EventListQuery,
  EventPage,
} from './events.schemas';
export {
  TemplateCreate,
  TemplateUpdate,
  TemplateView,
  TemplateWarning,
  VersionView,
  TemplateIdParams,
  TemplateVersionParams,
  TemplateListQuery,
  PreviewRequest,
  ProofRequest,
} from './templates.schemas';
export { registerFormats } from './formats';
export { checkEventShape, eventAddressErrors, MAX_CTX_DEPTH } from './event-check';
export type { ShapeVerdict } from './event-check';
