/**
 * Python-style argument binding for tasks called with keyword arguments (Celery kwargs): with a
 * task's `params` names, `add.apply_async(args=[2], kwargs={'y': 3})` from Python calls the
 * handler as `add(2, 3)`. Mistakes raise a TypeError worded like Python's, which travels back to
 * the caller as the task's failure.
 */
export function bindArguments(
  taskName: string,
  params: readonly string[] | undefined,
  args: readonly unknown[],
  kwargs: Readonly<Record<string, unknown>>,
): unknown[] {
  const names = Object.keys(kwargs);
  if (!params || names.length === 0) return [...args];
  const bound = [...args];
  for (const name of names) {
    const index = params.indexOf(name);
    if (index === -1) {
      throw new TypeError(`${taskName}() got an unexpected keyword argument '${name}' (its parameters: ${params.join(', ') || 'none'})`);
    }
    if (index < args.length) {
      throw new TypeError(`${taskName}() got multiple values for argument '${name}'`);
    }
    bound[index] = kwargs[name];
  }
  // Positions no argument filled stay undefined, so the handler's own default values apply.
  for (let i = args.length; i < bound.length; i++) if (!(i in bound)) bound[i] = undefined;
  return bound;
}
