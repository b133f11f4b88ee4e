import { parse, type Node, type Options } from "acorn";
import { fullAncestor } from "acorn-walk";

export type ScriptMode = "module" | "classic" | "handler";

export type JsFindings = {
  /** Static imports, re-exports and literal dynamic imports: the specifier as written. */
  imports: { specifier: string; dynamic: boolean }[];
  /** Every string value in the code (string and template literals, regular expression sources). */
  strings: string[];
  /** Why the code is refused, if it is: each names the construct and what to write instead. */
  refusals: string[];
};

// Tags whose element loads or runs code, another document, or changes how URLs resolve: a script must not create
// them (a <script> it builds loads its URL with no integrity check).
const LOADER_TAGS = new Set([
  "script",
  "link",
  "iframe",
  "frame",
  "frameset",
  "object",
  "embed",
  "base",
  "meta",
  "portal",
  "fencedframe",
]);
const CREATE_ELEMENT = new Set(["createElement", "createElementNS"]);
// Names that load or compile code, whatever object they are reached through (`document.write`, `window.eval`,
// `CSS.paintWorklet.addModule`). Matched on the name, so an alias (`const w = document.write`) is refused too.
const CODE_SINKS: Record<string, string> = {
  eval: "eval compiles a string into code the gate never sees",
  Function: "Function compiles a string into code the gate never sees",
  write: "document.write can add scripts the gate never sees",
  writeln: "document.write can add scripts the gate never sees",
  createContextualFragment: "createContextualFragment runs the scripts in the markup it parses",
  importScripts: "importScripts loads code with no integrity check",
  Worker: "a worker loads code with no integrity check",
  SharedWorker: "a worker loads code with no integrity check",
  addModule: "a worklet module loads with no integrity check",
  integrity: "changing a tag's integrity would let other bytes load",
  setAttributeNode: "an attribute node can carry an event handler or a URL the gate never sees",
  setAttributeNodeNS: "an attribute node can carry an event handler or a URL the gate never sees",
  setNamedItem: "an attribute node can carry an event handler or a URL the gate never sees",
  setNamedItemNS: "an attribute node can carry an event handler or a URL the gate never sees",
  removeNamedItem: "removing an attribute by a name the gate cannot read could drop an integrity check",
  removeNamedItemNS: "removing an attribute by a name the gate cannot read could drop an integrity check",
};
// Sink names specific enough that a string equal to one is a way to reach it (words like "write" are not listed).
const NAMED_AS_STRING = new Set([
  "createElement",
  "createElementNS",
  "createContextualFragment",
  "importScripts",
  "addModule",
  "setAttributeNode",
  "setAttributeNodeNS",
  "setNamedItem",
  "setNamedItemNS",
  "removeNamedItem",
  "removeNamedItemNS",
  "writeln",
]);
const SET_ATTRIBUTE = new Set([
  "setAttribute",
  "setAttributeNS",
  "createAttribute",
  "createAttributeNS",
  "removeAttribute",
  "removeAttributeNS",
  "toggleAttribute",
]);
const URL_ATTRIBUTES = new Set(["src", "href", "xlink:href", "srcdoc", "integrity", "data", "action", "formaction"]);

type AnyNode = Node & Record<string, unknown>;

const stringValue = (node: AnyNode | undefined | null): string | null => {
  if (!node) return null;
  if (node.type === "Literal" && typeof node.value === "string") return node.value;
  if (node.type === "TemplateLiteral") {
    const expressions = node.expressions as unknown[];
    const quasis = node.quasis as { value: { cooked: string | null } }[];
    if (expressions.length === 0 && quasis[0]?.value.cooked != null) return quasis[0].value.cooked;
  }
  return null;
};

/** The property name of `a.b`, `a["b"]` or `a[`b`]`; null for a computed name we cannot read. */
const propertyName = (member: AnyNode): string | null => {
  const property = member.property as AnyNode;
  if (!member.computed && property.type === "Identifier") return property.name as string;
  return stringValue(property);
};

const calleeName = (callee: AnyNode): string | null => {
  if (callee.type === "Identifier") return callee.name as string;
  if (callee.type === "MemberExpression") return propertyName(callee);
  return null;
};

const parseOptions = (mode: ScriptMode): Options => ({
  ecmaVersion: "latest",
  sourceType: mode === "module" ? "module" : "script",
  allowHashBang: mode !== "handler",
  allowReturnOutsideFunction: mode === "handler",
  locations: true,
});

type Ctx = { findings: JsFindings; refuse: (node: AnyNode, why: string) => void };

const checkCreateElement = (ctx: Ctx, name: string, args: AnyNode[], node: AnyNode): void => {
  const tag = stringValue(args[name === "createElementNS" ? 1 : 0]);
  if (tag === null) ctx.refuse(node, `${name} with a tag name that is not a string literal`);
  else if (LOADER_TAGS.has(tag.trim().toLowerCase()))
    ctx.refuse(
      node,
      `${name}("${tag}"): write the <${tag.toLowerCase()}> tag in widget_code, where the gate can bind it`,
    );
};

const checkSetAttribute = (ctx: Ctx, name: string, args: AnyNode[], node: AnyNode): void => {
  const attr = stringValue(args[name.endsWith("NS") ? 1 : 0]);
  if (attr === null) ctx.refuse(node, `${name} with an attribute name that is not a string literal`);
  else if (/^on/i.test(attr.trim())) ctx.refuse(node, `${name}("${attr}"): use addEventListener instead`);
  else if (attr.trim().toLowerCase() === "integrity")
    ctx.refuse(node, `${name}("${attr}"): changing a tag's integrity would let other bytes load`);
  else if (URL_ATTRIBUTES.has(attr.trim().toLowerCase()) && name.startsWith("set")) {
    const value = args[name.endsWith("NS") ? 2 : 1];
    if (stringValue(value) === null)
      ctx.refuse(node, `${name}("${attr}", …) with a value that is not a string literal`);
  }
};

const visitCall = (ctx: Ctx, node: AnyNode): void => {
  const name = calleeName(node.callee as AnyNode);
  const args = node.arguments as AnyNode[];
  if (name === null) return;
  if (CREATE_ELEMENT.has(name)) checkCreateElement(ctx, name, args, node);
  else if (SET_ATTRIBUTE.has(name)) checkSetAttribute(ctx, name, args, node);
  else if ((name === "setTimeout" || name === "setInterval") && args[0] && stringValue(args[0]) !== null)
    ctx.refuse(node, `${name} with a string compiles it into code the gate never sees; pass a function`);
};

/** A reference to a sink name anywhere except as a property key in an object literal or a member we allow. */
const visitName = (ctx: Ctx, node: AnyNode, name: string, ancestors: AnyNode[]): void => {
  const parent = ancestors.at(-2);
  if (CREATE_ELEMENT.has(name) || SET_ATTRIBUTE.has(name)) {
    // Allowed only as the callee of a call we then check; anything else (bind, an alias) escapes the check.
    const member = node.type === "MemberExpression" ? node : parent;
    const call = node.type === "MemberExpression" ? parent : ancestors.at(-3);
    const called =
      call !== undefined && (call.type === "CallExpression" || call.type === "NewExpression") && call.callee === member;
    if (!called) ctx.refuse(node, `'${name}' used other than by a direct call with literal arguments`);
    return;
  }
  const why = CODE_SINKS[name];
  if (why) ctx.refuse(node, `'${name}': ${why}`);
};

/**
 * Reads one inline script (or event handler) with a JavaScript parser: every import, every string value, and every
 * construct that could load code the gate cannot bind. What it cannot see is code that computes both a URL and the
 * way to load it at run time; README "Widgets" says what closes that.
 */
export const analyzeScript = (code: string, mode: ScriptMode): JsFindings => {
  const findings: JsFindings = { imports: [], strings: [], refusals: [] };
  let ast: Node;
  try {
    ast = parse(code, parseOptions(mode));
  } catch (error) {
    findings.refusals.push(`the script cannot be parsed (${error instanceof Error ? error.message : String(error)})`);
    return findings;
  }
  const ctx: Ctx = {
    findings,
    refuse: (node, why) => {
      findings.refusals.push(`${why} (script line ${node.loc?.start.line ?? 0})`);
    },
  };
  fullAncestor(ast, (raw, _state, ancestors) => {
    const node = raw as AnyNode;
    const chain = ancestors as AnyNode[];
    switch (node.type) {
      case "Literal":
        if (typeof node.value === "string") {
          findings.strings.push(node.value);
          // `Reflect.get(document, "createElement")`, a property descriptor by name: the name as data.
          if (NAMED_AS_STRING.has(node.value)) ctx.refuse(node, `the name '${node.value}' as a string`);
        } else if (node.regex) findings.strings.push((node.regex as { pattern: string }).pattern);
        break;
      case "WithStatement":
        ctx.refuse(node, "a with statement turns any name into a property the gate cannot see");
        break;
      case "TemplateElement": {
        const value = node.value as { cooked: string | null; raw: string };
        findings.strings.push(value.cooked ?? value.raw);
        break;
      }
      case "ImportDeclaration":
      case "ExportAllDeclaration":
      case "ExportNamedDeclaration": {
        const source = stringValue(node.source as AnyNode | null);
        if (source !== null) findings.imports.push({ specifier: source, dynamic: false });
        break;
      }
      case "ImportExpression": {
        const source = stringValue(node.source as AnyNode);
        if (source === null) ctx.refuse(node, "import() of a URL that is not a string literal");
        else findings.imports.push({ specifier: source, dynamic: true });
        break;
      }
      case "CallExpression":
      case "NewExpression":
        visitCall(ctx, node);
        break;
      case "Identifier":
        visitIdentifier(ctx, node, chain);
        break;
      case "MemberExpression": {
        const name = propertyName(node);
        if (name !== null) visitName(ctx, node, name, chain);
        else if ((node.property as AnyNode).type !== "Identifier" || node.computed) visitComputed(ctx, node);
        break;
      }
      case "ObjectPattern": {
        // `const { createElement: ce } = document` takes the sink out of reach of the call check. (acorn-walk
        // visits a pattern's keys and values, not its Property nodes, so the keys are read here.)
        for (const prop of node.properties as AnyNode[]) {
          if (prop.type !== "Property") continue;
          const key = prop.key as AnyNode;
          const name = key.type === "Identifier" && !prop.computed ? (key.name as string) : stringValue(key);
          if (name === null) ctx.refuse(prop, "destructuring a computed name out of an object");
          else if (CODE_SINKS[name] || CREATE_ELEMENT.has(name) || SET_ATTRIBUTE.has(name))
            ctx.refuse(prop, `destructuring '${name}' out of an object`);
        }
        break;
      }
      default:
        break;
    }
  });
  return findings;
};

const visitIdentifier = (ctx: Ctx, node: AnyNode, ancestors: AnyNode[]): void => {
  const name = node.name as string;
  const parent = ancestors.at(-2);
  // A member's property and an object key are names, not references; MemberExpression handles the former.
  if (parent?.type === "MemberExpression" && parent.property === node && !parent.computed) return;
  if (parent?.type === "Property" && parent.key === node && !parent.computed) return;
  if (parent?.type === "MethodDefinition" || parent?.type === "PropertyDefinition") return;
  if (name in CODE_SINKS && ["eval", "Function", "importScripts", "Worker", "SharedWorker"].includes(name))
    ctx.refuse(node, `'${name}': ${CODE_SINKS[name]}`);
};

// `document[name]` with a computed name could be any sink; only on the objects that hold them is it refused.
const SINK_HOLDERS = new Set(["document", "window", "globalThis", "self", "Reflect", "top", "parent", "frames"]);
const visitComputed = (ctx: Ctx, node: AnyNode): void => {
  const object = node.object as AnyNode;
  if (object.type === "Identifier" && SINK_HOLDERS.has(object.name as string))
    ctx.refuse(node, `'${object.name as string}[…]' with a computed name could reach any loader`);
};
