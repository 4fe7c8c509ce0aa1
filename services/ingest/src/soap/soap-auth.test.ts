import { createAuthenticator, type Principal } from './soap-auth';

const keys: Record<string, Principal> = {
  'key-writer': { id: 'k1', scopes: ['events:write'] },
  'key-admin': { id: 'k2', scopes: ['admin'] },
  'key-reader': { id: 'k3', scopes: ['events:read'] },
  'key/with/slash': { id: 'k4', scopes: ['events:write'] },
};
const verifyApiKey = jest.fn(async (key: string) => keys[key]);
const auth = createAuthenticator(verifyApiKey, [
  { login: 'mc', password: 's3cret' },
  { login: 'other', password: 'pw/with/slash' },
]);

describe('SOAP authentication', () => {
  it('accepts a configured operator login/password, scoped per operator', async () => {
    expect(await auth.authenticate('mc/s3cret', undefined)).toEqual({ ok: true, scope: 'soap-operator:mc', via: 'operator' });
    expect(await auth.authenticate(' other/pw/with/slash ', undefined)).toEqual({ ok: true, scope: 'soap-operator:other', via: 'operator' });
  });

  it('refuses a wrong password or unknown login the same way', async () => {
    expect(await auth.authenticate('mc/wrong', undefined)).toEqual({ ok: false, reason: 'invalid' });
    expect(await auth.authenticate('nobody/s3cret', undefined)).toEqual({ ok: false, reason: 'invalid' });
    expect(await auth.authenticate('mc/', undefined)).toEqual({ ok: false, reason: 'invalid' });
  });

  it('reads a sessiontoken as an API key (keys may contain "/")', async () => {
    expect(await auth.authenticate('key-writer', undefined)).toEqual({ ok: true, scope: 'k1', via: 'api-key' });
    expect(await auth.authenticate('key-admin', undefined)).toEqual({ ok: true, scope: 'k2', via: 'api-key' });
    expect(await auth.authenticate('key/with/slash', undefined)).toEqual({ ok: true, scope: 'k4', via: 'api-key' });
  });

  it('uses the Bearer header when the sessiontoken is empty', async () => {
    expect(await auth.authenticate('', 'Bearer key-writer')).toEqual({ ok: true, scope: 'k1', via: 'api-key' });
    expect(await auth.authenticate('  ', 'bearer key-admin')).toEqual({ ok: true, scope: 'k2', via: 'api-key' });
    expect(await auth.authenticate('', undefined)).toEqual({ ok: false, reason: 'invalid' });
    expect(await auth.authenticate('', 'Basic bWM6czNjcmV0')).toEqual({ ok: false, reason: 'invalid' });
  });

  it('refuses a key without events:write or admin', async () => {
    expect(await auth.authenticate('key-reader', undefined)).toEqual({ ok: false, reason: 'forbidden' });
  });
});
