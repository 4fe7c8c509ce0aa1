/**
 * Judging one event as given, the same way at every door: its shape against BatchEventInput
 * (a REST single event is judged exactly like a batch item), then — where the door checks
 * them — its addresses. Faults are named by JSON pointer relative to the event (`/email`,
 * `/push/webPush/keys/auth`), so the caller can prefix them (`/events/3`, `body`).
 */
import { TypeCompiler } from '@sinclair/typebox/compiler';
import {
  emailProblem,
  phoneProblem,
  snsEndpointArnProblem,
  webPushSubscriptionProblems,
  type FieldError,
} from '@mc/core';
import { BatchEventInput, PushAddress, WISHED_CHANNEL_VALUES, type EventInput } from './event-input';
import './formats';

const checkShape = TypeCompiler.Compile(BatchEventInput);
const [checkWebPush, checkSns] = PushAddress.anyOf.map((branch) => TypeCompiler.Compile(branch));

/** How deep `ctx` may nest (objects and arrays): deeper data is refused, not stored. */
export const MAX_CTX_DEPTH = 32;
const MAX_ERRORS = 20;

export type ShapeVerdict = { ok: true; event: BatchEventInput } | { ok: false; errors: FieldError[] };

export function checkEventShape(candidate: unknown): ShapeVerdict {
  if (checkShape.Check(candidate)) {
    const depth = ctxTooDeep(candidate.ctx);
    if (depth) return { ok: false, errors: [{ path: '/ctx', message: `nests deeper than ${MAX_CTX_DEPTH} levels` }] };
    return { ok: true, event: candidate };
  }
  const errors: FieldError[] = [];
  const seen = new Set<string>();
  const add = (path: string, message: string) => {
    const key = `${path}\0${message}`;
    if (seen.has(key) || errors.length >= MAX_ERRORS) return;
    seen.add(key);
    errors.push({ path: path || '/', message });
  };
  for (const error of checkShape.Errors(candidate)) {
    if (error.path === '/push' && isObject(error.value)) {
      // A union's own error only says "expected union value": judge the branch the event chose.
      for (const e of pushErrors(error.value)) add(`/push${e.path}`, e.message);
    } else if (error.path === '/wishedChannel') {
      add(error.path, `must be one of ${WISHED_CHANNEL_VALUES.join(', ')} (a string) or 0, 1, 41, 42 (a number)`);
    } else {
      add(error.path, error.message);
    }
  }
  if (errors.length === 0) add('/', 'does not match the event schema');
  return { ok: false, errors };
}

function pushErrors(push: Record<string, unknown>): FieldError[] {
  if ('webPush' in push && 'snsEndpointArn' in push) return [{ path: '', message: 'must have either webPush or snsEndpointArn, not both' }];
  const check = 'webPush' in push ? checkWebPush! : 'snsEndpointArn' in push ? checkSns! : undefined;
  if (!check) return [{ path: '', message: 'must have either webPush or snsEndpointArn' }];
  const errors = [...check.Errors(push)].map((e) => ({ path: e.path, message: e.message }));
  return errors.length > 0 ? errors : [{ path: '', message: 'is not a push address' }];
}

/**
 * Address faults of an event (see @mc/core addresses for the rules). The REST door refuses
 * them with 400; SOAP accepts them as Adobe does and the worker ends them targetingFailed.
 * Fields of the wrong type are skipped (the shape check names them), so a caller may report
 * both kinds of fault of one event at once.
 */
export function eventAddressErrors(event: Partial<Record<keyof EventInput, unknown>>): FieldError[] {
  const errors: FieldError[] = [];
  if (typeof event.email === 'string') {
    const why = emailProblem(event.email);
    if (why) errors.push({ path: '/email', message: `is not an email address: it ${why}` });
  }
  if (typeof event.mobilePhone === 'string') {
    const why = phoneProblem(event.mobilePhone);
    if (why) errors.push({ path: '/mobilePhone', message: why });
  }
  const push = isObject(event.push) ? event.push : undefined;
  if (push && isObject(push.webPush) && checkWebPush!.Check({ webPush: push.webPush })) {
    const subscription = push.webPush as { endpoint: string; keys: { p256dh: string; auth: string } };
    for (const e of webPushSubscriptionProblems(subscription)) errors.push({ path: `/push/webPush${e.path}`, message: e.message });
  } else if (push && typeof push.snsEndpointArn === 'string') {
    const why = snsEndpointArnProblem(push.snsEndpointArn);
    if (why) errors.push({ path: '/push/snsEndpointArn', message: why });
  }
  return errors;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Whether `value` nests deeper than MAX_CTX_DEPTH; iterative, so hostile depth cannot overflow the
 * stack. Two parallel stacks and no per-node arrays: it runs for every event of every batch.
 */
function ctxTooDeep(value: unknown): boolean {
  if (typeof value !== 'object' || value === null) return false;
  const nodes: object[] = [value];
  const depths: number[] = [1];
  while (nodes.length > 0) {
    const node = nodes.pop()!;
    const depth = depths.pop()!;
    if (depth > MAX_CTX_DEPTH) return true;
    if (Array.isArray(node)) {
      for (let i = 0; i < node.length; i++) {
        const child: unknown = node[i];
        if (typeof child === 'object' && child !== null) {
          nodes.push(child);
          depths.push(depth + 1);
        }
      }
    } else {
      for (const key in node) {
        if (!Object.hasOwn(node, key)) continue;
        const child: unknown = (node as Record<string, unknown>)[key];
        if (typeof child === 'object' && child !== null) {
          nodes.push(child);
          depths.push(depth + 1);
        }
      }
    }
  }
  return false;
}
