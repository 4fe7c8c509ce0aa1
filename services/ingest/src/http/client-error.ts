/**
 * Requests Node's HTTP parser refuses before Fastify sees them (headers over the size limit,
 * malformed request lines): answered as problem+json like every other 4xx, then the connection
 * is closed, instead of Node's bare status line.
 */
import type { Socket } from 'node:net';
import { makeProblem } from './problems';

export function answerClientError(error: Error & { code?: string }, socket: Socket): void {
  if (!socket.writable) return;
  const tooLarge = error.code === 'HPE_HEADER_OVERFLOW';
  const problem = tooLarge
    ? makeProblem(431, 'headers-too-large', 'Request header fields too large', 'The request headers exceed the size limit.')
    : makeProblem(400, 'bad-request', 'Bad request', 'The request could not be parsed as HTTP.');
  const body = JSON.stringify(problem);
  socket.end(
    `HTTP/1.1 ${problem.status} ${tooLarge ? 'Request Header Fields Too Large' : 'Bad Request'}\r\n` +
      'Content-Type: application/problem+json\r\n' +
      `Content-Length: ${Buffer.byteLength(body)}\r\n` +
      'Connection: close\r\n\r\n' +
      body,
  );
}
