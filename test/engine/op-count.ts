// An operation counter for scaling tests: while `fn` runs, every Set/Map lookup, every element an
// array iterator or array callback method visits, and every sort comparison counts as one
// operation. Not a spec file. Wall-clock time is useless on a shared machine; counts are not.
const counted = [
  [Set.prototype, 'has'],
  [Map.prototype, 'get'],
  [Map.prototype, 'has'],
] as const;
const callbacks = ['filter', 'some', 'every', 'map', 'flatMap', 'forEach', 'reduce', 'find', 'findIndex', 'includes', 'indexOf'] as const;

export function countOperations(fn: () => void): number {
  let n = 0;
  const restore: (() => void)[] = [];
  const patch = (target: object, name: PropertyKey, make: (original: (...args: unknown[]) => unknown) => (...args: unknown[]) => unknown) => {
    const original = Reflect.get(target, name) as (...args: unknown[]) => unknown;
    Object.defineProperty(target, name, { value: make(original), configurable: true, writable: true });
    restore.push(() => Object.defineProperty(target, name, { value: original, configurable: true, writable: true }));
  };
  try {
    for (const [proto, name] of counted) {
      patch(
        proto,
        name,
        (original) =>
          function (this: unknown, ...args: unknown[]) {
            n += 1;
            return original.apply(this, args);
          },
      );
    }
    for (const name of callbacks) {
      patch(
        Array.prototype,
        name,
        (original) =>
          function (this: unknown[], ...args: unknown[]) {
            n += this.length;
            return original.apply(this, args);
          },
      );
    }
    patch(
      Array.prototype,
      'sort',
      (original) =>
        function (this: unknown[], ...args: unknown[]) {
          const compare = args[0] as ((a: unknown, b: unknown) => number) | undefined;
          return original.call(this, (a: unknown, b: unknown) => {
            n += 1;
            return compare ? compare(a, b) : String(a) < String(b) ? -1 : String(a) > String(b) ? 1 : 0;
          });
        },
    );
    patch(
      Array.prototype,
      Symbol.iterator,
      (original) =>
        function (this: unknown[]) {
          const it = original.call(this) as Iterator<unknown>;
          return {
            next() {
              n += 1;
              return it.next();
            },
            [Symbol.iterator]() {
              return this;
            },
          };
        },
    );
    fn();
  } finally {
    for (const undo of restore.reverse()) undo();
  }
  return n;
}
