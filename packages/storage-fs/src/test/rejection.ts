import { type ConvoyError, isConvoyError } from '@convoy/errors'

/** The ConvoyError a promise rejects with; anything else (or no rejection) fails the test. */
export async function rejection(promise: Promise<unknown>): Promise<ConvoyError> {
  const error: unknown = await promise.then(
    () => new Error('expected a rejection'),
    (reason: unknown) => reason,
  )
  if (!isConvoyError(error)) throw error
  return error
}
