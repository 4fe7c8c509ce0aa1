/**
 * The worker's cache of "which published version serves (event type, channel, locale)",
 * with each version's Liquid parsed once. A publish, unpublish, pause or resume announced on
 * Redis drops the event type's entries in every worker replica at once; a TTL bounds the
 * staleness should a notice be missed (e.g. while Redis reconnects).
 */
import type { Channel } from '@mc/core';
import type { RouteRecord, VersionRecord } from '@mc/db';
import { prepareRenderer, type CompiledTemplate, type TemplateRenderer } from '@mc/render';

export interface ResolvedRoute {
  paused: boolean;
  version: VersionRecord;
  renderer: TemplateRenderer;
}

export interface TemplateRoutes {
  resolve(eventTypeId: number, channel: Channel, locales: readonly string[]): Promise<ResolvedRoute | undefined>;
  invalidate(eventTypeId?: number): void;
}

export function createTemplateRoutes(options: {
  findRoute(eventTypeId: number, channel: Channel, locales: readonly string[]): Promise<RouteRecord | undefined>;
  ttlMs: number;
  /** Versions are immutable, so their parsed renderers are kept until evicted by size. */
  maxRenderers?: number;
}): TemplateRoutes {
  const routes = new Map<string, { at: number; eventTypeId: number; route: Promise<ResolvedRoute | undefined> }>();
  const renderers = new Map<number, TemplateRenderer>();
  const maxRenderers = options.maxRenderers ?? 500;

  const rendererFor = (version: VersionRecord): TemplateRenderer => {
    let renderer = renderers.get(version.id);
    if (!renderer) {
      renderer = prepareRenderer({
        channel: version.channel,
        content: version.content,
        compiledHtml: version.compiledHtml ?? '',
        warnings: [],
      } as unknown as CompiledTemplate);
      if (renderers.size >= maxRenderers) renderers.delete(renderers.keys().next().value!);
      renderers.set(version.id, renderer);
    }
    return renderer;
  };

  return {
    resolve(eventTypeId, channel, locales) {
      const key = `${eventTypeId}|${channel}|${locales.join(',')}`;
      const hit = routes.get(key);
      if (hit && Date.now() - hit.at < options.ttlMs) return hit.route;
      const route = options.findRoute(eventTypeId, channel, locales).then((found) =>
        found ? { paused: found.paused, version: found.version, renderer: rendererFor(found.version) } : undefined,
      );
      routes.set(key, { at: Date.now(), eventTypeId, route });
      route.catch(() => routes.delete(key));
      return route;
    },
    invalidate(eventTypeId) {
      for (const [key, entry] of routes) if (eventTypeId === undefined || entry.eventTypeId === eventTypeId) routes.delete(key);
    },
  };
}
