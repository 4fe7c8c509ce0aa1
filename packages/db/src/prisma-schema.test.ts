import { parsePrismaSchema } from './prisma-schema';

const SOURCE = `
// comment with "quotes" and @attributes
generator client {
  provider = "prisma-client"
  output   = "../generated" // {braces}
}

datasource db {
  provider = "postgresql"
}

/// Doc comment.
enum Color {
  red
  dark_blue @map("dark-blue")

  @@map("colors")
}

model Thing {
  id     Int      @id @default(autoincrement())
  name   String?  @db.VarChar(40)
  tags   String[] @default([])
  note   String   @default("http://x // not a comment")
  color  Color    @default(red)
  ownerId Int     @map("owner_id")
  owner  Owner    @relation("Owns", fields: [ownerId], references: [id], onDelete: Cascade)

  @@unique([name, color], map: "thing_name_color")
  @@index([ownerId(sort: Desc)])
  @@map("things")
}
`;

describe('parsePrismaSchema', () => {
  const schema = parsePrismaSchema(SOURCE);

  it('reads enums with their mapped values and block attributes', () => {
    expect(schema.enums).toEqual([
      {
        name: 'Color',
        values: [
          { name: 'red', attributes: [] },
          { name: 'dark_blue', attributes: [{ name: 'map', args: [{ value: { kind: 'string', value: 'dark-blue' } }] }] },
        ],
        attributes: [{ name: 'map', args: [{ value: { kind: 'string', value: 'colors' } }] }],
      },
    ]);
  });

  it('reads fields with optionality, lists and attributes', () => {
    const [thing] = schema.models;
    expect(thing?.fields.map((f) => [f.name, f.type, f.optional, f.list])).toEqual([
      ['id', 'Int', false, false],
      ['name', 'String', true, false],
      ['tags', 'String', false, true],
      ['note', 'String', false, false],
      ['color', 'Color', false, false],
      ['ownerId', 'Int', false, false],
      ['owner', 'Owner', false, false],
    ]);
    const field = (name: string) => thing?.fields.find((f) => f.name === name);
    expect(field('id')?.attributes).toEqual([
      { name: 'id', args: [] },
      { name: 'default', args: [{ value: { kind: 'call', name: 'autoincrement', args: [] } }] },
    ]);
    expect(field('name')?.attributes).toEqual([{ name: 'db.VarChar', args: [{ value: { kind: 'number', value: 40 } }] }]);
    expect(field('note')?.attributes[0]?.args[0]?.value).toEqual({ kind: 'string', value: 'http://x // not a comment' });
    expect(field('owner')?.attributes).toEqual([
      {
        name: 'relation',
        args: [
          { value: { kind: 'string', value: 'Owns' } },
          { name: 'fields', value: { kind: 'array', items: [{ kind: 'ident', name: 'ownerId' }] } },
          { name: 'references', value: { kind: 'array', items: [{ kind: 'ident', name: 'id' }] } },
          { name: 'onDelete', value: { kind: 'ident', name: 'Cascade' } },
        ],
      },
    ]);
  });

  it('reads block attributes, including sort options inside field lists', () => {
    expect(schema.models[0]?.attributes).toEqual([
      {
        name: 'unique',
        args: [
          { value: { kind: 'array', items: [{ kind: 'ident', name: 'name' }, { kind: 'ident', name: 'color' }] } },
          { name: 'map', value: { kind: 'string', value: 'thing_name_color' } },
        ],
      },
      {
        name: 'index',
        args: [
          {
            value: {
              kind: 'array',
              items: [{ kind: 'call', name: 'ownerId', args: [{ name: 'sort', value: { kind: 'ident', name: 'Desc' } }] }],
            },
          },
        ],
      },
      { name: 'map', args: [{ value: { kind: 'string', value: 'things' } }] },
    ]);
  });

  it('refuses what it does not understand, with the line', () => {
    expect(() => parsePrismaSchema('view V {\n  id Int\n}')).toThrow('schema.prisma:1: unsupported block "view V"');
    expect(() => parsePrismaSchema('model M {\n  geo Unsupported("geometry")\n}')).toThrow(
      'schema.prisma:2: unsupported field type Unsupported(...)',
    );
    expect(() => parsePrismaSchema('model M {\n  id Int @id garbage\n}')).toThrow('schema.prisma:2: unexpected "garbage"');
  });
});
