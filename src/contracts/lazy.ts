/**
 * `lazy(build)`: a value built on first use and kept in a closure.
 *
 * Every zod schema (and schema shape) that a workflow module exports is declared through it. Why:
 * the worker preloads the workflow modules once per reusable V8 context, so thousands of cached
 * workflows share one copy instead of evaluating their own (see `preloadModules` in
 * src/worker/create.ts). The SDK deep-freezes everything a preloaded module exports, and zod
 * schemas write into themselves as they are used (an object's shape cache, an enum's value set, a
 * regex check's `lastIndex`), so a frozen schema throws on first use. A closure is out of the
 * freeze's reach; the schema is built once per context and shared by every workflow in it, which
 * is safe because a schema holds no workflow state.
 *
 * Use it as `decisionInput().parse(x)`; the type is `z.input<ReturnType<ReturnType<typeof decisionInput>>>`.
 */
export function lazy<T>(build: () => T): () => T {
  let built: { value: T } | undefined;
  return () => (built ??= { value: build() }).value;
}
