import { createStoragePathChecks } from '@convoy/storage'

/** The storage-path rules every Convoy storage shares (`@convoy/storage`). */
export const { checkPath, checkPrefix, isListable } = createStoragePathChecks('@convoy/storage-s3')
