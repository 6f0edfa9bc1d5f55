/**
 * Domain errors say what went wrong in the terms of the API, free of GraphQL or HTTP.
 * src/graphql/errors.ts turns them into GraphQL error codes; REST maps those codes to statuses.
 */
export class ValidationError extends Error {
  /** `field` is the input field at fault, named as in the GraphQL input (e.g. `assetType`). */
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
    this.name = 'ValidationError';
  }
}

export class NotFoundError extends Error {
  constructor(message = 'Asset not found') {
    super(message);
    this.name = 'NotFoundError';
  }
}

/** A body or file over its limit (REST: 413). */
export class TooLargeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TooLargeError';
  }
}

/** The request cannot be served in the resource's present state (REST: 409). */
export class ConflictError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConflictError';
  }
}

/** The client did not send its request in the time allowed (REST: 408). */
export class TimeoutError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TimeoutError';
  }
}
