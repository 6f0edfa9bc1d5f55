import DataLoader from 'dataloader';

/**
 * Batching for nested lists that plugin-prisma cannot fold into its parent's statement (a page
 * of each library's assets, each collection's items, their counts). Resolvers of the same
 * field on a page of parents ask for the same shape (name, workspace, selection, filter, page);
 * each shape has one DataLoader, so the whole page costs one statement per shape.
 *
 * Nothing is cached beyond a batch: a mutation and the reads after it in one operation must see
 * the rows as they are now.
 */
export class Loaders {
  private readonly byShape = new Map<string, DataLoader<string, unknown>>();

  load<V>(shape: Record<string, unknown>, batch: (keys: readonly string[]) => Promise<Map<string, V>>, key: string, missing: V): Promise<V> {
    const id = JSON.stringify(shape);
    let loader = this.byShape.get(id) as DataLoader<string, V> | undefined;
    if (!loader) {
      loader = new DataLoader<string, V>(
        async (keys) => {
          const found = await batch([...new Set(keys)]);
          return keys.map((k) => (found.has(k) ? found.get(k)! : missing));
        },
        { cache: false },
      );
      this.byShape.set(id, loader as DataLoader<string, unknown>);
    }
    return loader.load(key);
  }
}
