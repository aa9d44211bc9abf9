export {
  runStorageTestSuite,
  STORAGE_TEST_GROUPS,
  type StorageTestContext,
  type StorageTestGroup,
  type StorageTestSuiteOptions,
} from './run-storage-test-suite.js'
