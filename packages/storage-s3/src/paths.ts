import { createStoragePathChecks } from '@convoy/manifest'

/** The storage-path rules every Convoy storage shares (`@convoy/manifest`). */
export const { checkPath, checkPrefix, isListable } = createStoragePathChecks('@convoy/storage-s3')
