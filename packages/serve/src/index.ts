export {
  serveStatic,
  type ServeStaticMiddleware,
  type ServeStaticOptions,
  type ServeStaticSource,
} from './serve-static.js'
export {
  createStaticFiles,
  STATUS_TEXT,
  type StaticFiles,
  type StaticFilesOptions,
  type StaticFilesSource,
  type StaticFilesCaller,
  type StaticRequest,
  type StaticAnswer,
  type FileAnswer,
  type ReplyAnswer,
  type MissAnswer,
  type NotOursAnswer,
} from './static-files.js'
export type { ServeStorage } from './sources.js'
