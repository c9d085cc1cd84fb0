// The router's XML (UPnP device descriptions and SOAP answers) read into a small tree. saxes
// does the XML work, with namespaces, so elements are matched by local name and namespace and
// not by whichever prefix a router chose. DOCTYPEs are refused: a description never needs one,
// and entity tricks have no place in what a router sends.
import { SaxesParser } from 'saxes';

export interface XmlNode {
  /** Local name, without prefix. */
  name: string;
  uri: string;
  children: XmlNode[];
  /** The element's own text, trimmed. */
  text: string;
}

export type XmlParse = { ok: true; root: XmlNode } | { ok: false; error: string };

/** Deepest nesting accepted: descriptions nest devices in devices, but not this far. */
const maxDepth = 32;

export function parseXml(text: string): XmlParse {
  const parser = new SaxesParser({ xmlns: true });
  const stack: Array<XmlNode & { raw: string }> = [];
  let root: XmlNode | undefined;
  let problem: string | undefined;
  parser.on('doctype', () => {
    problem ??= 'it has a DOCTYPE';
  });
  parser.on('error', (error) => {
    problem ??= error.message;
  });
  parser.on('opentag', (tag) => {
    if (stack.length >= maxDepth) {
      problem ??= 'it is nested too deeply';
      return;
    }
    const node = { name: tag.local, uri: tag.uri, children: [], text: '', raw: '' };
    const parent = stack[stack.length - 1];
    if (parent) parent.children.push(node);
    else root ??= node;
    stack.push(node);
  });
  parser.on('text', (value) => {
    const current = stack[stack.length - 1];
    if (current) current.raw += value;
  });
  parser.on('closetag', () => {
    const node = stack.pop();
    if (!node) return;
    node.text = node.raw.trim();
    delete (node as { raw?: string }).raw;
  });
  try {
    parser.write(text).close();
  } catch (error) {
    problem ??= (error as Error).message;
  }
  if (problem) return { ok: false, error: `the router sent XML Hearth cannot read (${problem})` };
  if (!root) return { ok: false, error: 'the router sent no XML' };
  return { ok: true, root };
}

/** The first child with that local name (any namespace unless given). */
export function child(node: XmlNode | undefined, name: string, uri?: string): XmlNode | undefined {
  return node?.children.find((c) => c.name === name && (uri === undefined || c.uri === uri));
}

/** Every element with that local name below `node`, depth first. */
export function descendants(node: XmlNode, name: string): XmlNode[] {
  const found: XmlNode[] = [];
  const walk = (current: XmlNode) => {
    for (const c of current.children) {
      if (c.name === name) found.push(c);
      walk(c);
    }
  };
  walk(node);
  return found;
}
