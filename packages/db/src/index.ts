// The public surface of @mc/db. Named exports only, so what other packages rely on stays visible.

// Prisma client and generated types
export { createPrismaClient, pgPoolOf } from './prisma';
export type { CreatePrismaClientOptions, SqlPool } from './prisma';
export { Prisma, Channel, EventStatus, Lane, DeliveryStatus } from './generated/prisma/client';
export type {
  PrismaClient,
  ApiKey,
  AuditEntry,
  Delivery,
  Event,
  EventType,
  Proof,
  Publication,
  Suppression,
  Template,
  TemplateVersion,
  WebhookEndpoint,
  WebhookMessage,
} from './generated/prisma/client';

// Connection and migrations
export { DEFAULT_DATABASE_URL, schemaOf, withSchema } from './connection';
export { applyMigrations, DEFAULT_MIGRATIONS_DIR } from './migrate';
export type { ApplyMigrationsOptions } from './migrate';
export {
  shippedMigrations,
  appliedMigrations,
  compareMigrations,
  migrationStatus,
  describeMissingMigrations,
  requireMigrations,
  MigrationsMissingError,
} from './migration-status';
export type { MigrationStatus, SqlQuery, RequireMigrationsOptions } from './migration-status';

// Test support: an isolated, migrated schema per test file
export { createTestSchema } from './test-database';
export type { TestSchema } from './test-database';

// Repositories: rows in, domain records out
export { EventTypesRepository } from './event-types.repository';
export type { EventTypeRecord, EventTypeChanges } from './event-types.repository';
export { TemplatesRepository } from './templates.repository';
export type { TemplateRecord, TemplateState, VersionRecord, RouteRecord, TemplateDraft } from './templates.repository';
export { EventsRepository } from './events.repository';
export type {
  EventRecord,
  DeliveryRecord,
  AttemptEntry,
  AttemptRecord,
  SettleOutcome,
  StaleEvent,
  RedrivenEvent,
  NewEvent,
  EventQuery,
  EventsRepositoryOptions,
  WebhookMessagesHook,
} from './events.repository';
export { WEBHOOK_EVENT_STATUSES, EVENT_ID_TIME_SKEW_MS, eventIdRange } from './events.repository';
export { EventLogPartitionsRepository } from './event-log-partitions.repository';
export type { EventLogPartition, RetentionResult, EventLogPartitionsOptions } from './event-log-partitions.repository';
export {
  EVENT_LOG_TABLES,
  EVENT_LOG_PARTITIONING,
  PARTITION_DAYS_AHEAD,
  dayAt,
  dayOf,
  partitionName,
  defaultPartitionName,
} from './event-log-days';
export type { EventLogDay } from './event-log-days';
export { WebhooksRepository } from './webhooks.repository';
export type {
  WebhookEndpointRecord,
  WebhookMessageRecord,
  WebhookMessageState,
  NewWebhookEndpoint,
  WebhookEndpointChanges,
  WebhookAttemptResult,
} from './webhooks.repository';
export { SuppressionsRepository, suppressionAddress } from './suppressions.repository';
export { FeedbackRepository } from './feedback.repository';
export type { FeedbackEntry, FeedbackTarget } from './feedback.repository';
export type { SuppressionRecord } from './suppressions.repository';
export { ApiKeysRepository, API_KEY_SCOPES, hashApiKey } from './api-keys.repository';
export type { ApiKeyRecord, ApiKeyScope } from './api-keys.repository';
export { ProofsRepository } from './proofs.repository';
export type { ProofRecord } from './proofs.repository';
export { AuditLogRepository } from './audit-log.repository';
export type { AuditActor, AuditRecord, AuditQuery, NewAuditEntry } from './audit-log.repository';
export { EventMessagesRepository } from './event-messages.repository';
export type { EventMessageSource } from './event-messages.repository';
