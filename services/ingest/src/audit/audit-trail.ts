/**
 * Records admin changes in the audit log (`audit_log`), with the acting key. Routes call
 * `recordAudit` after the change succeeded — right after, not in the change's transaction:
 * the repositories own their statements, and a change that committed stays answered as done.
 * Should the audit write fail, the change is not undone and the caller still gets its answer;
 * the entry is logged at error level instead (with everything it would have held), so it is
 * never silently lost. A caller with a transaction at hand can pass it to
 * `AuditLogRepository.record(entry, tx)` to commit both together.
 */
import type { FastifyBaseLogger, FastifyRequest } from 'fastify';
import type { AuditActor, AuditLogRepository, NewAuditEntry } from '@mc/db';
import type { Principal } from '../plugins/auth';

/** The actor for the log: a stored key by its id and name; a bootstrap key by its variable. */
export function auditActor(principal: Principal | undefined): AuditActor {
  if (!principal) return { keyId: null, name: 'anonymous' };
  const keyId = principal.id.startsWith('key:') ? principal.id.slice('key:'.length) : null;
  return { keyId, name: principal.name ?? principal.id };
}

export interface AuditChange {
  /** `<targetType>.<verb>`: `template.publish`, `eventType.create`, `webhookEndpoint.update`, ... */
  action: string;
  target: { type: string; id: string | number | bigint };
  details?: Record<string, unknown>;
}

/** Records one change by the request's principal. Never throws (see above). */
export async function recordAudit(
  ctx: { audit: Pick<AuditLogRepository, 'record'> },
  request: Pick<FastifyRequest, 'principal'> & { log: FastifyBaseLogger },
  change: AuditChange,
): Promise<void> {
  const entry: NewAuditEntry = {
    actor: auditActor(request.principal),
    action: change.action,
    target: { type: change.target.type, id: String(change.target.id) },
    ...(change.details ? { details: change.details } : {}),
  };
  try {
    await ctx.audit.record(entry);
  } catch (error) {
    request.log.error({ err: error, audit: entry }, 'audit entry not written; the change itself succeeded');
  }
}
