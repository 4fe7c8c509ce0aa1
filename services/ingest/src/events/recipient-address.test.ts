import { recipientAddress } from './recipient-address';

test.each([
  ['Ann@Example.COM', 'ann@example.com'],
  ['  bo@example.com ', 'bo@example.com'],
  ['+46 70-123 45 67', '+46701234567'],
  ['+1 (555) 010.0000', '+15550100000'],
  ['https://fcm.googleapis.com/fcm/send/AbC:dEf', 'https://fcm.googleapis.com/fcm/send/AbC:dEf'],
  ['arn:aws:sns:eu-west-1:123:endpoint/APNS/App/Id', 'arn:aws:sns:eu-west-1:123:endpoint/APNS/App/Id'],
  ['https://push.example/u@Host/X', 'https://push.example/u@Host/X'],
])('%s is looked up as %s', (given, stored) => {
  expect(recipientAddress(given)).toBe(stored);
});
