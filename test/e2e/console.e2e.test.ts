/**
 * The operator console in a real browser (Chromium through playwright-core) against the
 * running services: sign in, create an event type and an email template, edit it and watch
 * the preview follow, see a Liquid error's line, send a proof and find it at the SMTP sink,
 * publish, push an event over the API, find it by externalId and see what was sent, publish
 * a second version, diff it against the first, roll back, sign out; and, apart, the Webhooks
 * screen against a receiver on loopback (exempted by OUTBOUND_ALLOW_PRIVATE). Every screen is
 * screenshotted to test-artifacts/ and checked with axe-core (no serious or critical
 * violations), and the page must log no errors — a CSP violation would be one.
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { chromium, type Browser, type Page } from 'playwright-core';
import { startSystem, waitForStatus, type System } from '../helpers/system';

jest.setTimeout(240_000);

const CHROMIUM = '/usr/bin/chromium';
const ROOT = path.resolve(__dirname, '../..');
const ARTIFACTS = path.join(ROOT, 'test-artifacts');
const DIST = path.join(ROOT, 'packages/console/dist');
const haveChromium = existsSync(CHROMIUM);

if (!haveChromium && process.env.CI !== 'true') {
  // Local runs without a browser skip with the reason; in CI a missing browser fails below.
  console.warn(`console e2e skipped: no Chromium at ${CHROMIUM} (apt-get install -y chromium)`);
}
const suite = haveChromium || process.env.CI === 'true' ? describe : describe.skip;

const mjml = (line: string) => `<mjml>
  <mj-body>
    <mj-section>
      <mj-column>
        <mj-text>${line}</mj-text>
      </mj-column>
    </mj-section>
  </mj-body>
</mjml>`;

suite('the operator console', () => {
  let system: System;
  let browser: Browser;
  let page: Page;
  const problems: string[] = [];
  /** Failed requests the test causes on purpose (a wrong key), as [status, path]. */
  const expectedFailures: [number, string][] = [[401, '/v1/event-types']];

  beforeAll(async () => {
    if (!haveChromium) throw new Error(`CI=true and no Chromium at ${CHROMIUM}: .ci/run installs it (apt-get install -y chromium)`);
    expect(existsSync(path.join(DIST, 'index.html'))).toBe(true); // built by ensure-ready (npm test's pretest)
    mkdirSync(ARTIFACTS, { recursive: true });
    // The webhooks test's receiver listens on loopback, which the outbound policy refuses unless exempted.
    system = await startSystem({ env: { OUTBOUND_ALLOW_PRIVATE: '127.0.0.1' } });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    page = await context.newPage();
    page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
    page.on('console', (message) => {
      if (message.type() !== 'error') return;
      const text = message.text();
      const url = message.location().url ?? '';
      // The browser logs every failed request; the expected one is the Liquid error's 422.
      if (/status of 422/.test(text) && url.includes('/preview')) return;
      // Rendered emails link remote fonts (MJML adds Google Fonts), which the CSP allows in the
      // preview frame; this machine may have no network. The console itself loads nothing from
      // another origin, so only a cross-origin load failure is the email's.
      if (/Failed to load resource: net::/.test(text) && !url.startsWith(system.baseUrl)) return;
      if (expectedFailures.some(([status, endpoint]) => text.includes(`status of ${status}`) && url.includes(endpoint))) return;
      problems.push(`console error: ${text} (${url})`);
    });
  });

  afterAll(async () => {
    await browser?.close();
    await system?.stop();
  });

  const screen = async (name: string) => {
    // Settled: no screen still loading, no preview still rendering.
    await page.waitForFunction(() => document.querySelectorAll('.loading, [aria-busy="true"]').length === 0);
    await page.screenshot({ path: path.join(ARTIFACTS, `console-${name}.png`), fullPage: true });
    // axe runs in the page through CDP (not a <script> element, which the CSP would refuse).
    if (!(await page.evaluate(() => 'axe' in window))) await page.evaluate(readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8'));
    const violations = await page.evaluate(async () => {
      const result = await (window as any).axe.run(document, { resultTypes: ['violations'] });
      return result.violations
        .filter((v: any) => v.impact === 'serious' || v.impact === 'critical')
        .map((v: any) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.map((n: any) => n.target.join(' ')).slice(0, 3).join(', ')}`);
    });
    expect([name, violations]).toEqual([name, []]);
  };
  const nav = (name: string) => page.getByRole('navigation', { name: 'Sections' }).getByRole('link', { name, exact: true }).click();
  /** Replaces the whole text of a CodeMirror editor, as typing would. */
  const replaceEditor = async (label: string, text: string) => {
    const editor = page.locator(`.cm-content[aria-label="${label}"]`);
    await editor.click();
    await page.keyboard.press('Control+A');
    await page.keyboard.insertText(text);
  };
  const previewHtml = () => page.locator('iframe[title="Email preview"]').getAttribute('srcdoc');

  const signIn = async () => {
    await page.goto(`${system.baseUrl}/console/`);
    await page.getByLabel('Admin key').fill(system.adminKey);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('navigation', { name: 'Sections' }).waitFor();
  };

  test('sign in, design, proof, publish, find the event, version, roll back, sign out', async () => {
    // Sign in, by keyboard.
    const started = Date.now();
    const response = await page.goto(`${system.baseUrl}/console/`);
    await page.getByLabel('Admin key').waitFor();
    const firstLoadMs = Date.now() - started;
    const csp = response!.headers()['content-security-policy'] ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("object-src 'none'");
    await screen('sign-in');
    await page.getByLabel('Admin key').fill('not-a-key');
    await page.keyboard.press('Enter');
    await page.getByRole('alert').filter({ hasText: 'not known' }).waitFor();
    await page.getByLabel('Admin key').fill(system.adminKey);
    await page.keyboard.press('Enter');
    await page.getByRole('navigation', { name: 'Sections' }).waitFor();
    expect(await page.evaluate(() => Object.values(sessionStorage))).toContain(system.adminKey);

    // An event type.
    await nav('Event types');
    await page.getByRole('button', { name: 'New event type' }).click();
    await page.getByLabel('Key', { exact: true }).fill('WELCOME');
    await page.getByLabel('Label').fill('Welcome');
    await page.getByLabel('Max age in seconds').fill('86400');
    await page.getByRole('button', { name: 'Create event type' }).click();
    await page.getByRole('cell', { name: 'WELCOME', exact: true }).waitFor();
    expect((await system.api('GET', '/v1/event-types/WELCOME')).body).toMatchObject({ label: 'Welcome', maxAgeSeconds: 86400 });
    await screen('event-types');

    // An email template, then its editor.
    await nav('Templates');
    await page.getByRole('button', { name: 'New template' }).click();
    await page.getByLabel('Template event type').selectOption('WELCOME');
    await page.getByLabel('Name').fill('Welcome email');
    await page.getByRole('button', { name: 'Create template' }).click();
    await page.getByRole('heading', { name: 'Welcome email' }).waitFor();
    await page.waitForFunction(() => document.querySelector('iframe[title="Email preview"]')?.getAttribute('srcdoc')?.includes('Hello Ann'));
    const templateId = page.url().split('/').pop()!;

    // Edit the source: the preview follows (saved as the draft, rendered by the API).
    await replaceEditor('MJML source', mjml('Welcome aboard, {{ ctx.firstName }}'));
    await page.waitForFunction(() => document.querySelector('iframe[title="Email preview"]')?.getAttribute('srcdoc')?.includes('Welcome aboard, Ann'));
    expect(await previewHtml()).toContain('Welcome aboard, Ann');
    await page.getByRole('tab', { name: 'Text' }).click();
    await page.getByText('Welcome aboard, Ann').first().waitFor();
    await page.getByRole('tab', { name: 'HTML' }).click();
    await page.getByRole('button', { name: 'Mobile' }).click();
    await screen('template-editor');
    // The README's picture (docs/console.png is a copy): one viewport, not the whole page.
    await page.screenshot({ path: path.join(ARTIFACTS, 'console-readme.png') });
    await page.getByRole('button', { name: 'Desktop' }).click();

    // A Liquid error names its line; the line is a button to the source.
    await replaceEditor('MJML source', mjml('Welcome aboard, {{ ctx.firstName '));
    const fault = page.getByTestId('template-error');
    await fault.waitFor();
    await expect(fault.textContent()).resolves.toMatch(/mjml line 5/);
    await fault.getByRole('button').first().click();
    await screen('template-error');
    await replaceEditor('MJML source', mjml('Welcome aboard, {{ ctx.firstName }}'));
    await fault.waitFor({ state: 'detached' });

    // A proof, found at the SMTP sink and in the proof history.
    await page.getByLabel('Proof recipient').fill('proof@example.com');
    await page.getByRole('button', { name: 'Send proof' }).click();
    await page.getByRole('cell', { name: 'proof@example.com', exact: true }).waitFor();
    await system.sink.waitForMessages(1, 10_000);
    const proof = system.sink.messages.find((m) => m.envelope.rcptTo.includes('proof@example.com'))!;
    expect(proof.parsed.html).toContain('Welcome aboard, Ann');

    // Publish v1.
    await page.getByRole('button', { name: 'Publish', exact: true }).click();
    await page.getByText('version 1 is live').waitFor();
    expect((await system.api('GET', `/v1/templates/${templateId}`)).body).toMatchObject({ state: 'published', publishedVersion: 1 });

    // An event over the API, found by its externalId, with its timeline.
    await new Promise((r) => setTimeout(r, 300)); // the publish notice reaches the worker over Redis
    const pushed = await system.api('POST', '/v1/events', { type: 'WELCOME', email: 'ann@example.com', externalId: 'order-1', ctx: { firstName: 'Ann' } }, system.ingestKey);
    expect(pushed.status).toBe(202);
    const eventId = pushed.body.id as string;
    await waitForStatus(system, eventId, ['sent']);
    await nav('Events');
    await page.getByLabel('External id').fill('order-1');
    await page.getByRole('button', { name: 'Search' }).click();
    await page.getByRole('link', { name: eventId }).click();
    await page.getByRole('heading', { name: 'Timeline' }).waitFor();
    await page.getByText(/^email via /).first().waitFor();

    // The message as it was sent (GET /v1/events/:id/message), re-rendered from its version.
    expect((await system.api('GET', `/v1/events/${eventId}/message`)).status).toBe(200);
    await page.getByTestId('sent-message').getByText('Hello Ann').or(page.getByTestId('sent-message').getByText('v1')).first().waitFor();
    expect(await page.locator('iframe[title="The sent email"]').getAttribute('srcdoc')).toContain('Welcome aboard, Ann');
    await screen('event');
    await page.getByRole('link', { name: '← Events' }).click();
    await screen('events');

    // v2, the diff v1 → v2, and back to v1.
    await nav('Templates');
    await page.getByRole('link', { name: 'Welcome email' }).click();
    await replaceEditor('MJML source', mjml('Version two for {{ ctx.firstName }}'));
    await page.waitForFunction(() => document.querySelector('iframe[title="Email preview"]')?.getAttribute('srcdoc')?.includes('Version two for Ann'));
    await page.getByRole('button', { name: 'Publish', exact: true }).click();
    await page.getByText('version 2 is live').waitFor();
    await page.getByRole('button', { name: 'Diff v1 against the draft' }).click();
    const diff = page.getByTestId('version-diff');
    await diff.getByText('Welcome aboard', { exact: false }).first().waitFor();
    await diff.getByText('Version two', { exact: false }).first().waitFor();
    await expect(diff.locator('.cm-changedLine').count()).resolves.toBeGreaterThan(0);
    await screen('versions-diff');
    await page.getByRole('button', { name: 'Publish this version (v1)' }).click();
    await page.getByText('version 1 is live').waitFor();
    expect((await system.api('GET', `/v1/templates/${templateId}`)).body).toMatchObject({ publishedVersion: 1 });
    await nav('Templates');
    await page.getByRole('cell', { name: /^v1/ }).waitFor();
    await screen('templates');

    // The other screens: each loads (or says its endpoint is missing) and passes axe.
    for (const name of ['Suppressions', 'API keys', 'Queues', 'Audit']) {
      await nav(name);
      await page.getByRole('heading', { name, level: 1 }).waitFor();
      await page.locator('[role="status"].loading').waitFor({ state: 'detached' });
      await screen(name.toLowerCase().replace(/ /g, '-'));
    }
    await nav('Suppressions');
    await page.getByLabel('Suppressed address').fill('gone@example.com');
    await page.getByLabel('Reason').fill('asked to stop');
    await page.getByRole('button', { name: 'Add suppression' }).click();
    await page.getByRole('cell', { name: 'gone@example.com', exact: true }).waitFor();
    await page.getByRole('button', { name: 'Remove gone@example.com' }).click();
    await page.getByRole('cell', { name: 'gone@example.com', exact: true }).waitFor({ state: 'detached' });
    await nav('API keys');
    await page.getByLabel('Key name').fill('webshop');
    await page.getByRole('button', { name: 'Create key' }).click();
    await page.getByText('it is shown this once').waitFor();

    // The editor stacks and nothing overflows sideways.
    // Phone width, reached by a deep link (the ingest answers it with index.html; the key stays in the tab).
    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto(`${system.baseUrl}/console/templates/${templateId}`);
    await page.getByRole('heading', { name: 'Preview' }).waitFor();
    expect(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth + 1)).toBe(true);
    await screen('phone-template-editor');
    await page.setViewportSize({ width: 1280, height: 900 });

    // A refused key returns to the form; then sign out.
    await page.evaluate(() => sessionStorage.setItem('mc.console.key', 'revoked'));
    await nav('Event types');
    await page.getByLabel('Admin key').waitFor();
    await page.getByLabel('Admin key').fill(system.adminKey);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByLabel('Admin key').waitFor();
    expect(await page.evaluate(() => sessionStorage.length)).toBe(0);

    expect(problems).toEqual([]);
    const index = readFileSync(path.join(DIST, 'index.html'), 'utf8');
    const sizes = readdirSync(path.join(DIST, 'assets')).map((file) => {
      const bytes = readFileSync(path.join(DIST, 'assets', file));
      return { file, firstLoad: index.includes(file), bytes: bytes.length, gzip: gzipSync(bytes).length };
    });
    const kib = (n: number) => `${(n / 1024).toFixed(0)} KiB`;
    const sum = (list: typeof sizes) => kib(list.reduce((total, s) => total + s.gzip, 0));
    process.stdout.write(
      `console bundle (gzip): first load ${sum(sizes.filter((s) => s.firstLoad))}, all ${sum(sizes)} — ` +
        `${sizes.map((s) => `${s.file} ${kib(s.bytes)} (gzip ${kib(s.gzip)})`).join(', ')}; ` +
        `first load to the sign-in form ${firstLoadMs} ms\n`,
    );
  });

  test('the SMS and push editors show segments and encoding, and the payload size', async () => {
    await signIn();
    const sms = await system.api('POST', '/v1/templates', { eventType: 'WELCOME', channel: 'sms', name: 'Welcome SMS', content: { text: 'Hej {{ ctx.firstName }}' }, testData: { ctx: { firstName: 'Ann' } } });
    expect(sms.status).toBe(201);
    await page.goto(`${system.baseUrl}/console/templates/${sms.body.id}`);
    await page.getByText('1 segment · GSM-7 encoding').waitFor();
    await replaceEditor('SMS text source', 'Hej {{ ctx.firstName }} ✓');
    await page.getByText('1 segment · UCS-2 encoding').waitFor();
    await screen('sms-editor');
    const push = await system.api('POST', '/v1/templates', { eventType: 'WELCOME', channel: 'push', name: 'Welcome push', content: { title: 'Hi {{ ctx.firstName }}', body: 'Welcome' }, testData: { ctx: { firstName: 'Ann' } } });
    expect(push.status).toBe(201);
    await page.goto(`${system.baseUrl}/console/templates/${push.body.id}`);
    await page.getByText(/^Payload: \d+ bytes/).waitFor();
    await page.locator('.push-card').getByText('Hi Ann').waitFor();
    await screen('push-editor');
    expect(problems).toEqual([]);
  });

  test('webhooks: create an endpoint, see its secret once, test it, replay, rotate, disable, delete', async () => {
    // A receiver on loopback that accepts every message (204) and keeps what it got.
    const received: { headers: IncomingHttpHeaders; body: string }[] = [];
    const receiver: Server = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk) => (body += chunk));
      request.on('end', () => {
        received.push({ headers: request.headers, body });
        response.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks`;
    try {
      // Whatever an earlier test left, start signed out (the key lives in the tab's sessionStorage).
      await page.goto(`${system.baseUrl}/console/`);
      await page.evaluate(() => sessionStorage.clear());
      await signIn();
      await nav('Webhooks');
      await page.getByRole('heading', { name: 'Webhooks', level: 1 }).waitFor();
      await page.getByText('No webhook endpoints.').waitFor();
      await screen('webhooks-empty');

      // Create, by keyboard: the secret is shown once, with the hint to copy it.
      await page.getByLabel('Endpoint URL').fill(url);
      await page.getByLabel('Description').fill('Upstream CRM');
      await page.getByRole('checkbox', { name: 'event.sent' }).check();
      await page.getByRole('checkbox', { name: 'event.bounced' }).check();
      await page.getByLabel('Description').press('Enter');
      await page.getByText('copy it now, it is shown this once').waitFor();
      const secret = await page.getByLabel('Signing secret').inputValue();
      expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]+=*$/);
      const row = page.getByRole('row').filter({ hasText: url });
      await row.getByText('event.sent, event.bounced').waitFor();
      await row.getByText('Upstream CRM').waitFor();
      await row.getByText('enabled').waitFor();
      await screen('webhooks');
      const [stored] = (await system.api('GET', '/v1/webhook-endpoints')).body.items;
      expect(stored).toMatchObject({ url, description: 'Upstream CRM', events: ['event.sent', 'event.bounced'], enabled: true });
      expect(JSON.stringify(stored)).not.toContain('whsec_');

      // The endpoint's page: the secret is not shown again; a test message arrives and is logged.
      await row.getByRole('link', { name: url }).click();
      await page.getByRole('heading', { name: `Webhook endpoint ${stored.id}` }).waitFor();
      expect(await page.getByLabel('Signing secret').count()).toBe(0);
      await page.getByText('Nothing sent to this endpoint yet.').waitFor();
      await page.getByRole('button', { name: 'Send test message' }).click();
      const log = page.getByRole('region', { name: 'Delivery log' });
      const delivered = log.getByRole('row').filter({ hasText: 'webhook.test' }).filter({ hasText: 'delivered' });
      await delivered.waitFor(); // the log follows pending deliveries until they end
      await delivered.getByRole('cell', { name: '204', exact: true }).waitFor();
      expect(received).toHaveLength(1);
      expect(JSON.parse(received[0]!.body)).toMatchObject({ type: 'webhook.test', data: { endpointId: stored.id } });
      const webhookId = received[0]!.headers['webhook-id'];
      expect(webhookId).toMatch(/^msg_\d+$/);
      expect(received[0]!.headers['webhook-signature']).toMatch(/^v1,/);
      await screen('webhook-delivered');

      // Replay: the same message (same webhook-id) is sent again and the log says so.
      await log.getByRole('button', { name: `Replay ${webhookId}` }).click();
      await log.getByRole('row').filter({ hasText: String(webhookId) }).filter({ hasText: 'replayed 1×' }).filter({ hasText: 'delivered' }).waitFor();
      expect(received.map((r) => r.headers['webhook-id'])).toEqual([webhookId, webhookId]);

      // Rotate (confirmed): the new secret is shown once, and differs.
      page.once('dialog', (dialog) => void dialog.accept());
      await page.getByRole('button', { name: 'Rotate secret' }).click();
      const rotated = await page.getByLabel('Signing secret').inputValue();
      expect(rotated).toMatch(/^whsec_/);
      expect(rotated).not.toBe(secret);
      await page.getByRole('button', { name: 'Done' }).click();
      expect(await page.getByLabel('Signing secret').count()).toBe(0);

      // Disable: the state and its reason show, and test and replay are refused until enabled again.
      await page.getByRole('button', { name: 'Disable' }).click();
      await page.getByText('Endpoint disabled.').waitFor();
      await page.getByText('— Disabled by an operator').waitFor();
      expect(await page.getByRole('button', { name: 'Send test message' }).isDisabled()).toBe(true);
      expect(await log.getByRole('button', { name: `Replay ${webhookId}` }).isDisabled()).toBe(true);
      expect((await system.api('GET', `/v1/webhook-endpoints/${stored.id}`)).body).toMatchObject({ enabled: false, disabledReason: 'Disabled by an operator' });
      await screen('webhook-disabled');

      // Readable at phone width: nothing but the tables' own scroll regions overflows sideways.
      await page.setViewportSize({ width: 390, height: 844 });
      expect(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth + 1)).toBe(true);
      await screen('phone-webhook');
      await page.setViewportSize({ width: 1280, height: 900 });

      // Delete, confirmed: back to the list, which is empty again.
      page.once('dialog', (dialog) => void dialog.accept());
      await page.getByRole('button', { name: 'Delete' }).click();
      await page.getByText('No webhook endpoints.').waitFor();
      expect((await system.api('GET', `/v1/webhook-endpoints/${stored.id}`)).status).toBe(404);

      // A refused URL (http to a public address) shows the problem's detail.
      await page.getByLabel('Endpoint URL').fill('http://example.org/hooks');
      expectedFailures.push([422, '/v1/webhook-endpoints']);
      await page.getByRole('button', { name: 'Create endpoint' }).click();
      await page.getByRole('alert').filter({ hasText: 'Not created' }).filter({ hasText: 'must be https' }).waitFor();
      expect(problems).toEqual([]);
    } finally {
      await new Promise((resolve) => receiver.close(resolve));
    }
  });
});
