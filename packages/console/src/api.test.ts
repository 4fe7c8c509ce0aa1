import { query } from './api';

test('query strings leave out empty filters and encode the rest', () => {
  expect(query({ type: 'WELCOME', status: '', externalId: undefined, cursor: null, limit: 50 })).toBe('?type=WELCOME&limit=50');
  expect(query({ recipient: 'ann+1@example.com' })).toBe('?recipient=ann%2B1%40example.com');
  expect(query({})).toBe('');
});
