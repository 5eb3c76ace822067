import type { z } from 'zod';

/**
 * A zod schema (or a record of schema fields, to spread into schemas) built the first time it is used,
 * not when its module loads. Workflows load their modules afresh for every run, and most runs never
 * parse a spec or a chat message inside the workflow: building the schemas up front cost every run
 * milliseconds of CPU (docs/engine.md, "Where the time goes").
 *
 * The value is the schema itself, not a wrapper around it: on first use zod's own constructor builds
 * the schema onto it, so `instanceof`, composition into other schemas and `z.toJSONSchema` (which keys
 * schemas by identity) see one object, and its type is the schema's own.
 */
export function lazySchema<T extends object>(build: () => T): T {
  const target = {} as T;
  let built = false;
  const value: T = new Proxy(target, {
    get: (_, key) => Reflect.get(ready(), key),
    set: (_, key, item) => Reflect.set(ready(), key, item),
    has: (_, key) => Reflect.has(ready(), key),
    ownKeys: () => Reflect.ownKeys(ready()),
    getOwnPropertyDescriptor: (_, key) => Reflect.getOwnPropertyDescriptor(ready(), key),
    defineProperty: (_, key, descriptor) => Reflect.defineProperty(ready(), key, descriptor),
    deleteProperty: (_, key) => Reflect.deleteProperty(ready(), key),
    getPrototypeOf: () => Reflect.getPrototypeOf(ready()),
  });

  function ready(): T {
    if (built) return target;
    built = true;
    const made = build();
    if (isSchema(made)) {
      // zod's constructors build onto `this` when called as functions: the schema's internals then refer
      // to this value, not to the throwaway `made`.
      Object.setPrototypeOf(target, Object.getPrototypeOf(made) as object);
      made._zod.constr.call(value as unknown as z.core.$ZodType, made._zod.def);
    } else {
      Object.defineProperties(target, Object.getOwnPropertyDescriptors(made));
    }
    return target;
  }

  return value;
}

function isSchema(value: object): value is z.core.$ZodType {
  return '_zod' in value;
}
