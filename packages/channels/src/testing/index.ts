/**
 * @mc/channels testing entry: real protocol peers for tests (an SMTP sink, an SNS query
 * endpoint, a Web Push service that decrypts like a browser). Kept out of the main index so
 * production code never loads smtp-server or mailparser.
 */
export { startSmtpSink, replyByLocalPart } from './smtp-sink';
export type { ReceivedMail, SmtpReply, SmtpReplyPolicy, SmtpSink, SmtpSinkOptions, SmtpStage } from './smtp-sink';
export { startSnsEndpoint } from './sns-endpoint';
export type { ReceivedPublish, SnsEndpoint, SnsEndpointOptions, SnsReply, SnsReplyPolicy } from './sns-endpoint';
export { startWebPushReceiver } from './web-push-receiver';
export type {
  ReceivedPush,
  RejectedPush,
  SubscribeOptions,
  TestSubscription,
  WebPushReceiver,
  WebPushReceiverOptions,
  WebPushReply,
} from './web-push-receiver';
export { createSubscriberKeys, decryptWebPush } from './web-push-decrypt';
export type { SubscriberKeys } from './web-push-decrypt';
export { verifyVapid } from './vapid-verify';
export type { VapidClaims } from './vapid-verify';
export { createTestCertificates } from './test-certificates';
export type { TestCertificates } from './test-certificates';
export { waitFor } from './wait-for';
