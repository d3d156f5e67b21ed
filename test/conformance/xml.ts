// A strict little XML 1.0 well-formedness parser for the suite's own JUnit
// output: elements nest and close, attributes are quoted and unique, entities
// are the five predefined or numeric ones. Returns the element tree.
export interface XmlElement {
  name: string;
  attrs: Record<string, string>;
  children: XmlElement[];
  text: string;
}

const NAME = /^[A-Za-z_][\w.-]*/;

function decode(s: string, at: number): string {
  return s.replace(/&([^;]*);/g, (_m, e: string) => {
    const named: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };
    if (e in named) return named[e];
    if (/^#x[0-9a-fA-F]+$/.test(e)) return String.fromCodePoint(parseInt(e.slice(2), 16));
    if (/^#[0-9]+$/.test(e)) return String.fromCodePoint(parseInt(e.slice(1), 10));
    throw new Error(`unknown entity &${e}; near ${at}`);
  });
}

export function parseXml(xml: string): XmlElement {
  let i = 0;
  const fail = (m: string): never => {
    throw new Error(`${m} at offset ${i}: ${JSON.stringify(xml.slice(i, i + 40))}`);
  };
  if (xml.startsWith('<?xml')) {
    i = xml.indexOf('?>') + 2;
    if (i < 2) fail('unterminated declaration');
  }
  const ws = () => {
    while (/\s/.test(xml[i] ?? '')) i++;
  };
  const text = (): string => {
    const start = i;
    while (i < xml.length && xml[i] !== '<') {
      if (xml[i] === '&' && !/^&(amp|lt|gt|quot|apos|#\d+|#x[0-9a-fA-F]+);/.test(xml.slice(i))) fail('bare &');
      if (xml[i] === '>' ) { /* allowed in text */ }
      i++;
    }
    return decode(xml.slice(start, i), start);
  };
  const element = (): XmlElement => {
    if (xml[i] !== '<') fail('expected <');
    i++;
    const m = NAME.exec(xml.slice(i));
    if (!m) fail('bad element name');
    const name = m![0];
    i += name.length;
    const attrs: Record<string, string> = {};
    for (;;) {
      ws();
      if (xml.startsWith('/>', i)) {
        i += 2;
        return { name, attrs, children: [], text: '' };
      }
      if (xml[i] === '>') {
        i++;
        break;
      }
      const a = NAME.exec(xml.slice(i));
      if (!a) fail('bad attribute name');
      i += a![0].length;
      ws();
      if (xml[i] !== '=') fail('expected =');
      i++;
      ws();
      const q = xml[i];
      if (q !== '"' && q !== "'") fail('unquoted attribute');
      const end = xml.indexOf(q, i + 1);
      if (end < 0) fail('unterminated attribute');
      const raw = xml.slice(i + 1, end);
      if (raw.includes('<')) fail('< in attribute');
      if (a![0] in attrs) fail(`duplicate attribute ${a![0]}`);
      attrs[a![0]] = decode(raw, i);
      i = end + 1;
    }
    const children: XmlElement[] = [];
    let body = '';
    for (;;) {
      body += text();
      if (i >= xml.length) fail(`unclosed <${name}>`);
      if (xml.startsWith('</', i)) {
        i += 2;
        if (!xml.startsWith(name, i)) fail(`mismatched close of <${name}>`);
        i += name.length;
        ws();
        if (xml[i] !== '>') fail('expected >');
        i++;
        return { name, attrs, children, text: body };
      }
      children.push(element());
    }
  };
  ws();
  const root = element();
  ws();
  if (i !== xml.length) fail('content after the root element');
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/.test(xml)) throw new Error('control character in XML');
  return root;
}
