/**
 * Domain errors say what went wrong in the terms of the API, free of GraphQL or HTTP.
 * src/graphql/errors.ts turns them into GraphQL error codes; REST maps those codes to statuses.
 */
class DomainError extends Error {
  constructor(message: string) {
    super(message);
    // The class's own name, for the logs' error kind (src/graphql/errors.ts describeInternalError).
    this.name = new.target.name;
  }
}

export class ValidationError extends DomainError {
  /** `field` is the input field at fault, named as in the GraphQL input (e.g. `assetType`). */
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
}

export class NotFoundError extends DomainError {
  constructor(message = 'Asset not found') {
    super(message);
  }
}

/** A body or file over its limit (REST: 413). */
export class TooLargeError extends DomainError {}

/** The request cannot be served in the resource's present state (REST: 409). */
export class ConflictError extends DomainError {}

/** The client did not send its request in the time allowed (REST: 408). */
export class TimeoutError extends DomainError {}

/** The disk (the files' or the database's) is full, so nothing was stored (REST: 507). */
export class InsufficientStorageError extends DomainError {
  constructor(
    /** What said so: ENOSPC or EDQUOT from the file system, SQLSTATE 53100 from PostgreSQL or PGlite. */
    readonly code: string,
  ) {
    super('The server has no storage space left for this; nothing was stored. Try again later');
  }
}

/**
 * The file store (an S3-compatible bucket) does not answer, or refuses, so no file byte could be
 * read or written (REST: 503 with Retry-After). Everything that does not touch file bytes goes on.
 */
export class StorageUnavailableError extends DomainError {
  constructor(
    /** What said so, for the logs: a network error's code (ECONNREFUSED …), the store's error name (NoSuchBucket, AccessDenied …) or status. */
    readonly code: string,
  ) {
    super('File storage is unavailable at the moment; try again later');
  }
}

/** Errors that mean a full disk or quota: the file system's, and PostgreSQL's disk_full (as "could not extend file"). */
const storageFullCodes = new Set(['ENOSPC', 'EDQUOT', '53100']);

/**
 * The code saying that `error` is a full disk, or null: a file system error's own `code`, or the
 * SQLSTATE a Prisma error carries from its driver adapter (PGlite's and pg's alike), along `cause`.
 */
export function storageFullCode(error: unknown): string | null {
  for (let current = error, depth = 0; current && typeof current === 'object' && depth < 5; depth++) {
    const { code, meta, cause } = current as {
      code?: unknown;
      meta?: { driverAdapterError?: { cause?: { originalCode?: unknown; code?: unknown } } };
      cause?: unknown;
    };
    const adapterCause = meta?.driverAdapterError?.cause;
    for (const candidate of [code, adapterCause?.originalCode, adapterCause?.code]) {
      if (typeof candidate === 'string' && storageFullCodes.has(candidate)) return candidate;
    }
    current = cause;
  }
  return null;
}
