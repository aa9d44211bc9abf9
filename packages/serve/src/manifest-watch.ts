import { watch, type FSWatcher } from 'node:fs'
import { basename, dirname } from 'node:path'

/** How long a burst of events on the manifest is waited out before one rebuild. */
export const MANIFEST_DEBOUNCE_MS = 50

export interface ManifestWatch {
  /**
   * Settles when the rebuild for the changes seen so far is done (whether it worked or not); `undefined` when no
   * change is waiting. A request that misses the index waits for it: it may name a file of the new manifest.
   */
  settling(): Promise<void> | undefined
  close(): void
}

/**
 * Calls `rebuild` once a burst of changes of the manifest `file` is over. `convoy collect` replaces the manifest with
 * a rename, so its folder is watched (a watch on the file would follow the old inode); other names in the folder
 * are ignored. The watcher never keeps the process alive. Failures go to `warn`: the previous index stays.
 */
export function watchManifest(file: string, rebuild: () => Promise<void>, warn: (message: string) => void): ManifestWatch {
  const name = basename(file)
  let timer: NodeJS.Timeout | undefined
  let pending: { promise: Promise<void>; resolve: () => void } | undefined
  /** The rebuild started for the last burst, until it is done. */
  let running: Promise<void> | undefined
  let watcher: FSWatcher | undefined

  const fire = (): void => {
    timer = undefined
    const waiting = pending
    pending = undefined
    const job: Promise<void> = rebuild()
      .catch((error: unknown) => {
        warn(`@convoy/serve: ${file} changed but the files were not reindexed, the previous index stays in use: ${error instanceof Error ? error.message : String(error)}`)
      })
      .finally(() => {
        if (running === job) running = undefined
        waiting?.resolve()
      })
    running = job
  }

  const changed = (): void => {
    if (pending === undefined) {
      let resolve!: () => void
      const promise = new Promise<void>((done) => {
        resolve = done
      })
      pending = { promise, resolve }
    }
    clearTimeout(timer)
    timer = setTimeout(fire, MANIFEST_DEBOUNCE_MS)
    timer.unref()
  }

  const stop = (): void => {
    clearTimeout(timer)
    timer = undefined
    watcher?.close()
    watcher = undefined
    pending?.resolve()
    pending = undefined
  }

  try {
    watcher = watch(dirname(file), (_event, changedName) => {
      // Some platforms do not say which name changed: then it may have been the manifest.
      if (changedName === null || changedName === name) changed()
    })
    watcher.unref()
    watcher.on('error', (error) => {
      stop()
      warn(`@convoy/serve: stopped watching ${file} (${error.message}); call reload() after the next convoy collect`)
    })
  } catch (error) {
    warn(`@convoy/serve: cannot watch ${file} (${error instanceof Error ? error.message : String(error)}); call reload() after each convoy collect`)
  }

  return {
    settling: () => pending?.promise ?? running,
    close: stop,
  }
}
