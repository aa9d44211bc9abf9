export type { Storage, StorageBody, StorageCapabilities, StorageEntry, StorageWriteOptions } from './storage.js'
export { ConvoyError, isConvoyError, ERROR_CODES, type ConvoyErrorCode, type ConvoyErrorOptions } from '@convoy/errors'
