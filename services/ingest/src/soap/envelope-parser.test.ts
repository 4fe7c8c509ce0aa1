import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { findChild, ownText, parseSoapEnvelope, parseXmlDocument, childElements, SoapEnvelopeParser, XmlTreeParser } from './envelope-parser';
import { mapEventElement } from './event-mapping';
import { SoapFault } from './faults';
import { resolveOperation } from './operations';

const SAMPLE = readFileSync(join(__dirname, '__tests__', 'push-event.xml'), 'utf8');

function faultOf(fn: () => unknown): SoapFault {
  try {
    fn();
  } catch (error) {
    if (error instanceof SoapFault) return error;
    throw error;
  }
  throw new Error('expected a SoapFault');
}

const envelope = (prefix: string, body: string, extraNs = '') => {
  const p = prefix === '' ? '' : `${prefix}:`;
  const decl = prefix === '' ? 'xmlns' : `xmlns:${prefix}`;
  return `<?xml version="1.0" encoding="utf-8"?>
<${p}Envelope ${decl}="http://schemas.xmlsoap.org/soap/envelope/"${extraNs}>
  <${p}Header/>
  <${p}Body>${body}</${p}Body>
</${p}Envelope>`;
};

describe('parseSoapEnvelope', () => {
  it('reads the PROTOCOL.md sample (soapenv prefix, urn: on sessiontoken and domEvent)', () => {
    const { call } = parseSoapEnvelope(SAMPLE);
    expect(call.local).toBe('PushEvent');
    expect(call.ns).toBe('urn:nms:rtEvent');
    expect(ownText(findChild(call, 'sessiontoken')!)).toBe('mc/s3cret');
    const dom = findChild(call, 'domEvent')!;
    expect(childElements(dom).map((e) => e.local)).toEqual(['rtEvent']);
  });

  it.each([
    ['SOAP-ENV', 'SOAP-ENV'],
    ['soapenv', 'soapenv'],
    ['default namespace', ''],
    ['an unusual prefix', 's11'],
  ])('accepts the envelope with %s', (_label, prefix) => {
    const body =
      '<m:PushEvent xmlns:m="urn:nms:rtEvent"><m:sessiontoken>key-1</m:sessiontoken>' +
      '<m:domEvent><rtEvent type="ORDER_CONFIRMATION"/></m:domEvent></m:PushEvent>';
    const { call } = parseSoapEnvelope(envelope(prefix, body));
    expect(call.local).toBe('PushEvent');
    expect(ownText(findChild(call, 'sessiontoken')!)).toBe('key-1');
  });

  it('accepts a method in the default namespace with bare sessiontoken and domEvent', () => {
    const body =
      '<PushEvent xmlns="urn:nms:rtEvent"><sessiontoken>k</sessiontoken>' +
      '<domEvent><rtEvent xmlns="" type="X"/></domEvent></PushEvent>';
    const { call } = parseSoapEnvelope(envelope('SOAP-ENV', body));
    expect(call.ns).toBe('urn:nms:rtEvent');
    expect(ownText(findChild(call, 'sessiontoken')!)).toBe('k');
    const event = childElements(findChild(call, 'domEvent')!)[0]!;
    expect(event.local).toBe('rtEvent');
    expect(event.ns).toBe('');
  });

  it('accepts unprefixed sessiontoken/domEvent inside a prefixed method (no urn: on them)', () => {
    const body = '<urn:PushEvent><sessiontoken>k</sessiontoken><domEvent><rtEvent type="X"/></domEvent></urn:PushEvent>';
    const { call } = parseSoapEnvelope(envelope('soapenv', body, ' xmlns:urn="urn:nms:rtEvent"'));
    expect(ownText(findChild(call, 'sessiontoken')!)).toBe('k');
    expect(findChild(call, 'domEvent')).toBeDefined();
  });

  it('answers a SOAP 1.2 envelope with VersionMismatch', () => {
    const xml = '<e:Envelope xmlns:e="http://www.w3.org/2003/05/soap-envelope"><e:Body><x/></e:Body></e:Envelope>';
    expect(faultOf(() => parseSoapEnvelope(xml)).faultCode).toBe('VersionMismatch');
  });

  it('refuses a root that is not an Envelope, and an empty Body', () => {
    expect(faultOf(() => parseSoapEnvelope('<PushEvent/>')).faultCode).toBe('Client');
    expect(faultOf(() => parseSoapEnvelope(envelope('soapenv', ''))).detail).toMatch(/Body is empty/);
  });
});

describe('resolveOperation (SOAPAction and Body)', () => {
  const call = (name: string) =>
    parseSoapEnvelope(envelope('soapenv', `<urn:${name} xmlns:urn="urn:nms:batchEvent"/>`)).call;

  it.each([
    ['"nms:rtEvent#PushEvent"', 'PushEvent', 'nms:rtEvent'],
    ['nms:rtEvent#PushEvent', 'PushEvent', 'nms:rtEvent'],
    ['"urn:nms:rtEvent#PushEvent"', 'PushEvent', 'nms:rtEvent'],
    ['"nms:batchEvent#PushEvents"', 'PushEvents', 'nms:batchEvent'],
    ['"nms:rtEvent#PushEvents"', 'PushEvents', 'nms:rtEvent'],
    ['""', 'PushEvents', 'nms:batchEvent'],
    [undefined, 'PushEvents', 'nms:batchEvent'],
  ])('SOAPAction %s', (action, method, service) => {
    const op = resolveOperation(action, call(method));
    expect(op).toEqual({ method, service, responseNs: 'urn:nms:batchEvent' });
  });

  it('refuses an unknown method, from the SOAPAction or from the Body', () => {
    const fromAction = faultOf(() => resolveOperation('"nms:rtEvent#Delete"', call('Delete')));
    expect(fromAction.faultCode).toBe('Client');
    expect(fromAction.detail).toMatch(/Unknown method 'Delete'/);
    expect(faultOf(() => resolveOperation(undefined, call('GetEvent'))).detail).toMatch(/Unknown method 'GetEvent'/);
    expect(faultOf(() => resolveOperation('"xtk:session#Logon"', call('Logon'))).detail).toMatch(/Unknown service/);
  });

  it('refuses a SOAPAction that disagrees with the Body', () => {
    expect(faultOf(() => resolveOperation('"nms:rtEvent#PushEvent"', call('PushEvents'))).detail).toMatch(/does not|but the Body/);
  });
});

describe('XML safety', () => {
  const billionLaughs = `<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol9 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
]>
<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body><PushEvent><domEvent><rtEvent type="X"><ctx><a>&lol9;</a></ctx></rtEvent></domEvent></PushEvent></soapenv:Body></soapenv:Envelope>`;
  const xxe = `<?xml version="1.0"?><!DOCTYPE r [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body><PushEvent><sessiontoken>&xxe;</sessiontoken></PushEvent></soapenv:Body></soapenv:Envelope>`;

  it.each([
    ['billion laughs', billionLaughs],
    ['XXE', xxe],
    ['an ENTITY without DOCTYPE', '<a><!ENTITY x "y"></a>'],
  ])('refuses %s fast, before parsing', (_label, xml) => {
    const started = performance.now();
    const fault = faultOf(() => parseSoapEnvelope(xml));
    // Guards against expansion, not a speed target: an expanded entity bomb takes minutes.
    expect(performance.now() - started).toBeLessThan(1000);
    expect(fault.faultCode).toBe('Client');
    expect(fault.detail).toMatch(/DOCTYPE or ENTITY declaration is not allowed/);
  });

  it('allows the text "<!DOCTYPE" inside CDATA, and only there', () => {
    const root = parseXmlDocument('<a><![CDATA[<!DOCTYPE html><p>&amp;</p>]]></a>');
    expect(root.children).toEqual(['<!DOCTYPE html><p>&amp;</p>']);
    for (const xml of ['<a><![CDATA[x]]><!DOCTYPE a></a>', '<a><!-- <!DOCTYPE a> --></a>', '<a><![cdata[<!DOCTYPE a>]]></a>']) {
      expect(faultOf(() => parseXmlDocument(xml)).detail).toMatch(/DOCTYPE or ENTITY declaration is not allowed/);
    }
  });

  // Each took seconds to minutes when a check looked back through the body at every match.
  it.each([
    ['"<!DOCTYPE" repeated inside one CDATA section', `<a><![CDATA[${'<!DOCTYPE'.repeat(200_000)}]]></a>`, /^/],
    ['unclosed CDATA sections', `<a>${'<![CDATA['.repeat(200_000)}`, /Malformed XML/],
    ['stray ampersands', `<a>${'&a'.repeat(500_000)}`, /column 4: '&' starts no entity/],
  ])('stays linear on %s (~2 MB)', (_label, xml, detail) => {
    const started = performance.now();
    let outcome = '';
    try {
      parseXmlDocument(xml);
    } catch (error) {
      outcome = (error as SoapFault).detail;
    }
    expect(performance.now() - started).toBeLessThan(3000); // ~50 ms here; quadratic took minutes
    expect(outcome).toMatch(detail);
  });

  it('decodes only the predefined entities and character references', () => {
    const root = parseXmlDocument('<a t="Tom &amp; &quot;J&quot;">&lt;b&gt; &#65;&#x42; &apos;</a>');
    expect(root.attrs[0]!.value).toBe('Tom & "J"');
    expect(root.children).toEqual(['<b> AB \'']);
    expect(faultOf(() => parseXmlDocument('<a>&nbsp;</a>')).detail).toMatch(/^Undefined entity '&nbsp;' at line 1, column 9 /);
    expect(faultOf(() => parseXmlDocument('<a\n t="&nbsp;"/>')).detail).toMatch(/^Undefined entity '&nbsp;' at line 2/);
    expect(faultOf(() => parseXmlDocument('<a>&#0;</a>')).detail).toBe("Invalid character reference '&#0;' at line 1, column 7.");
  });

  it('keeps CDATA verbatim and drops whitespace-only text', () => {
    const root = parseXmlDocument('<a>\n  <b> x </b>\n  <![CDATA[ <i>&lt;</i> ]]>\n</a>');
    expect(root.children).toEqual([expect.objectContaining({ local: 'b', children: [' x '] }), ' <i>&lt;</i> ']);
  });

  it('reports malformed XML with line and column', () => {
    const xml = '<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/">\n  <soapenv:Body>\n    <PushEvent>\n  </soapenv:Body>\n</soapenv:Envelope>';
    const fault = faultOf(() => parseSoapEnvelope(xml));
    expect(fault.faultCode).toBe('Client');
    // saxes reports where it noticed the error: the end of the unexpected close tag.
    expect(fault.detail).toMatch(/^Malformed XML at line 4, column 17: unexpected close tag/);
  });

  it.each([
    ['an unquoted attribute', '<a x=1/>', /line 1, column \d+/],
    // saxes alone would report these at the next ';' or as an unclosed tag at the end.
    ['a stray ampersand', '<a>\n fish & chips</a>', /^Malformed XML at line 2, column 7: '&' starts no entity/],
    ['a stray ampersand in an attribute', '<a\n href="https://x.example/?a=1&b=2"><b/></a>', /^Malformed XML at line 2, column 30: '&' starts no entity/],
    ['two roots', '<a/><b/>', /line 1, column \d+: documents may contain only one root/],
    ['text only', 'hello', /line 1/],
    ['text after the root', '<a/>junk', /line 1, column \d+: text data outside of root/],
    ['a disallowed control character', '<a>\u0001</a>', /line 1, column 4: disallowed character/],
    ['duplicate attributes', '<a x="1" x="2"/>', /duplicate attribute/],
  ])('refuses %s', (_label, xml, detail) => {
    expect(faultOf(() => parseXmlDocument(xml)).detail).toMatch(detail);
  });

  it('limits nesting depth to 64 elements', () => {
    const nested = (n: number) => '<a>'.repeat(n) + '</a>'.repeat(n);
    expect(() => parseXmlDocument(nested(64))).not.toThrow();
    expect(faultOf(() => parseXmlDocument(nested(65))).detail).toBe('Elements are nested deeper than 64 levels.');
    expect(faultOf(() => parseXmlDocument('<a>'.repeat(64) + '<b/>' + '</a>'.repeat(64))).detail).toMatch(/nested deeper than 64/);
  });

  it('limits the element count', () => {
    const many = (n: number) => `<a>${'<b/>'.repeat(n - 1)}</a>`;
    const limits = { maxDepth: 64, maxElements: 500 };
    expect(() => parseXmlDocument(many(500), limits)).not.toThrow();
    expect(faultOf(() => parseXmlDocument(many(501), limits)).detail).toBe('The request has more than 500 elements.');
  });

  it('stops at a limit while parsing, before reading the rest of the body', () => {
    // Malformed after the limit: the limit's fault shows the parser never got there.
    const tail = '<oops'.repeat(10_000);
    expect(faultOf(() => parseXmlDocument('<a>'.repeat(100) + tail)).detail).toMatch(/nested deeper than 64/);
    expect(faultOf(() => parseXmlDocument(`<a>${'<b/>'.repeat(1000)}${tail}`, { maxDepth: 64, maxElements: 500 })).detail).toMatch(
      /more than 500 elements/,
    );
  });

  it('refuses reserved JavaScript names rather than building odd objects', () => {
    expect(faultOf(() => parseXmlDocument('<a><constructor>1</constructor></a>')).detail).toMatch(/"constructor" is not allowed/);
    expect(faultOf(() => parseXmlDocument('<a __proto__="x"/>')).detail).toMatch(/"__proto__" is not allowed/);
    // ctx keys are local names, so a prefix does not make them acceptable.
    expect(faultOf(() => parseXmlDocument('<a xmlns:x="urn:x"><x:prototype/></a>')).detail).toMatch(/"prototype" is not allowed/);
  });
});

describe('namespaces', () => {
  it('resolves prefixes and default namespaces, attributes included, and keeps xmlns out of attrs', () => {
    const root = parseXmlDocument(
      '<p:a xmlns:p="urn:p" xmlns="urn:d" p:x="1" y="2"><b xmlns:q="urn:q" q:z="3"><p:c xmlns:p="urn:p2"/></b></p:a>',
    );
    expect(root).toMatchObject({ qname: 'p:a', local: 'a', ns: 'urn:p' });
    // Unprefixed attributes have no namespace, whatever the default namespace.
    expect(root.attrs).toEqual([{ local: 'x', ns: 'urn:p', value: '1' }, { local: 'y', ns: '', value: '2' }]);
    const b = childElements(root)[0]!;
    expect(b).toMatchObject({ local: 'b', ns: 'urn:d', attrs: [{ local: 'z', ns: 'urn:q', value: '3' }] });
    expect(childElements(b)[0]).toMatchObject({ qname: 'p:c', ns: 'urn:p2' }); // redeclared in scope
  });

  it('tolerates a prefix that is never declared (namespace "")', () => {
    const root = parseXmlDocument('<urn:PushEvent u:x="1"><urn:sessiontoken>k</urn:sessiontoken></urn:PushEvent>');
    expect(root).toMatchObject({ qname: 'urn:PushEvent', local: 'PushEvent', ns: '', attrs: [{ local: 'x', ns: '', value: '1' }] });
    expect(ownText(findChild(root, 'sessiontoken')!)).toBe('k');
  });

  it('refuses what the Namespaces spec forbids', () => {
    expect(faultOf(() => parseXmlDocument('<a xmlns:p="urn:p"><b xmlns:p=""/></a>')).detail).toMatch(/^Malformed XML at line 1, column \d+: .*undefine prefix/);
    expect(faultOf(() => parseXmlDocument('<a:b:c/>')).detail).toMatch(/malformed name/);
    // Never the parser's internal marker for an undeclared prefix in what we answer.
    expect(faultOf(() => parseXmlDocument('<a p:x="1" q:x="2"/>')).detail).toBe('Malformed XML at line 1, column 20: duplicate attribute: {}x.');
  });
});

describe('attribute limits', () => {
  const attrs = (n: number, name = 'a') => Array.from({ length: n }, (_, i) => ` ${name}${i}="1"`).join('');

  it('allows 256 attributes on an element, xmlns declarations included, and refuses the 257th', () => {
    expect(() => parseXmlDocument(`<a${attrs(250)}${Array.from({ length: 6 }, (_, i) => ` xmlns:p${i}="urn:p"`).join('')}/>`)).not.toThrow();
    expect(faultOf(() => parseXmlDocument(`<a${attrs(256)} xmlns:x="urn:x"/>`)).detail).toBe(
      'An element has more than 256 attributes (the limit per element, xmlns declarations included).',
    );
  });

  it('counts attributes over the whole request', () => {
    const doc = (elements: number) => `<r>${Array.from({ length: elements }, () => `<e${attrs(10)}/>`).join('')}</r>`;
    expect(() => parseXmlDocument(doc(10), { maxAttributes: 100 })).not.toThrow();
    expect(faultOf(() => parseXmlDocument(doc(11), { maxAttributes: 100 })).detail).toBe(
      'The request has more than 100 attributes (the limit per request, xmlns declarations included).',
    );
  });

  it('stops inside the tag: 200,000 declarations on one element are refused at once', () => {
    const flood = `<a${Array.from({ length: 200_000 }, (_, i) => ` xmlns:a${i}="urn:abc"`).join('')}/>`;
    const started = performance.now();
    expect(faultOf(() => parseXmlDocument(flood)).detail).toMatch(/more than 256 attributes/);
    expect(performance.now() - started).toBeLessThan(3000); // the text alone is 4.6 MB; ~10 ms here
  });
});

describe('written piece by piece', () => {
  const feed = (xml: string, size: number) => {
    const parser = new XmlTreeParser();
    for (let i = 0; i < xml.length; i += size) parser.write(xml.slice(i, i + size));
    return parser.end();
  };

  it.each([1, 2, 3, 7, 64])('builds the same tree from %i-character pieces', (size) => {
    expect(feed(SAMPLE, size)).toEqual(parseXmlDocument(SAMPLE));
  });

  it.each([1, 2, 5, 8, 9])('finds a DOCTYPE or ENTITY split between %i-character pieces, and skips CDATA split the same way', (size) => {
    for (const xml of ['<!DOCTYPE a><a/>', '<a><![CDATA[x]]><!ENTITY x "y"></a>', '<a><![CDATA[ ]]]]><!DOCTYPE a></a>']) {
      expect(faultOf(() => feed(xml, size)).detail).toMatch(/DOCTYPE or ENTITY declaration is not allowed/);
    }
    expect(feed('<a><![CDATA[<!DOCTYPE a> ]] ]>]]></a>', size).children).toEqual(['<!DOCTYPE a> ]] ]>']);
  });

  it('tells the SOAP reader of the sessiontoken and of the call data as they come', () => {
    const heard: string[] = [];
    const parser = new SoapEnvelopeParser(
      {},
      {
        sessionToken: (token, call) => heard.push(`token ${token} in ${call.local}`),
        callContent: (call, child) => heard.push(`data ${child.local} in ${call.local}`),
      },
    );
    const xml = SAMPLE;
    const domEvent = xml.indexOf('<urn:domEvent>');
    parser.write(xml.slice(0, domEvent));
    expect(heard).toEqual(['token mc/s3cret in PushEvent']);
    parser.write(xml.slice(domEvent));
    expect(heard).toEqual(['token mc/s3cret in PushEvent', 'data domEvent in PushEvent']);
    expect(parser.end().call.local).toBe('PushEvent');
  });

  it('refuses a wrong root as soon as it opens', () => {
    const parser = new SoapEnvelopeParser();
    expect(faultOf(() => parser.write('<PushEvent>')).detail).toMatch(/root element must be a SOAP 1\.1 Envelope/);
  });
});

describe('a 1,000-event PushEvents body', () => {
  function pushEvents(count: number): string {
    let events = '';
    for (let i = 0; i < count; i++) {
      const tag = i % 2 === 0 ? 'rtEvent' : 'batchEvent';
      events +=
        `<${tag} type="ORDER_CONFIRMATION" email="buyer${i}@example.org" origin="webshop" wishedChannel="0" externalId="A-${i}" mobilePhone="+46705550101">` +
        `<ctx><customer><firstName>Eva</firstName><lastName>Lind</lastName></customer>` +
        `<order number="A-${i}" total="349.00" currency="SEK"><line sku="CAP-1"><name>Cap</name><qty>1</qty></line>` +
        `<line sku="MUG-2"><name>Mug &amp; saucer</name><qty>2</qty></line></order></ctx></${tag}>\n`;
    }
    return envelope(
      'soapenv',
      `<urn:PushEvents><urn:sessiontoken>mc/s3cret</urn:sessiontoken><urn:domEventCollection><Events>${events}</Events></urn:domEventCollection></urn:PushEvents>`,
      ' xmlns:urn="urn:nms:batchEvent"',
    );
  }

  it('parses and maps in well under 500 ms (measured figure printed)', () => {
    const xml = pushEvents(1000);
    const run = () => {
      const started = performance.now();
      const { call } = parseSoapEnvelope(xml);
      const parsed = performance.now();
      const items = childElements(childElements(findChild(call, 'domEventCollection')!)[0]!);
      const mapped = items.map(mapEventElement);
      return { parseMs: parsed - started, ms: performance.now() - started, mapped };
    };
    const cold = run();
    const runs = [run(), run(), run(), run(), run()];
    const warm = runs.map((r) => r.ms).sort((a, b) => a - b);
    const warmParse = runs.map((r) => r.parseMs).sort((a, b) => a - b);
    // eslint-disable-next-line no-console
    console.log(
      `1,000-event PushEvents (${(xml.length / 1024).toFixed(0)} KiB), parse + map: first ${cold.ms.toFixed(1)} ms, ` +
        `warm best ${warm[0]!.toFixed(1)} ms, warm median ${warm[2]!.toFixed(1)} ms; ` +
        `parse alone: first ${cold.parseMs.toFixed(1)} ms, warm median ${warmParse[2]!.toFixed(1)} ms`,
    );
    // Printed, not asserted: speed is the benchmark's to judge (a busy machine slows single runs
    // several-fold); this test checks the mapping of a large batch.
    expect(cold.mapped).toHaveLength(1000);
    expect(cold.mapped.every((m) => m.ok)).toBe(true);
    const last = cold.mapped[999]!;
    expect(last.ok && last.lane).toBe('batch');
    expect(last.ok && (last.event.ctx as { order: { line: { name: string }[] } }).order.line[1]!.name).toBe('Mug & saucer');
  });
});
