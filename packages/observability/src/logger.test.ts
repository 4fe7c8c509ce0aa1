import { Writable } from 'node:stream';
import pino from 'pino';
import { REDACT_PATHS, redactUrl } from './logger';

describe('logger redaction', () => {
  it('never writes keys, passwords or connection strings', () => {
    const lines: string[] = [];
    const sink = new Writable({ write(chunk, _enc, done) { lines.push(String(chunk)); done(); } });
    const log = pino({ redact: { paths: REDACT_PATHS, censor: '[redacted]' } }, sink);
    log.info({ req: { headers: { authorization: 'Bearer mc_secret_1' } } }, 'request');
    log.info({ config: { smtpUrl: 'smtp://u:pw@h', databaseUrl: 'postgresql://u:pw@h/db' } }, 'config');
    log.info({ soap: { sessiontoken: 'mc/s3cret' } }, 'soap');
    const out = lines.join('');
    expect(out).not.toMatch(/mc_secret_1|pw@h|s3cret/);
    expect(out).toContain('[redacted]');
  });

  it('strips credentials from URLs', () => {
    expect(redactUrl('smtp://user:pass@mail.example.org:587')).toBe('smtp://***@mail.example.org:587');
    expect(redactUrl('redis://127.0.0.1:6379')).toBe('redis://127.0.0.1:6379');
  });
});
