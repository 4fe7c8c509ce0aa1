import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { childElements, findChild, parseSoapEnvelope, parseXmlDocument } from './envelope-parser';
import { ctxToJson, elementToJson } from './ctx-mapping';

const ctxOf = (xml: string) => ctxToJson(parseXmlDocument(xml));

describe('ctx XML → JSON', () => {
  it('maps the PROTOCOL.md sample', () => {
    const { call } = parseSoapEnvelope(readFileSync(join(__dirname, '__tests__', 'push-event.xml'), 'utf8'));
    const rtEvent = childElements(findChild(call, 'domEvent')!)[0]!;
    const ctx = ctxToJson(findChild(rtEvent, 'ctx')!);
    expect(ctx).toEqual({
      customer: { firstName: 'Eva', lastName: 'Lind' },
      order: {
        number: 'A-77810',
        total: '349.00',
        currency: 'SEK',
        line: [
          { sku: 'CAP-1', name: 'Cap', qty: '1' },
          { sku: 'MUG-2', name: 'Mug', qty: '2' },
        ],
      },
    });
    // The shapes templates rely on:
    const order = ctx.order as Record<string, unknown>;
    expect((ctx.customer as Record<string, unknown>).firstName).toBe('Eva');
    expect(order.number).toBe('A-77810');
    expect(order.line).toHaveLength(2);
  });

  it('keeps the text of an element with attributes under "#text"', () => {
    expect(ctxOf('<ctx><price currency="SEK">349.00</price></ctx>')).toEqual({ price: { currency: 'SEK', '#text': '349.00' } });
  });

  it('keeps mixed content text under "#text", pieces joined as written and ends trimmed', () => {
    expect(ctxOf('<ctx><p>\n  Hello <b>World</b>!\n</p></ctx>')).toEqual({ p: { b: 'World', '#text': 'Hello !' } });
  });

  it('text directly in <ctx> becomes ctx["#text"]; an empty ctx is {}', () => {
    expect(ctxOf('<ctx>just text</ctx>')).toEqual({ '#text': 'just text' });
    expect(ctxOf('<ctx/>')).toEqual({});
    expect(ctxOf('<ctx>  \n </ctx>')).toEqual({});
  });

  it('a single repeated-kind element stays an object (templates use the list filter)', () => {
    expect(ctxOf('<ctx><order><line sku="A"/></order></ctx>')).toEqual({ order: { line: { sku: 'A' } } });
  });

  it('repeated siblings become an array in document order, even when not adjacent', () => {
    expect(ctxOf('<ctx><a>1</a><b>x</b><a>2</a><a>3</a></ctx>')).toEqual({ a: ['1', '2', '3'], b: 'x' });
  });

  it('values stay strings: no number guessing, leading zeros and spaces inside kept', () => {
    expect(ctxOf('<ctx><zip>00123</zip><phone>0046 70 555</phone><flag>true</flag><n>1e3</n></ctx>')).toEqual({
      zip: '00123',
      phone: '0046 70 555',
      flag: 'true',
      n: '1e3',
    });
  });

  it('an empty element is an empty string', () => {
    expect(ctxOf('<ctx><note/><other></other></ctx>')).toEqual({ note: '', other: '' });
  });

  it('drops namespace prefixes, xmlns declarations and xsi: attributes', () => {
    const xml =
      '<ctx xmlns:x="urn:x" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">' +
      '<x:item x:code="7" xsi:type="xsd:string">A</x:item></ctx>';
    expect(ctxOf(xml)).toEqual({ item: { code: '7', '#text': 'A' } });
  });

  it('an attribute and a child element of the same name make an array, attribute first', () => {
    expect(ctxOf('<ctx><o id="1"><id>2</id></o></ctx>')).toEqual({ o: { id: ['1', '2'] } });
  });

  it('decodes entities and keeps CDATA verbatim', () => {
    expect(ctxOf('<ctx><a>Tom &amp; Jerry</a><h><![CDATA[<b>bold</b> &amp;]]></h></ctx>')).toEqual({
      a: 'Tom & Jerry',
      h: '<b>bold</b> &amp;',
    });
  });

  it('elementToJson of a text-only element is its string', () => {
    expect(elementToJson(parseXmlDocument('<firstName> Eva </firstName>'))).toBe('Eva');
  });
});
