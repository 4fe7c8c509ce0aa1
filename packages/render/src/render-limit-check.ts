/**
 * Publish and preview render the test data under the same limits as a send (liquid-engine's
 * LIMITS): a limit hit is a TemplateRenderError (publish refused, preview reports it), and a
 * field that comes close gets a warning here, since real data is often larger than test data.
 */
import { LIMITS, recordRenderUsage, type FieldUsage } from './liquid-engine';
import type { DetailedRenderer } from './detailed-renderer';
import type { RenderOutcome } from './rendered-message';
import type { RenderScope } from './render-scope';
import type { TemplateWarning } from './template-error';

/** Share of a limit from which a field gets a warning. */
export const NEAR_LIMIT_SHARE = 0.5;

/** Renders with the test data, recording what each field used. */
export function renderWithUsage(renderer: DetailedRenderer, scope: RenderScope): { outcome: RenderOutcome; warnings: TemplateWarning[] } {
  const { result, usage } = recordRenderUsage(() => renderer.renderDetailed(scope));
  return { outcome: result, warnings: renderLimitWarnings(usage) };
}

/** One warning per field and limit, for the field's largest use of it. */
export function renderLimitWarnings(usage: readonly FieldUsage[]): TemplateWarning[] {
  const worst = new Map<string, FieldUsage>();
  for (const u of usage) {
    const seen = worst.get(u.field);
    worst.set(u.field, seen ? { field: u.field, ms: Math.max(seen.ms, u.ms), memory: Math.max(seen.memory, u.memory) } : u);
  }
  const warnings: TemplateWarning[] = [];
  for (const u of worst.values()) {
    if (u.ms > LIMITS.renderLimit * NEAR_LIMIT_SHARE) {
      warnings.push({
        field: u.field,
        message:
          `renders in ${Math.round(u.ms)} ms with the test data, over half the render time limit ` +
          `(renderLimit, ${LIMITS.renderLimit} ms per field): larger real data may hit it, and such a send fails`,
      });
    }
    if (u.memory > LIMITS.memoryLimit * NEAR_LIMIT_SHARE) {
      warnings.push({
        field: u.field,
        message:
          `allocates ${u.memory.toLocaleString('en-US')} characters and array items with the test data, over half the memory limit ` +
          `(memoryLimit, ${LIMITS.memoryLimit.toLocaleString('en-US')} per field): larger real data may hit it, and such a send fails`,
      });
    }
  }
  return warnings;
}
