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
