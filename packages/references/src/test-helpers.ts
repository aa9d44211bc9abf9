// Shared by the tests (not exported from the package).
import { isConvoyError, type ConvoyError } from '@convoy/errors'

/** The ConvoyError `run` throws; any other error is rethrown, and throwing nothing fails the test. */
export function catchError(run: () => unknown): ConvoyError {
  try {
    run()
  } catch (error) {
    if (isConvoyError(error)) return error
    throw error
  }
  throw new Error('expected a ConvoyError')
}
