/**
 * Requests Node's HTTP parser refuses before Fastify sees them (headers over the size limit,
 * malformed request lines, a client too slow to send its request): answered as problem+json
 * like every other 4xx instead of Fastify's plain JSON, then the connection is closed.
 */
import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import { makeProblem } from './problems';

export function answerClientError(error: Error & { code?: string }, socket: Socket): void {
  // A reset connection has no one to answer.
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const problem =
    error.code === 'HPE_HEADER_OVERFLOW'
      ? makeProblem(431, 'headers-too-large', 'Request header fields too large', 'The request headers exceed the size limit (16 kB).')
      : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? makeProblem(408, 'request-timeout', 'Request timeout', 'The request was not received in time.')
        : makeProblem(400, 'bad-request', 'Bad request', 'The request could not be parsed as HTTP/1.1.');
  if (socket.writable) {
    const body = JSON.stringify(problem);
    socket.write(
      `HTTP/1.1 ${problem.status} ${STATUS_CODES[problem.status]}\r\n` +
        'Content-Type: application/problem+json\r\n' +
        `Content-Length: ${Buffer.byteLength(body)}\r\n` +
        'Connection: close\r\n\r\n' +
        body,
    );
  }
  socket.end();
}
