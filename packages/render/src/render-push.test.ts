import { compileTemplate } from './compile-template';
import { prepareRenderer } from './prepare-renderer';
import { WEB_PUSH_PAYLOAD_LIMIT_BYTES, buildPushPayload } from './push-payload';

describe('push rendering', () => {
  const content = {
    title: 'Order {{ ctx.orderNumber }}',
    body: '{{ ctx.firstName }}, your order is on its way',
    url: 'https://shop.test/o/{{ ctx.orderNumber }}',
    icon: '{{ ctx.icon }}',
    data: { orderNumber: '{{ ctx.orderNumber }}', screen: 'order', badge: 3, tags: ['{{ ctx.tier }}', true] },
  };

  it('renders every field, including the strings inside data, and measures the payload', async () => {
    const renderer = prepareRenderer(await compileTemplate('push', content));
    const message = await renderer.render({ ctx: { orderNumber: 'A-1', firstName: 'Åsa', tier: 'gold' } });
    expect(message).toEqual({
      channel: 'push',
      title: 'Order A-1',
      body: 'Åsa, your order is on its way',
      url: 'https://shop.test/o/A-1',
      data: { orderNumber: 'A-1', screen: 'order', badge: 3, tags: ['gold', true] },
      payloadBytes: expect.any(Number),
      missingVariables: ['ctx.icon'],
    });
    // The icon rendered empty, so it is left out of the payload, not sent as "".
    const payload = buildPushPayload(message);
    expect(payload).not.toHaveProperty('icon');
    expect(message.payloadBytes).toBe(Buffer.byteLength(JSON.stringify(payload), 'utf8'));
    expect(message.payloadBytes).toBe(JSON.stringify(payload).length + 1); // Å is two bytes in UTF-8
  });

  it('keeps a "__proto__" key in data as plain data', async () => {
    const renderer = prepareRenderer(
      await compileTemplate('push', { title: 't', body: 'b', data: JSON.parse('{"__proto__": {"polluted": "{{ ctx.x }}"}}') }),
    );
    const message = await renderer.render({ ctx: { x: 'yes' } });
    expect(Object.getPrototypeOf(message.data)).toBe(Object.prototype);
    expect(JSON.stringify(message.data)).toBe('{"__proto__":{"polluted":"yes"}}');
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  });

  it('reports a payload over the web push limit in bytes', async () => {
    const renderer = prepareRenderer(await compileTemplate('push', { title: 't', body: '{{ ctx.long }}' }));
    const message = await renderer.render({ ctx: { long: 'é'.repeat(WEB_PUSH_PAYLOAD_LIMIT_BYTES / 2) } });
    expect(message.payloadBytes).toBeGreaterThan(WEB_PUSH_PAYLOAD_LIMIT_BYTES);
  });
});
