/**
 * The name a worker process gives its BullMQ workers. BullMQ stores it on every job the
 * process takes (`processedBy`), so the dashboard and the job hashes in Redis tell which
 * replica handled an event.
 */
import { hostname } from 'node:os';

export function workerName(host: string = hostname(), pid: number = process.pid): string {
  return `${host}:${pid}`;
}
