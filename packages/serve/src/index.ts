export {
  serveStatic,
  type ServeStaticMiddleware,
  type ServeStaticOptions,
  type ServeStaticSource,
} from './serve-static.js'
export type { ServeStorage } from './sources.js'
