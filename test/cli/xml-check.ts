// A strict little XML 1.0 reader for the junit test: throws on anything not well-formed
// (unbalanced or misnested tags, unquoted or duplicate attributes, bare & or <, text outside the
// root) and returns the element tree.
export interface XmlElement {
  readonly name: string;
  readonly attrs: Record<string, string>;
  readonly children: XmlElement[];
  text: string;
}

const NAME = /^[A-Za-z_][\w.-]*/;
const ENTITY = /^&(amp|lt|gt|quot|apos|#\d+|#x[0-9a-fA-F]+);/;
const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

function decode(text: string, where: string): string {
  let out = '';
  for (let i = 0; i < text.length; i += 1) {
    const ch = text[i]!;
    if (ch === '<') throw new Error(`bare < in ${where}`);
    if (ch !== '&') {
      out += ch;
      continue;
    }
    const m = ENTITY.exec(text.slice(i));
    if (!m) throw new Error(`bare & in ${where}: ${text.slice(i, i + 12)}`);
    const e = m[1]!;
    out += e.startsWith('#x') ? String.fromCodePoint(parseInt(e.slice(2), 16)) : e.startsWith('#') ? String.fromCodePoint(Number(e.slice(1))) : ENTITIES[e];
    i += m[0].length - 1;
  }
  return out;
}

export function parseXml(xml: string): XmlElement {
  let i = 0;
  const rest = () => xml.slice(i);
  if (rest().startsWith('<?xml')) {
    const end = xml.indexOf('?>');
    if (end < 0) throw new Error('unterminated XML declaration');
    i = end + 2;
  }
  const stack: XmlElement[] = [];
  let root: XmlElement | undefined;
  while (i < xml.length) {
    const lt = xml.indexOf('<', i);
    const text = lt < 0 ? xml.slice(i) : xml.slice(i, lt);
    if (stack.length === 0) {
      if (text.trim() !== '') throw new Error(`text outside the root element: ${text.trim().slice(0, 20)}`);
    } else {
      stack[stack.length - 1]!.text += decode(text, `<${stack[stack.length - 1]!.name}>`);
    }
    if (lt < 0) break;
    i = lt;
    if (rest().startsWith('</')) {
      const m = /^<\/([A-Za-z_][\w.-]*)\s*>/.exec(rest());
      if (!m) throw new Error(`bad end tag at ${i}`);
      const open = stack.pop();
      if (!open || open.name !== m[1]) throw new Error(`</${m[1]}> closes <${open?.name ?? 'nothing'}>`);
      i += m[0].length;
      continue;
    }
    i += 1;
    const name = NAME.exec(rest())?.[0];
    if (!name) throw new Error(`bad tag name at ${i}`);
    i += name.length;
    const element: XmlElement = { name, attrs: {}, children: [], text: '' };
    for (;;) {
      const ws = /^\s*/.exec(rest())![0];
      i += ws.length;
      if (rest().startsWith('/>') || rest().startsWith('>')) break;
      if (ws === '') throw new Error(`attributes of <${name}> must be separated by white space`);
      const m = /^([A-Za-z_][\w.:-]*)="([^"]*)"/.exec(rest());
      if (!m) throw new Error(`bad attribute in <${name}>: ${rest().slice(0, 30)}`);
      if (m[1]! in element.attrs) throw new Error(`duplicate attribute ${m[1]} in <${name}>`);
      element.attrs[m[1]!] = decode(m[2]!, `attribute ${m[1]}`);
      i += m[0].length;
    }
    if (stack.length === 0) {
      if (root) throw new Error('more than one root element');
      root = element;
    } else {
      stack[stack.length - 1]!.children.push(element);
    }
    if (rest().startsWith('/>')) {
      i += 2;
    } else {
      i += 1;
      stack.push(element);
    }
  }
  if (stack.length > 0) throw new Error(`unclosed <${stack[stack.length - 1]!.name}>`);
  if (!root) throw new Error('no root element');
  return root;
}

export function findAll(element: XmlElement, name: string): XmlElement[] {
  return element.children.flatMap((c) => [...(c.name === name ? [c] : []), ...findAll(c, name)]);
}
