// 4. Render microbenchmarks, in this process: MJML compile (publish time) and the per-message
//    Liquid render a worker does, with an explicit text part and without one (then the text
//    part is derived from the personalized HTML with html-to-text, per message).
import { createRequire } from 'node:module';
import path from 'node:path';
import { ROOT } from './lib/system.mjs';
import { BENCH_MJML, BENCH_SUBJECT } from './delivery.bench.mjs';
import { nowMs, round, summarize } from './lib/stats.mjs';

const require = createRequire(import.meta.url);

export async function runRenderBench({ cfg, log }) {
  const { compileTemplate, prepareRenderer } = require(path.join(ROOT, 'packages/render/dist/index.js'));
  const { iterations, items } = cfg.render;
  const rows = [];
  const details = { iterations, items };

  const withText = {
    subject: BENCH_SUBJECT,
    mjml: BENCH_MJML,
    text: 'Hello {{ ctx.name }}, {% for i in ctx.items %}{{ i.name }} {% endfor %}',
  };
  const withoutText = { subject: BENCH_SUBJECT, mjml: BENCH_MJML };

  // Compile: the first call pays module loading and JIT warm-up, later ones are steady.
  let started = nowMs();
  const compiledWithout = await compileTemplate('email', withoutText);
  const coldMs = nowMs() - started;
  const warmSamples = [];
  for (let i = 0; i < 10; i++) {
    started = nowMs();
    await compileTemplate('email', i % 2 ? withText : withoutText);
    warmSamples.push(nowMs() - started);
  }
  const compiledWith = await compileTemplate('email', withText);
  details.compile = { coldMs: round(coldMs, 1), warmMs: summarize(warmSamples), htmlBytes: compiledWith.compiledHtml.length };
  rows.push({ section: 'render', name: 'compileTemplate (MJML→HTML), first call', value: round(coldMs, 1), unit: 'ms' });
  rows.push({ section: 'render', name: 'compileTemplate, warm (median of 10)', value: round(details.compile.warmMs.p50, 1), unit: 'ms' });

  const scope = (i) => ({
    ctx: { name: `Customer ${i}`, items: Array.from({ length: items }, (_, k) => ({ name: `Item ${k} <${i}>` })) },
    email: `c${i}@example.com`,
    externalId: `x-${i}`,
    type: 'BENCH_ORDER',
    eventId: String(7290145632919045120n + BigInt(i)),
  });
  const scopes = Array.from({ length: 256 }, (_, i) => scope(i));

  const measure = async (label, compiled) => {
    const renderer = prepareRenderer(compiled);
    const sample = await renderer.render(scopes[0]);
    for (let i = 0; i < Math.min(1000, iterations); i++) await renderer.render(scopes[i & 255]); // warm-up
    const heapBefore = process.memoryUsage().heapUsed;
    const t = nowMs();
    for (let i = 0; i < iterations; i++) await renderer.render(scopes[i & 255]);
    const totalMs = nowMs() - t;
    const micros = (totalMs * 1000) / iterations;
    log(`render ${label}: ${micros.toFixed(1)} µs/render over ${iterations}`);
    return {
      microsPerRender: round(micros, 1),
      rendersPerSecond: round(1000 / (totalMs / iterations), 0),
      totalMs: round(totalMs, 1),
      heapDeltaMb: round((process.memoryUsage().heapUsed - heapBefore) / 1048576, 1),
      sample: { subject: sample.subject, htmlBytes: sample.html.length, text: sample.text.slice(0, 120) },
    };
  };

  details.withText = await measure('with text part', compiledWith);
  details.withoutText = await measure('without text part (html-to-text)', compiledWithout);
  rows.push({
    section: 'render',
    name: `render with text part (${iterations.toLocaleString('en-US')}×)`,
    value: details.withText.microsPerRender,
    unit: 'µs/render',
    target: { op: '<', value: cfg.targets.renderMicros },
  });
  rows.push({
    section: 'render',
    name: 'render without text part (html-to-text per message)',
    value: details.withoutText.microsPerRender,
    unit: 'µs/render',
  });
  details.htmlToTextShare = round(1 - details.withText.microsPerRender / details.withoutText.microsPerRender, 2);
  return { rows, details };
}
