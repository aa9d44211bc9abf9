export { createFsStorage, type FsStorage, type FsStorageOptions } from './fs-storage.js'
