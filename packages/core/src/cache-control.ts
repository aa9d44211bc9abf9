// The cache-control policy is part of the Storage contract (@convoy/storage); re-exported for core's own modules.
export { IMMUTABLE_CACHE_CONTROL, SHORT_CACHE_CONTROL } from '@convoy/storage'
