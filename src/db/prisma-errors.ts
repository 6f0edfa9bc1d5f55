import { Prisma } from '../generated/prisma/client.ts';

/** The Prisma errors the domain expects and answers in its own terms. */

/**
 * A unique constraint refused the row (e.g. a slug taken meanwhile); with `column`, only a
 * constraint on that column. The driver adapters say which differently: PGlite's names the
 * constraint's columns, pg's only its index, which Prisma names `<table>_<columns>_key`.
 */
export function isUniqueClash(error: unknown, column?: string): boolean {
  if (!(error instanceof Prisma.PrismaClientKnownRequestError && error.code === 'P2002')) return false;
  if (!column) return true;
  const constraint = (error.meta as { driverAdapterError?: { cause?: { constraint?: { fields?: string[]; index?: string } } } } | undefined)?.driverAdapterError
    ?.cause?.constraint;
  return Boolean(constraint?.fields?.includes(column) || constraint?.index?.includes(`_${column}_`));
}

/** Prisma's "the row to update or delete was not found". */
export function isRecordNotFound(error: unknown): boolean {
  return error instanceof Prisma.PrismaClientKnownRequestError && error.code === 'P2025';
}

/** Prisma's "a foreign key points at nothing" (e.g. a library deleted while an asset joined it). */
export function isForeignKeyViolation(error: unknown): boolean {
  return error instanceof Prisma.PrismaClientKnownRequestError && error.code === 'P2003';
}
