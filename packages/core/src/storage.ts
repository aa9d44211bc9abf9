// The Storage contract lives in @convoy/storage; core re-exports its types so that `../storage.js` imports keep working.
export type {
  Storage,
  StorageBody,
  StorageCapabilities,
  StorageEntry,
  StorageLock,
  StorageLockOptions,
  StorageWriteOptions,
  VersionedObject,
} from '@convoy/storage'
