import { contentTypeOf as storageContentTypeOf } from '@convoy/storage'

/**
 * The `Content-Type` Convoy stores and serves a storage path with.
 *
 * @deprecated Moved to `@convoy/storage` with the other storage helpers: `import { contentTypeOf } from '@convoy/storage'`.
 * This alias is removed in the next minor release.
 *
 * @example
 * import { contentTypeOf } from '@convoy/storage'
 * contentTypeOf('css/base.css.gz') // 'text/css; charset=utf-8'
 */
export const contentTypeOf: (path: string) => string = storageContentTypeOf
