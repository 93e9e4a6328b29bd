import { SbcError } from '../core/index.js';

/**
 * A request the admin API refuses: the HTTP status to answer and, for bad input, the field at
 * fault (`{"error": {"status": 400, "field": "name", "message": "..."}}`).
 */
export class AdminRequestError extends SbcError {
  constructor(
    readonly status: number,
    message: string,
    readonly field?: string,
  ) {
    super('SBC_ERR_ADMIN_REQUEST', message);
  }
}

/** 400 naming the field. */
export function badField(field: string, message: string): AdminRequestError {
  return new AdminRequestError(400, `${field}: ${message}`, field);
}
