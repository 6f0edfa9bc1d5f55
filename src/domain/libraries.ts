import type { Db } from '../db/client.ts';
import { isForeignKeyViolation, isRecordNotFound } from '../db/prisma-errors.ts';
import type { Prisma } from '../generated/prisma/client.ts';
import { NotFoundError, ValidationError } from './errors.ts';
import { isUuid } from './ids.ts';
import { applyPatch } from './patch.ts';
import { eventsCommitted } from './events.ts';
import { createOnce, idempotencyOf } from './idempotency.ts';
import { insertWithUniqueSlug, slugBase } from './slugs.ts';

/** The rules of libraries: named groups of assets in a workspace. */

export const maxLibraryNameLength = 200;
export const maxLibraryDescriptionLength = 10_000;

export interface NewLibrary {
  name?: string | null;
  description?: string | null;
}

type LibraryQuery = { select?: Prisma.LibrarySelect; include?: Prisma.LibraryInclude };

/** Row filter applied to every read of libraries: the caller's workspace. */
export function visibleLibraries(workspaceId: string): Prisma.LibraryWhereInput {
  return { workspaceId };
}

/** Lists show libraries by name (ties by id, so pages never overlap). */
export const libraryOrder: Prisma.LibraryOrderByWithRelationInput[] = [{ name: 'asc' }, { id: 'asc' }];

export const libraryNotFound = () => new NotFoundError('Library not found');

/** Checks a library's fields and returns the columns to store; create and update share it. */
export function validateLibrary(input: NewLibrary) {
  const name = input.name?.trim() ?? '';
  if (!name) throw new ValidationError('name', 'Name is required');
  if ([...name].length > maxLibraryNameLength) {
    throw new ValidationError('name', `Name must be at most ${maxLibraryNameLength} characters`);
  }
  return { name, description: input.description?.trim() || null };
}

/**
 * Creates a library; its slug comes from the name, unique among the workspace's libraries. With
 * an idempotency key, at most once (./idempotency.ts).
 */
export function createLibrary(db: Db, workspaceId: string, input: NewLibrary, query: LibraryQuery = {}, idempotencyKey?: string | null) {
  const data = validateLibrary(input);
  const idempotency = idempotencyOf(idempotencyKey, input);
  return createOnce(
    workspaceId,
    idempotency,
    {
      findEarlier: (key) =>
        db.library.findFirst({ where: { workspaceId, idempotencyKey: key }, select: { id: true, idempotencyFingerprint: true } }).then(
          (earlier) => earlier && { ...earlier, deletedAt: null }, // a deleted library is gone, and its key with it
        ),
      create: () =>
        insertWithUniqueSlug(
          db,
          workspaceId,
          slugBase(data.name, 'library'),
          (slug) =>
            db.library.create({
              ...query,
              data: { ...data, slug, workspaceId, idempotencyKey: idempotency?.key, idempotencyFingerprint: idempotency?.fingerprint },
            }),
          'library:',
        ),
      load: (id) => db.library.findUniqueOrThrow({ ...query, where: { id } }),
    },
    'library',
  ).then((library) => eventsCommitted(db, library));
}

/** A partial update under the create rules. The slug stays as it was given at creation. */
export async function updateLibrary(db: Db, workspaceId: string, id: string, patch: NewLibrary, query: LibraryQuery = {}) {
  const current = isUuid(id)
    ? await db.library.findFirst({ where: { ...visibleLibraries(workspaceId), id }, select: { name: true, description: true } })
    : null;
  if (!current) throw libraryNotFound();
  const data = validateLibrary(applyPatch<NewLibrary>(current, patch));
  try {
    return eventsCommitted(db, await db.library.update({ ...query, where: { id, workspaceId }, data }));
  } catch (error) {
    throw isRecordNotFound(error) ? libraryNotFound() : error;
  }
}

/** Deletes a library for good; its assets stay and leave it (the foreign key sets them to none). */
export async function deleteLibrary(db: Db, workspaceId: string, id: string, query: LibraryQuery = {}) {
  if (!isUuid(id)) throw libraryNotFound();
  try {
    return eventsCommitted(db, await db.library.delete({ ...query, where: { id, workspaceId } }));
  } catch (error) {
    throw isRecordNotFound(error) ? libraryNotFound() : error;
  }
}

/**
 * The library an asset joins: null leaves any library, undefined changes nothing. A library of
 * another workspace is refused exactly like one that does not exist.
 */
export async function libraryToJoin(db: Db, workspaceId: string, libraryId: string | null | undefined) {
  if (libraryId == null) return libraryId;
  const found = isUuid(libraryId) && (await db.library.count({ where: { ...visibleLibraries(workspaceId), id: libraryId } }));
  if (!found) throw libraryToJoinError();
  return libraryId;
}

const libraryToJoinError = () => new ValidationError('libraryId', 'Library not found in your workspace');

/** Runs a write that joins a library, answering a library deleted meanwhile like an unknown one. */
export async function joiningLibrary<T>(write: Promise<T>): Promise<T> {
  try {
    return await write;
  } catch (error) {
    throw isForeignKeyViolation(error) ? libraryToJoinError() : error;
  }
}
