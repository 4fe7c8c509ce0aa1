/**
 * `{% for %}` that also accepts filters on its collection:
 * `{% for line in ctx.order.line | list %}`. XML turned into JSON (the SOAP endpoint's
 * `ctx`) holds a single repeated element as an object and several as an array, so
 * templates need `| list` right where they loop. Stock liquidjs reads only a bare value
 * there and silently ignores the rest, iterating an object's [key, value] pairs instead.
 */
import {
  ForTag,
  Tokenizer,
  type FilteredValueToken,
  type Liquid,
  type Parser,
  type TagToken,
  type TopLevelToken,
} from 'liquidjs';

export class ListAwareForTag extends ForTag {
  constructor(token: TagToken, remainTokens: TopLevelToken[], liquid: Liquid, parser: Parser) {
    // The stock tag parses the variable, the collection, the modifiers and the body; its
    // modifier reader stops at `|`, so whatever is left is a filter chain to apply.
    super(token, remainTokens, liquid, parser);
    if (!this.tokenizer.remaining().trimStart().startsWith('|')) return;

    const args = new Tokenizer(
      token.input,
      liquid.options.operators,
      token.file,
      token.contentRange,
      liquid.options.groupedExpressions,
    );
    args.readTagName();
    args.readIdentifier(); // the loop variable
    args.readIdentifier(); // `in`
    let collection: FilteredValueToken;
    try {
      collection = args.readFilteredValue();
    } catch {
      // A filter's arguments and `limit:`/`offset:` look alike, so both cannot share a tag.
      throw new Error(
        `a filtered collection cannot take limit/offset/reversed in the same tag — ` +
          `assign it first: {% assign items = ... | list %}{% for ${this.variable} in items limit: 3 %}`,
      );
    }
    for (const filter of collection.filters) {
      // Filters inside a tag are only looked up at render time; check them now so an
      // unknown one refuses the publish, as it does in {{ }}.
      if (liquid.options.strictFilters && !liquid.filters[filter.name]) {
        throw new Error(`undefined filter: ${filter.name}`);
      }
    }
    this.collection = collection;
  }
}
