// Shared by the tests (not exported from the package).
import { isConvoyError, type ConvoyError } from '@convoy/errors'

/** The ConvoyError `promise` rejects with; resolving, or rejecting with anything else, fails the test. */
export async function rejection(promise: Promise<unknown>): Promise<ConvoyError> {
  const error = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  )
  if (!isConvoyError(error)) throw new Error(`expected a ConvoyError, got ${String(error)}`)
  return error
}
