/**
 * A local HTTP endpoint speaking the SNS query protocol (the one the AWS SDK uses for SNS):
 * it reads the form-encoded `Action=Publish&…` requests the SDK sends, keeps them, and answers
 * with a `PublishResponse` or an AWS `ErrorResponse` on demand. Point a provider's `endpoint`
 * (SNS_ENDPOINT) at `url`.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { waitFor } from './wait-for';

export interface ReceivedPublish {
  action: string;
  phoneNumber?: string;
  targetArn?: string;
  topicArn?: string;
  message: string;
  messageStructure?: string;
  /** `MessageAttributes.entry.N.*` decoded to name → value. */
  attributes: Record<string, { dataType: string; stringValue?: string }>;
  /** Region and service from the SigV4 credential scope, e.g. `eu-west-1/sns`. */
  signedFor: string;
  /** Every form parameter as sent. */
  params: Record<string, string>;
  /** The HTTP status this request was answered with. */
  status: number;
}

export interface SnsReply {
  /** Answer with this AWS error code (`Throttling`, `InvalidParameter`, `EndpointDisabled`, `InternalError`…). */
  code?: string;
  /** @defaultValue 400 for an error (500 when `type` is `Receiver`), 200 otherwise */
  status?: number;
  message?: string;
  /** @defaultValue `Sender` (client fault); `Receiver` marks a server fault */
  type?: 'Sender' | 'Receiver';
  headers?: Record<string, string>;
  /** MessageId of a successful publish. @defaultValue a random UUID */
  messageId?: string;
}

/** Decides the answer to one publish; undefined means success. */
export type SnsReplyPolicy = (publish: ReceivedPublish) => SnsReply | undefined;

export interface SnsEndpointOptions {
  reply?: SnsReplyPolicy;
}

export interface SnsEndpoint {
  /** `http://127.0.0.1:<port>`. */
  readonly url: string;
  readonly received: ReceivedPublish[];
  waitForPublishes(count: number, timeoutMs?: number): Promise<ReceivedPublish[]>;
  close(): Promise<void>;
}

const NAMESPACE = 'http://sns.amazonaws.com/doc/2010-03-31/';

export async function startSnsEndpoint(options: SnsEndpointOptions = {}): Promise<SnsEndpoint> {
  const received: ReceivedPublish[] = [];

  const server = createServer((req, res) => {
    void readBody(req).then((body) => {
      const params = Object.fromEntries(new URLSearchParams(body));
      const requestId = randomUUID();
      const send = (status: number, xml: string, headers: Record<string, string> = {}) => {
        res.writeHead(status, { 'content-type': 'text/xml', 'x-amzn-requestid': requestId, ...headers });
        res.end(xml);
      };
      // SigV4: `AWS4-HMAC-SHA256 Credential=<key>/<date>/<region>/<service>/aws4_request, …`.
      const scope = /Credential=[^/]+\/\d{8}\/([^/]+)\/([^/]+)\/aws4_request/.exec(req.headers.authorization ?? '');
      if (req.method !== 'POST' || !scope) {
        return send(403, errorXml('Sender', 'MissingAuthenticationToken', 'Request is missing Authentication Token', requestId));
      }
      if (params.Action !== 'Publish') {
        return send(400, errorXml('Sender', 'InvalidAction', `Action ${params.Action} is not supported here`, requestId));
      }
      const publish: ReceivedPublish = {
        action: params.Action,
        ...(params.PhoneNumber !== undefined ? { phoneNumber: params.PhoneNumber } : {}),
        ...(params.TargetArn !== undefined ? { targetArn: params.TargetArn } : {}),
        ...(params.TopicArn !== undefined ? { topicArn: params.TopicArn } : {}),
        message: params.Message ?? '',
        ...(params.MessageStructure !== undefined ? { messageStructure: params.MessageStructure } : {}),
        attributes: attributesOf(params),
        signedFor: `${scope[1]}/${scope[2]}`,
        params,
        status: 200,
      };
      const reply = (options.reply ?? (() => undefined))(publish);
      if (reply?.code) {
        const type = reply.type ?? 'Sender';
        publish.status = reply.status ?? (type === 'Receiver' ? 500 : 400);
        received.push(publish);
        return send(publish.status, errorXml(type, reply.code, reply.message ?? reply.code, requestId), reply.headers);
      }
      publish.status = reply?.status ?? 200;
      received.push(publish);
      const messageId = reply?.messageId ?? randomUUID();
      send(
        publish.status,
        `<PublishResponse xmlns="${NAMESPACE}"><PublishResult><MessageId>${escapeXml(messageId)}</MessageId></PublishResult>` +
          `<ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata></PublishResponse>`,
        reply?.headers,
      );
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    received,
    waitForPublishes: (count, timeoutMs = 5000) => waitFor(() => received, count, timeoutMs, 'publishes'),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function attributesOf(params: Record<string, string>): ReceivedPublish['attributes'] {
  const attributes: ReceivedPublish['attributes'] = {};
  for (let n = 1; params[`MessageAttributes.entry.${n}.Name`] !== undefined; n += 1) {
    const prefix = `MessageAttributes.entry.${n}`;
    const stringValue = params[`${prefix}.Value.StringValue`];
    attributes[params[`${prefix}.Name`] as string] = {
      dataType: params[`${prefix}.Value.DataType`] ?? '',
      ...(stringValue !== undefined ? { stringValue } : {}),
    };
  }
  return attributes;
}

function errorXml(type: string, code: string, message: string, requestId: string): string {
  return (
    `<ErrorResponse xmlns="${NAMESPACE}"><Error><Type>${type}</Type><Code>${escapeXml(code)}</Code>` +
    `<Message>${escapeXml(message)}</Message></Error><RequestId>${requestId}</RequestId></ErrorResponse>`
  );
}

function escapeXml(text: string): string {
  return text.replace(/[<>&'"]/g, (c) => `&#${c.charCodeAt(0)};`);
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}
