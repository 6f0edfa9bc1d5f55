import { describe, expect, it } from 'vitest';
import { countAssets } from '../../src/domain/assets.ts';
import type { AssetType } from '../../src/generated/prisma/enums.ts';
import { useTestApp } from '../helpers/app.ts';

const t = useTestApp();

describe('kept totals (asset_counts)', () => {
  it('equal a real count after creates, soft deletes, restores, type changes and hard deletes', async () => {
    const key = await t.newKey();
    const { db } = t.database;
    const { workspaceId } = await db.apiKey.findFirstOrThrow({ where: { prefix: key.slice(0, 16) } });
    const types: AssetType[] = ['pdf', 'image', 'pdf', 'video', 'pdf', 'image'];
    const ids: string[] = [];
    for (const [i, assetType] of types.entries()) {
      ids.push((await db.asset.create({ data: { workspaceId, title: `c${i}`, slug: `c${i}`, assetType } })).id);
    }
    const check = async (label: string) => {
      for (const assetType of [undefined, 'pdf', 'image', 'video', 'link'] as const) {
        const real = await db.asset.count({ where: { workspaceId, deletedAt: null, ...(assetType ? { assetType } : {}) } });
        expect(await countAssets(db, workspaceId, { assetType }), `${label} ${assetType}`).toBe(real);
      }
    };
    await check('created');
    await db.asset.update({ where: { id: ids[0] }, data: { deletedAt: new Date() } });
    await db.asset.update({ where: { id: ids[0] }, data: { deletedAt: new Date() } }); // deleted twice counts once
    await check('soft-deleted');
    await db.asset.update({ where: { id: ids[0] }, data: { deletedAt: null } });
    await check('restored');
    await db.asset.update({ where: { id: ids[1] }, data: { assetType: 'video' } });
    await db.asset.update({ where: { id: ids[2] }, data: { title: 'renamed' } });
    await check('retyped');
    await db.asset.delete({ where: { id: ids[3] } });
    await check('hard-deleted');
    expect(await countAssets(db, workspaceId, {})).toBe(5);
    expect(await countAssets(db, workspaceId, { search: 'renamed' })).toBe(1);
  });
});
