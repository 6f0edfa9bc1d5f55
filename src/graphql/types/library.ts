import { builder } from '../builder.ts';
import { NodeInterface } from './node.ts';

/**
 * A selected library always brings its narrow columns, and the fields that read them resolve
 * straight from the row: in select mode each exposed column costs plugin-prisma a mapping lookup
 * per row and field (see `coreSelect` in ./asset.ts). The description (free text) and the
 * timestamps (Dates to convert per row) are still read only when asked for.
 */
export const LibraryRef = builder.prismaObject('Library', {
  description: 'A named group of assets in a workspace.',
  interfaces: [NodeInterface],
  select: { id: true, name: true, slug: true },
  fields: (t) => ({
    id: t.id({ resolve: (library) => library.id }),
    name: t.string({ resolve: (library) => library.name }),
    slug: t.string({ resolve: (library) => library.slug }),
    description: t.exposeString('description', { nullable: true }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    updatedAt: t.expose('updatedAt', { type: 'DateTime' }),
    // Its assets and their count: ./library-queries.ts.
  }),
});
