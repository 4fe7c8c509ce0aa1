import { compileTemplate } from './compile-template';
import { prepareRenderer } from './prepare-renderer';

describe('SMS rendering', () => {
  it('renders plain text with its segment count and encoding', async () => {
    const renderer = prepareRenderer(await compileTemplate('sms', { text: '\n{% if ctx.code %}Code: {{ ctx.code }} <b>{% endif %}\n' }));
    await expect(renderer.render({ ctx: { code: '1234' } })).resolves.toEqual({
      channel: 'sms',
      text: 'Code: 1234 <b>',
      segments: 1,
      encoding: 'GSM-7',
      missingVariables: [],
    });
    const emoji = await renderer.render({ ctx: { code: '😀'.repeat(40) } });
    expect(emoji).toMatchObject({ encoding: 'UCS-2', segments: 2 });
  });
});
