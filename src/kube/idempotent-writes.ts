// Writes that are retried by design, so the API server's "already done" answers are outcomes, not
// errors: a create of a deterministically named object finds it there (409: sent before, by this
// leader or a previous one), and a delete or patch finds its object gone (404) or replaced by
// another of the same name (409: the UID precondition failed) — either way nothing is left to do.
import { httpStatusOf } from './api-errors.js';

/** Awaits a create; a 409 means the object exists already. */
export async function createOrFindExisting(create: Promise<unknown>): Promise<'created' | 'exists'> {
  try {
    await create;
    return 'created';
  } catch (err) {
    if (httpStatusOf(err) === 409) return 'exists';
    throw err;
  }
}

/** Awaits a delete or patch; 404 and 409 mean the object it was meant for is gone. */
export async function unlessGone(write: Promise<unknown>): Promise<void> {
  try {
    await write;
  } catch (err) {
    const status = httpStatusOf(err);
    if (status !== 404 && status !== 409) throw err;
  }
}
