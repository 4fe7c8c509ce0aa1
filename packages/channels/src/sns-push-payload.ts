/**
 * Builds the SNS `MessageStructure: 'json'` document for a mobile push: one payload per
 * platform (FCM v1 for Android under the `GCM` key, APNs for iOS), so one publish reaches
 * whichever platform the endpoint ARN belongs to.
 */
import type { MessageAttributeValue } from '@aws-sdk/client-sns';
import type { PushMessage } from './provider';

export interface SnsPushPublish {
  /** The JSON document for `Message`. */
  message: string;
  attributes: Record<string, MessageAttributeValue>;
}

export function buildSnsPushPublish(push: PushMessage): SnsPushPublish {
  const high = push.urgency === 'high';
  // FCM v1 data values must be strings; nested values travel as JSON text.
  const fcmData: Record<string, string> = {};
  for (const [key, value] of Object.entries(push.data ?? {})) {
    fcmData[key] = typeof value === 'string' ? value : JSON.stringify(value);
  }
  if (push.url !== undefined) fcmData.url = push.url;
  if (push.icon !== undefined) fcmData.icon = push.icon;

  const fcm = {
    fcmV1Message: {
      message: {
        notification: { title: push.title, body: push.body },
        data: fcmData,
        android: {
          priority: high ? 'HIGH' : 'NORMAL',
          ...(push.ttlSeconds !== undefined ? { ttl: `${push.ttlSeconds}s` } : {}),
        },
      },
    },
  };
  const apns = {
    aps: { alert: { title: push.title, body: push.body }, sound: 'default' },
    ...(push.url !== undefined ? { url: push.url } : {}),
    ...(push.icon !== undefined ? { icon: push.icon } : {}),
    ...(push.data !== undefined ? { data: push.data } : {}),
  };
  const message = JSON.stringify({
    default: push.body,
    GCM: JSON.stringify(fcm),
    APNS: JSON.stringify(apns),
    APNS_SANDBOX: JSON.stringify(apns),
  });

  const attributes: Record<string, MessageAttributeValue> = {
    'AWS.SNS.MOBILE.APNS.PUSH_TYPE': { DataType: 'String', StringValue: 'alert' },
    'AWS.SNS.MOBILE.APNS.PRIORITY': { DataType: 'String', StringValue: high ? '10' : '5' },
  };
  if (push.ttlSeconds !== undefined) {
    const ttl = { DataType: 'String', StringValue: String(push.ttlSeconds) };
    attributes['AWS.SNS.MOBILE.APNS.TTL'] = ttl;
    attributes['AWS.SNS.MOBILE.APNS_SANDBOX.TTL'] = ttl;
    attributes['AWS.SNS.MOBILE.FCM.TTL'] = ttl;
  }
  return { message, attributes };
}
