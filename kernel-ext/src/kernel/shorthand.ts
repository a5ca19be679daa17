import ts from "@tslab/typescript-for-tslab";

/**
 * Rewrites shorthand properties `{ data }` as `{ data: data }`. tslab's converter renames
 * references to earlier cells' variables but misses shorthand properties, so `{ data }` throws
 * "data is not defined" in a later cell. The rewrite keeps every line where it was.
 */
export function expandShorthandProperties(source: string): string {
  const file = ts.createSourceFile("cell.ts", source, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const insertions: { at: number; text: string }[] = [];
  const visit = (node: ts.Node): void => {
    // `{ a = 1 } = obj` is a destructuring default, not a shorthand reference: leave it.
    if (ts.isShorthandPropertyAssignment(node) && !node.objectAssignmentInitializer) {
      insertions.push({ at: node.name.getEnd(), text: `: ${node.name.text}` });
    }
    ts.forEachChild(node, visit);
  };
  visit(file);
  let out = source;
  for (const { at, text } of insertions.sort((a, b) => b.at - a.at)) out = out.slice(0, at) + text + out.slice(at);
  return out;
}
