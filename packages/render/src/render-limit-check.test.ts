import { compileTemplate, previewTemplate, TemplateError, TemplateRenderError } from './index';
import { renderLimitWarnings } from './render-limit-check';
import type { RenderScope } from './render-scope';

const testData = { ctx: { name: 'Ada' } } as unknown as RenderScope;

async function failure(work: Promise<unknown>): Promise<TemplateRenderError> {
  try {
    await work;
  } catch (err) {
    if (err instanceof TemplateRenderError) return err;
    throw err;
  }
  throw new Error('expected a TemplateRenderError');
}

describe('render limits at publish and preview', () => {
  it('refuses a template whose test data hits the memory limit, naming the limit', async () => {
    const text = 'Hi {{ ctx.name }}{% for i in (1..100000000) %}x{% endfor %}';
    const err = await failure(compileTemplate('sms', { text }, { testData }));
    expect(err).toBeInstanceOf(TemplateError);
    expect(err).toMatchObject({ name: 'TemplateRenderError', limit: 'memoryLimit', field: 'text', line: 1 });
    expect(err.message).toMatch(/^text line 1, column \d+: rendering failed: the memory limit \(memoryLimit, 10,000,000 .*\) was exceeded$/);
    // Preview renders under the same limits and reports the same error.
    expect(await failure(previewTemplate('sms', { text }, testData))).toMatchObject({ limit: 'memoryLimit' });
  });

  it('refuses a template whose test data runs past the render time limit', async () => {
    const text = '{% for i in (1..3000) %}{% for j in (1..3000) %}{% endfor %}{% endfor %}';
    const err = await failure(compileTemplate('sms', { text }, { testData }));
    expect(err).toMatchObject({ limit: 'renderLimit', message: expect.stringContaining('render time limit (renderLimit, 500 ms per field)') });
  });

  it('publishes, with a warning, a template that comes past half a limit', async () => {
    // Each string filter is charged the length of what it makes: 2 × 3 M characters.
    const text = 'Hi {{ ctx.name }}: {{ ctx.blob | upcase | downcase | size }}';
    const big = { ctx: { name: 'Ada', blob: 'x'.repeat(3_000_000) } } as unknown as RenderScope;
    const compiled = await compileTemplate('sms', { text }, { testData: big });
    expect(compiled.warnings).toEqual([
      { field: 'text', message: expect.stringMatching(/^allocates 6,0\d\d,\d\d\d characters and array items with the test data, over half the memory limit \(memoryLimit/) },
    ]);
    const preview = await previewTemplate('sms', { text }, big);
    expect(preview.warnings.map((w) => w.message)).toEqual([expect.stringContaining('over half the memory limit')]);
  });

  it('warns per field about time past half the render limit', () => {
    expect(renderLimitWarnings([{ field: 'subject', ms: 1, memory: 10 }, { field: 'mjml', ms: 260, memory: 10 }, { field: 'mjml', ms: 3, memory: 10 }])).toEqual([
      { field: 'mjml', message: expect.stringMatching(/^renders in 260 ms with the test data, over half the render time limit \(renderLimit, 500 ms per field\)/) },
    ]);
    expect(renderLimitWarnings([{ field: 'text', ms: 250, memory: 5_000_000 }])).toEqual([]);
  });

  it('adds nothing for an ordinary template', async () => {
    const compiled = await compileTemplate('sms', { text: 'Hi {{ ctx.name }}' }, { testData });
    expect(compiled.warnings).toEqual([]);
  });
});
