/**
 * The MJML element names this engine accepts, as registered by mjml 5.4's core preset.
 * Kept as data (rather than read from mjml-core's registry at run time) so the markup
 * check does not depend on an undeclared package; a unit test compares both lists with
 * the installed mjml, so an upgrade that adds or drops an element fails loudly.
 */

/** Elements whose content MJML copies as raw HTML (mjml's `endingTag` components). */
export const MJML_ENDING_ELEMENTS: ReadonlySet<string> = new Set([
  'mj-accordion-text',
  'mj-accordion-title',
  'mj-breakpoint',
  'mj-button',
  'mj-carousel-image',
  'mj-navbar-link',
  'mj-preview',
  'mj-raw',
  'mj-social-element',
  'mj-style',
  'mj-table',
  'mj-text',
  'mj-title',
]);

/**
 * Every element name MJML knows: registered components plus the component-less ones used
 * inside mj-attributes / mj-html-attributes. `mj-include` is deliberately absent: it reads
 * files from the server's disk.
 */
export const MJML_ELEMENTS: ReadonlySet<string> = new Set([
  'mjml',
  'mj-accordion',
  'mj-accordion-element',
  'mj-all',
  'mj-attributes',
  'mj-body',
  'mj-carousel',
  'mj-class',
  'mj-column',
  'mj-divider',
  'mj-font',
  'mj-group',
  'mj-head',
  'mj-hero',
  'mj-html-attribute',
  'mj-html-attributes',
  'mj-image',
  'mj-navbar',
  'mj-section',
  'mj-selector',
  'mj-social',
  'mj-spacer',
  'mj-wrapper',
  ...MJML_ENDING_ELEMENTS,
]);

/** Non-ending elements whose text MJML does use (an HTML attribute's value). */
export const MJML_TEXT_ELEMENTS: ReadonlySet<string> = new Set(['mj-html-attribute']);
