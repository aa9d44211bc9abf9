// The command-line face of @convoy/core ('@convoy/core/cli'): `convoy` as a function, for wrappers and tests.
export { runCli, exitCodeOf, type CliIo } from './cli/main.js'
