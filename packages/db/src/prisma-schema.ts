/**
 * A parser for the part of the Prisma schema language this project uses: models, enums,
 * fields with `?`/`[]`, and `@`/`@@` attributes with arguments. generator and datasource
 * blocks are skipped. Anything else (views, composite types, Unsupported(...)) is refused, so
 * the drift test fails loudly instead of checking less than the schema says.
 */

export type AttributeValue =
  | { kind: 'string'; value: string }
  | { kind: 'number'; value: number }
  | { kind: 'ident'; name: string }
  | { kind: 'call'; name: string; args: AttributeArg[] }
  | { kind: 'array'; items: AttributeValue[] };

export interface AttributeArg {
  /** Absent for a positional argument. */
  name?: string;
  value: AttributeValue;
}

export interface Attribute {
  /** Without the `@`/`@@`, e.g. `id`, `default`, `db.VarChar`, `index`. */
  name: string;
  args: AttributeArg[];
}

export interface FieldDef {
  name: string;
  type: string;
  optional: boolean;
  list: boolean;
  attributes: Attribute[];
}

export interface ModelDef {
  name: string;
  fields: FieldDef[];
  attributes: Attribute[];
}

export interface EnumDef {
  name: string;
  values: { name: string; attributes: Attribute[] }[];
  attributes: Attribute[];
}

export interface PrismaSchema {
  models: ModelDef[];
  enums: EnumDef[];
}

interface Token {
  kind: 'ident' | 'string' | 'number' | 'punct' | 'newline';
  text: string;
  line: number;
}

export function parsePrismaSchema(source: string): PrismaSchema {
  return new Parser(tokenize(source)).schema();
}

function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  const pattern =
    /(\/\/[^\n]*)|(\n)|([ \t\r]+)|("(?:[^"\\\n]|\\.)*")|(-?\d+(?:\.\d+)?)|([A-Za-z_][A-Za-z0-9_]*)|(@@|[@()[\]{},:?=.])/y;
  let line = 1;
  while (pattern.lastIndex < source.length) {
    const at = pattern.lastIndex;
    const m = pattern.exec(source);
    if (!m) throw new Error(`schema.prisma:${line}: unexpected character ${JSON.stringify(source[at])}`);
    const [, comment, newline, space, str, num, ident, punct] = m;
    if (comment !== undefined || space !== undefined) continue;
    if (newline !== undefined) tokens.push({ kind: 'newline', text: '\n', line: line++ });
    else if (str !== undefined) tokens.push({ kind: 'string', text: JSON.parse(str) as string, line });
    else if (num !== undefined) tokens.push({ kind: 'number', text: num, line });
    else if (ident !== undefined) tokens.push({ kind: 'ident', text: ident, line });
    else if (punct !== undefined) tokens.push({ kind: 'punct', text: punct, line });
  }
  return tokens;
}

class Parser {
  private pos = 0;

  constructor(private readonly tokens: Token[]) {}

  schema(): PrismaSchema {
    const result: PrismaSchema = { models: [], enums: [] };
    for (this.skipNewlines(); this.peek(); this.skipNewlines()) {
      const keyword = this.expect('ident');
      const name = this.expect('ident');
      this.expect('punct', '{');
      if (keyword === 'model') result.models.push(this.model(name));
      else if (keyword === 'enum') result.enums.push(this.enum(name));
      else if (keyword === 'generator' || keyword === 'datasource') this.skipBlock();
      else this.fail(`unsupported block "${keyword} ${name}"`);
    }
    return result;
  }

  private model(name: string): ModelDef {
    const model: ModelDef = { name, fields: [], attributes: [] };
    for (this.skipNewlines(); !this.accept('punct', '}'); this.endLine()) {
      if (this.accept('punct', '@@')) {
        model.attributes.push(this.attributeBody());
        continue;
      }
      const fieldName = this.expect('ident');
      const type = this.expect('ident');
      if (this.peek()?.text === '(') this.fail(`unsupported field type ${type}(...)`);
      const list = this.accept('punct', '[');
      if (list) this.expect('punct', ']');
      const optional = this.accept('punct', '?');
      model.fields.push({ name: fieldName, type, optional, list, attributes: this.fieldAttributes() });
    }
    return model;
  }

  private enum(name: string): EnumDef {
    const def: EnumDef = { name, values: [], attributes: [] };
    for (this.skipNewlines(); !this.accept('punct', '}'); this.endLine()) {
      if (this.accept('punct', '@@')) def.attributes.push(this.attributeBody());
      else def.values.push({ name: this.expect('ident'), attributes: this.fieldAttributes() });
    }
    return def;
  }

  private fieldAttributes(): Attribute[] {
    const attributes: Attribute[] = [];
    while (this.accept('punct', '@')) attributes.push(this.attributeBody());
    return attributes;
  }

  private attributeBody(): Attribute {
    let name = this.expect('ident');
    while (this.accept('punct', '.')) name += `.${this.expect('ident')}`;
    return { name, args: this.peek()?.text === '(' ? this.args() : [] };
  }

  private args(): AttributeArg[] {
    this.expect('punct', '(');
    const args: AttributeArg[] = [];
    for (this.skipNewlines(); !this.accept('punct', ')'); this.skipNewlines()) {
      if (args.length > 0) {
        this.expect('punct', ',');
        this.skipNewlines();
      }
      const named = this.peek()?.kind === 'ident' && this.peek(1)?.text === ':';
      const name = named ? this.expect('ident') : undefined;
      if (named) this.expect('punct', ':');
      args.push(name === undefined ? { value: this.value() } : { name, value: this.value() });
    }
    return args;
  }

  private value(): AttributeValue {
    this.skipNewlines();
    const token = this.next();
    if (token.kind === 'string') return { kind: 'string', value: token.text };
    if (token.kind === 'number') return { kind: 'number', value: Number(token.text) };
    if (token.kind === 'ident') {
      return this.peek()?.text === '('
        ? { kind: 'call', name: token.text, args: this.args() }
        : { kind: 'ident', name: token.text };
    }
    if (token.text === '[') {
      const items: AttributeValue[] = [];
      for (this.skipNewlines(); !this.accept('punct', ']'); this.skipNewlines()) {
        if (items.length > 0) this.expect('punct', ',');
        items.push(this.value());
      }
      return { kind: 'array', items };
    }
    return this.fail(`unexpected ${JSON.stringify(token.text)}`, token);
  }

  private skipBlock(): void {
    for (let depth = 1; depth > 0; ) {
      const token = this.next();
      if (token.text === '{') depth++;
      else if (token.text === '}') depth--;
    }
  }

  private endLine(): void {
    const token = this.peek();
    if (token && token.kind !== 'newline' && token.text !== '}') this.fail(`unexpected ${JSON.stringify(token.text)}`);
    this.skipNewlines();
  }

  private skipNewlines(): void {
    while (this.peek()?.kind === 'newline') this.pos++;
  }

  private peek(offset = 0): Token | undefined {
    return this.tokens[this.pos + offset];
  }

  private next(): Token {
    const token = this.tokens[this.pos++];
    return token ?? this.fail('unexpected end of schema');
  }

  private accept(kind: Token['kind'], text: string): boolean {
    const token = this.peek();
    if (token?.kind !== kind || token.text !== text) return false;
    this.pos++;
    return true;
  }

  private expect(kind: Token['kind'], text?: string): string {
    const token = this.next();
    if (token.kind !== kind || (text !== undefined && token.text !== text)) {
      this.fail(`expected ${text ? JSON.stringify(text) : kind}, found ${JSON.stringify(token.text)}`, token);
    }
    return token.text;
  }

  private fail(message: string, token = this.peek() ?? this.tokens[this.tokens.length - 1]): never {
    throw new Error(`schema.prisma:${token?.line ?? 1}: ${message}`);
  }
}
