/**
 * Turns a zod error into one readable line: `path: message; path: message`. Workflow-safe.
 */
export function formatZodError(error: { issues: { path: (string | number)[]; message: string }[] }): string {
  return error.issues
    .slice(0, 5)
    .map((i) => (i.path.length ? `${i.path.join('.')}: ${i.message}` : i.message))
    .join('; ');
}
