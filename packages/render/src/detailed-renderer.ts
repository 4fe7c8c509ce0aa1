/**
 * The internal shape every channel renderer has: parsed once, rendered per message with
 * per-field detail. prepareRenderer exposes only the message; preview uses the detail.
 */
import type { RenderOutcome, RenderedMessage } from './rendered-message';
import type { RenderScope } from './render-scope';

export interface DetailedRenderer<M extends RenderedMessage = RenderedMessage> {
  readonly channel: M['channel'];
  renderDetailed(scope: RenderScope): RenderOutcome<M>;
}
