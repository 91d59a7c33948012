// JSON-RPC 2.0 rules shared by the HTTP and the PubSub server.

/** Request ids JSON-RPC 2.0 allows: a string, a number or null. */
export const validId = (id: unknown) => id === null || typeof id === "string" || typeof id === "number";

/** No method takes parameters nested deeper than this; deeper ones are refused before any handler sees them. */
export const MAX_PARAM_DEPTH = 16;

/** Whether `value` nests arrays or objects more than `limit` levels deep (iterative: no stack to overflow). */
export function deeperThan(value: unknown, limit: number): boolean {
  const stack: [unknown, number][] = [[value, 1]];
  while (stack.length > 0) {
    const [v, depth] = stack.pop()!;
    if (v === null || typeof v !== "object") continue;
    if (depth > limit) return true;
    for (const child of Array.isArray(v) ? v : Object.values(v)) stack.push([child, depth + 1]);
  }
  return false;
}
