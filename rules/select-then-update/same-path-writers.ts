// select-then-update: a column's other writer that is a step of the same code path. A function that writes the column
// and is called only by the function that reports, before its read, runs as part of that path: a second run of the
// path racing with the first is the path racing with itself (last writer wins), as for a column no one else writes.
import {
  productionCallsOf,
  enclosingFunction,
  mayRunAfter,
  nodesOfKinds,
  ts,
  type CalleeResolver,
  type ColumnWrite,
  type ReadModifyWrite,
} from "../../server/src/rule-kit";

/**
 * `writer`'s function is called only by the function making the flow's read (every production call of it is there), and
 * no call of it can run after that read: its write is an earlier step of this call, not a concurrent writer's.
 */
export function isEarlierStepOfPath(writer: ColumnWrite, flow: ReadModifyWrite, program: ts.Program, resolve: CalleeResolver): boolean {
  const reader = enclosingFunction(flow.read.node);
  const fn = writerFunction(writer, program);
  if (!reader || !fn || fn === reader) return false;
  const calls = productionCallsOf(fn, resolve);
  return (
    calls !== undefined &&
    calls.length > 0 &&
    calls.every((call) => enclosingFunction(call) === reader && !mayRunAfter(flow.read.node, call))
  );
}

/** The function around the write a ColumnWrite records (found by its file and the offset of its call). */
function writerFunction(writer: ColumnWrite, program: ts.Program) {
  const sourceFile = program.getSourceFile(writer.file);
  if (!sourceFile) return undefined;
  const write = nodesOfKinds<ts.CallExpression>(sourceFile, [ts.SyntaxKind.CallExpression]).find(
    (call) => call.getStart(sourceFile) === writer.start,
  );
  return write && enclosingFunction(write);
}
