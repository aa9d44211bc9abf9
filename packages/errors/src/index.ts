export { ConvoyError, isConvoyError, ERROR_CODES, type ConvoyErrorCode, type ConvoyErrorOptions } from './errors.js'
